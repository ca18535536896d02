# tests/bench/bench_lib.py — what the loopback benchmarks share: the CPU
# pinning (client on one core, the server and the middlebox on the other),
# finding a middlebox's process inside the sandbox it started, its RSS, the
# idle-flow memory probe (a holder opens N flows, we read the middlebox's
# RSS growth), the loop over metrics × modes and the ratio table.
#
# The benchmarks are bash scripts that run Python from a heredoc; they import
# this module (sys.path gets tests/bench) so the code lives in one place:
# datapath_bench.sh, tls_compare.sh and http_bench.sh.
import os
import shutil
import subprocess
import sys
import time

# Client on CPU 0, nginx and the middlebox on CPU 1: on the 2-core machines
# this halves the run-to-run spread.
CLIENT_CPU, SERVER_CPU = "0", "1"


def log(text):
    print(text, file=sys.stderr, flush=True)


def require_tools(script, tools):
    """Exits 2 naming the first of `tools` that is not installed (the benchmarks measure with
    what a user has; tools/setup.sh installs them all)."""
    for tool in tools:
        if shutil.which(tool) is None:
            sys.stderr.write(f"{script}: {tool} is missing: run tools/setup.sh\n")
            sys.exit(2)


def pin(command, cpu):
    """The command run under taskset on one CPU."""
    return ["taskset", "-c", cpu] + list(command)


# Seconds of unmeasured keep-alive wrk before a measured one, in the same
# sandbox (BENCH_WARMUP overrides). wrk corrects its latencies for coordinated
# omission (stats_correct in wrk 4): each request slower than the mean
# interval per connection adds synthetic samples down to that interval. The
# first request of each of the 16 connections waits for the TLS handshakes of
# all of them at the middlebox (askfirstd: ~5 ms of mbedTLS P-256 work per
# guest handshake and ~6.5 ms per upstream one, on one loop thread, measured
# 2026-11-26), so 16 first requests of ~150-300 ms became 1-2 % of the samples
# and set "keep-alive p99" to 45-300 ms in 5-10 s runs. After a warm-up the
# measured wrk opens its flows while the middlebox's caches (leaf certificate,
# upstream session) are filled; the new-flow cost is measured on its own
# (handshakes/s, keepalive_latency.sh's first-request table).
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP", "1"))


def after_wrk_warmup(command, url, connections=16, seconds=None):
    """`command` (a measured wrk) preceded by an unmeasured keep-alive wrk
    against `url` in the same shell, so in the same sandbox; its output dropped."""
    seconds = WARMUP_SECONDS if seconds is None else seconds
    if seconds <= 0:
        return list(command)
    warmup = f"wrk -t1 -c{connections} -d{seconds}s {url} >/dev/null 2>&1; exec \"$@\""
    return ["sh", "-c", warmup, "sh"] + list(command)


def write_random(path, mib):
    with open(path, "wb") as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))


def work_folder(prefix):
    """A scratch folder, in RAM when /dev/shm exists (big files never touch a disk)."""
    import tempfile
    return tempfile.mkdtemp(prefix=prefix, dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def private_askfirst_home(work, extra_folders=()):
    """askfirstd keeps its CA, audit log and control socket under the XDG dirs:
    point them into `work` so a benchmark never touches the user's."""
    for folder in ("data", "state", "run", *extra_folders):
        os.makedirs(os.path.join(work, folder), mode=0o700)
    os.environ.update(XDG_DATA_HOME=f"{work}/data", XDG_STATE_HOME=f"{work}/state", XDG_RUNTIME_DIR=f"{work}/run")


def mint_origin_certificate(work, host, ca_name):
    """A throwaway P-256 CA (work/ca.pem, given to askfirstd as tls.extra_ca) and a
    certificate for `host` signed by it (work/origin.pem + origin.key), for a loopback origin."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *new_key, "-keyout", f"{work}/ca.key", "-out", f"{work}/ca.pem", "-days", "1",
            "-subj", f"/CN={ca_name}")
    openssl("req", *new_key, "-keyout", f"{work}/origin.key", "-out", f"{work}/origin.csr", "-subj", f"/CN={host}")
    with open(f"{work}/ext", "w") as out:
        out.write(f"subjectAltName=DNS:{host}\n")
    openssl("x509", "-req", "-in", f"{work}/origin.csr", "-CA", f"{work}/ca.pem", "-CAkey", f"{work}/ca.key",
            "-CAcreateserial", "-out", f"{work}/origin.pem", "-days", "1", "-extfile", f"{work}/ext")


def write_nginx_config(work, server_blocks):
    """work/nginx.conf for a benchmark origin: one worker in the foreground, keep-alive
    without limits, no access log, temp paths inside work; server_blocks go in http {}."""
    with open(f"{work}/nginx.conf", "w") as out:
        out.write(f"""daemon off; master_process off; worker_processes 1; pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
    client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi;
    uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
    types {{ text/plain txt; }}
{server_blocks}
}}
""")


class PinnedNginx:
    """Within `with`, an nginx started through subprocess.Popen runs on the
    server CPU (its worker inherits the pinning); servers.Nginx and
    tls_rig.TlsNginx start it that way."""

    def __enter__(self):
        self.real_popen = subprocess.Popen
        real_popen = self.real_popen

        def pinned_popen(args, **kwargs):
            if args and args[0] == "nginx":
                args = pin(args, SERVER_CPU)
            return real_popen(args, **kwargs)
        subprocess.Popen = pinned_popen
        return self

    def __exit__(self, *exc):
        subprocess.Popen = self.real_popen
        return False


def _process_rows():
    table = subprocess.run(["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True).stdout.split("\n")
    return [line.split() for line in table if len(line.split()) == 3]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as source:
            return source.read()
    except OSError:
        return b""


def find_in_tree(top, matches, attempts=100):
    """The first process in `top`'s tree (itself first, then down to great-grandchildren)
    for which matches(pid, comm) holds; None after `attempts` polls 50 ms apart."""
    for _ in range(attempts):
        rows = _process_rows()
        family = {top}
        for _ in range(3):
            family |= {int(pid) for pid, ppid, comm in rows if int(ppid) in family}
        for pid, ppid, comm in sorted(rows, key=lambda row: int(row[0]) != top):
            if int(pid) in family and matches(int(pid), comm):
                return int(pid)
        time.sleep(0.05)
    return None


def askfirstd_in(top):
    """The askfirstd serving a sandbox (not exec's short `askfirstd --help` probe)."""
    return find_in_tree(top, lambda pid, comm: comm == "askfirstd" and b"--help" not in cmdline(pid))


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration, TypeError):
        return None


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, TypeError):
        return None


def run_watching_cpu(command, middlebox, env=None, timeout=600, on_middlebox=None):
    """Runs `command` and returns (its stdout, the CPU seconds `middlebox` used
    meanwhile, or None): a figure the machine's load does not change much.
    `middlebox` is a pid, a callable finding it from the command's pid, or None.
    A middlebox that lives only as long as the command (askfirst exec) is
    read every 20 ms, so its last tick may be missed. `on_middlebox(pid)`,
    when given, is called once the middlebox is found (a profiler attaching)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    pid = (middlebox(process.pid) if callable(middlebox) else middlebox) if middlebox is not None else None
    if on_middlebox is not None and pid is not None:
        on_middlebox(pid)
    first = last = cpu_seconds(pid) if pid is not None else None
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        now = cpu_seconds(pid) if pid is not None else None
        last = now if now is not None else last
        time.sleep(0.02)
    if process.poll() is None:
        process.kill()
    out = process.communicate()[0]
    now = cpu_seconds(pid) if pid is not None else None  # a daemon that outlives the command
    last = now if now is not None else last
    return out, (last - first) if first is not None and last is not None else None


def median(values):
    """The median of the values that are numbers (None and NaN, failed runs, left out)."""
    values = sorted(value for value in values if value is not None and value == value)
    return values[len(values) // 2] if values else None


def idle_growth_kib(command, flows, ready, stop, middlebox, env=None, timeout=300):
    """Runs a holder `command` that touches `ready`.0 before opening `flows`
    flows, `ready` once they are open, and exits when `stop` exists; returns
    the middlebox's RSS growth per flow in KiB (NaN if anything failed).
    `middlebox` is a pid, or a callable taking the holder's pid and finding it."""
    for stale in (ready, ready + ".0", stop):  # a previous round's files would end this one at once
        if os.path.exists(stale):
            os.remove(stale)
    errors = open(stop + ".stderr", "w+")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
    before = after = pid = None
    try:
        pid = middlebox(process.pid) if callable(middlebox) else middlebox
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready + ".0") and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)
        before = rss_kib(pid)
        while not os.path.exists(ready) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)
        after = rss_kib(pid)
    finally:
        open(stop, "w").close()
        process.wait(60)
    if before is None or after is None or not os.path.exists(ready):
        errors.seek(0)
        log(f"bench: no idle-flow figure (middlebox pid {pid}, RSS before {before}, after {after}, "
            f"all flows open: {os.path.exists(ready)}); the holder said: {errors.read()[-600:].strip() or 'nothing'}")
        return float("nan")
    return (after - before) / flows


def measure_all(rows, modes):
    """{(metric, mode): value} for every metric function in `rows` × mode; a
    failure is logged and measured as NaN (a benchmark prints what it could).
    BENCH_ROUNDS=N (default 1) measures every metric N times, the modes
    interleaved within each round so a machine's drifting load meets all of
    them alike, and keeps the median; BENCH_ONLY="text" measures only the
    metrics whose label contains that text (the others print as NaN)."""
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))
    only = os.environ.get("BENCH_ONLY", "")
    results = {}
    for metric, measure in rows.items():
        if only and only not in metric:
            for mode in modes:
                results[(metric, mode)] = float("nan")
            continue
        samples = {mode: [] for mode in modes}
        for round_number in range(rounds):
            for mode in modes:
                log(f"bench: {metric} via {mode}" + (f" (round {round_number + 1} of {rounds})" if rounds > 1 else ""))
                try:
                    samples[mode].append(measure(mode))
                except Exception as error:
                    log(f"bench: {metric} via {mode} failed: {error}")
                    samples[mode].append(float("nan"))
        for mode in modes:
            values = samples[mode]
            if all(value is None for value in values):  # nothing to measure there (direct's RSS)
                results[(metric, mode)] = None
                continue
            middle = median(values)
            results[(metric, mode)] = float("nan") if middle is None else middle
            if rounds > 1:
                log(f"bench: {metric} via {mode}: " + " ".join(f"{value:.1f}" for value in values if value is not None))
    return results


def print_ratio_table(rows, names, results, label_width=36, value_width=11, digits=2):
    """One line per metric: each mode's value, then each mode's ratio to the first (direct)."""
    header = (f"{'metric':<{label_width}}" + "".join(f"{name:>{value_width}}" for name in names) +
              "".join(f"{name + '/direct':>17}" for name in names[1:]))
    print(header)
    print("-" * len(header))
    for metric in rows:
        line = f"{metric:<{label_width}}"
        for name in names:
            value = results[(metric, name)]
            line += f"{'—':>{value_width}}" if value is None else f"{value:>{value_width}.{digits}f}"
        direct = results[(metric, names[0])]
        for name in names[1:]:
            value = results[(metric, name)]
            ratio = "—" if not direct or value is None or direct != direct else f"{value / direct:.2f}"
            line += f"{ratio:>17}"
        print(line)


def load_average():
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())
