#!/usr/bin/env bash
# tests/bench/tls_compare.sh — TLS interception side by side, in one run,
# against one nginx (TLS, a test CA's certificate) on loopback: direct,
# mitmproxy (mitmdump --mode reverse:https://…), squid (squid-openssl:
# https_port accel + a TLS cache_peer) and `askfirst exec` (mode off, the
# test CA given as tls.extra_ca).
#
# The default is issue 17's setup: nginx with `ssl_session_cache off` and
# `ssl_session_tickets off` (every new connection is a full handshake on
# both legs: a middlebox cannot resume upstream), no warm-up, `wrk -t1 -c16
# -d8s --latency` on /1k (1 KiB) over HTTPS, bulk = best of 3 curl transfers
# of 512 MiB each way (GET guest-ward, PUT upstream-ward). It prints each
# figure per mode with its ratio to direct, the CPU seconds each middlebox
# spent per GB of bulk download and per 1000 new TLS connections (figures
# the machine's load changes less than the rates), then issue 17's table:
# each target with askfirst's figure and whether this run met it. The
# client is pinned to CPU 0, nginx and the middlebox to CPU 1 (taskset). A
# middlebox that is not installed is skipped; nothing here fails because
# something is slow.
#
# Usage: tests/bench/tls_compare.sh [BUILD_DIR]   (default: build)
# Environment: BENCH_BULK_MIB (512), BENCH_BULK_RUNS (3: the best of that
# many transfers), BENCH_SECONDS (8), BENCH_IDLE_FLOWS (1000), BENCH_MODES
# (mitmproxy,squid,askfirst: the middleboxes to measure; direct always runs);
# BENCH_WARMUP (0): seconds of unmeasured wrk before the keep-alive one (why
# one might want it: bench_lib.py; issue 17's targets hold without);
# BENCH_RESUMPTION=1: nginx keeps its default session tickets (a server that
# allows resumption), to compare; BENCH_SQUID_REUSE=0: squid does not reuse its
# upstream connections (see SQUID_CONF); BENCH_PERF=FILE: `perf record --call-graph dwarf` on
# askfirstd during a Connection: close run, written to FILE: the one with no
# resumption (BENCH_PERF_RUN=full, the default), wrk's (BENCH_PERF_RUN=wrk) or
# the first bulk transfer's (BENCH_PERF_RUN=bulk-down or bulk-up).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASKFIRST_BUILD_DIR=${1:-${ASKFIRST_BUILD_DIR:-build}}
exec /usr/bin/python3 - <<'PY'
import json, os, re, shutil, subprocess, sys, time
sys.path[:0] = ["tests/integration", "tests/bench"]
import servers
import tls_rig
from bench_lib import (CLIENT_CPU, SERVER_CPU, PinnedNginx, after_wrk_warmup, askfirstd_in,
                       idle_growth_kib, load_average, log,
                       measure_all, median, pin, print_ratio_table, run_watching_cpu, work_folder, write_random)

BUILD = os.path.abspath(os.environ["ASKFIRST_BUILD_DIR"])
ASKFIRST = os.path.join(BUILD, "askfirst")
BULK_MIB = int(os.environ.get("BENCH_BULK_MIB", "512"))
BULK_RUNS = int(os.environ.get("BENCH_BULK_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP", "0"))
RESUMPTION = os.environ.get("BENCH_RESUMPTION", "0") == "1"
PERF_OUTPUT = os.path.abspath(os.environ["BENCH_PERF"]) if os.environ.get("BENCH_PERF") else None
PERF_WHAT = os.environ.get("BENCH_PERF_RUN", "full")
SMALL = "1k"  # the file wrk asks for
WANTED = set(os.environ.get("BENCH_MODES", "mitmproxy,squid,askfirst").split(","))
IDLE_FLOWS = int(os.environ.get("BENCH_IDLE_FLOWS", "1000"))
BULK_MAX_SECONDS = 60  # mitmproxy moves well under 1 MB/s on a loaded 2-core machine
HOST, MAPPED, _ = tls_rig.GOOD
LOAD_AT_START = load_average()

work = work_folder("askfirst-tls-bench-")
root = os.path.join(work, "root"); os.makedirs(root)
with open(os.path.join(root, SMALL), "w") as out:
    out.write("k" * 1023 + "\n")
write_random(os.path.join(root, "down.bin"), BULK_MIB)
def folder(name):
    path = os.path.join(work, name)
    os.makedirs(path)
    return path

ca = tls_rig.make_test_ca(folder("ca"))

with PinnedNginx():
    nginx = tls_rig.TlsNginx(folder("nginx"), root, ca, stems=("good",),
                             http_extra="" if RESUMPTION else "    ssl_session_cache off;\n    ssl_session_tickets off;")
# The access log would cost nginx time in every mode alike; keep it anyway (a fair, fixed cost).
port = nginx.ports["good"]

# mode -> (command prefix, base URL, pid of the middlebox or a callable finding it)
modes = {"direct": ([], f"https://127.0.0.1:{port}", None)}
daemons = []

def start_mitmproxy():
    listen = servers.free_port()
    confdir = folder("mitmproxy")
    command = ["mitmdump", "-q", "--mode", f"reverse:https://127.0.0.1:{port}",
               "--listen-host", "127.0.0.1", "--listen-port", str(listen), "--set", f"confdir={confdir}",
               "--set", "ssl_insecure=true", "--set", "connection_strategy=lazy",
               # without it mitmproxy holds a whole body before relaying it (256 MiB: nothing in 60 s)
               "--set", "stream_large_bodies=1m"]
    process = subprocess.Popen(pin(command, SERVER_CPU), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemons.append(process)
    servers.wait_for_tcp("127.0.0.1", listen, timeout=60)
    return ([], f"https://127.0.0.1:{listen}", process.pid)

SQUID_CONF = """
https_port 127.0.0.1:{listen} accel defaultsite={host} tls-cert={ca}/good.pem tls-key={ca}/good.key
cache_peer 127.0.0.1 parent {port} 0 no-query originserver name=nginx tls tls-cafile={ca}/ca.pem tls-domain={host}
cache_peer_access nginx allow all
http_access allow all
cache deny all
cache_dir null /tmp
cache_mem 8 MB
access_log none
cache_log {dir}/cache.log
pid_filename {dir}/squid.pid
coredump_dir {dir}
max_filedescriptors 8192
workers 1
shutdown_lifetime 1 seconds
"""
# squid keeps its TLS connections to the cache_peer open and reuses them, so
# its upstream leg is not a full handshake per client connection as
# askfirst's (one upstream flow per guest flow) is. BENCH_SQUID_REUSE=0 turns
# that off, for a like-for-like "both legs full" row (it slows squid's
# keep-alive rows too: each request then opens its own upstream connection).
if os.environ.get("BENCH_SQUID_REUSE", "1") == "0":
    SQUID_CONF += "server_persistent_connections off\n"

def start_squid():
    listen = servers.free_port()
    squid_dir = folder("squid")
    conf = os.path.join(squid_dir, "squid.conf")
    with open(conf, "w") as out:
        out.write(SQUID_CONF.format(listen=listen, host=HOST, ca=ca, port=port, dir=squid_dir))
    process = subprocess.Popen(pin(["squid", "-N", "-f", conf], SERVER_CPU),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemons.append(process)
    servers.wait_for_tcp("127.0.0.1", listen, timeout=60)
    return ([], f"https://127.0.0.1:{listen}", process.pid)

for name, command, start in (("mitmproxy", "mitmdump", start_mitmproxy), ("squid", "squid", start_squid)):
    if name not in WANTED:
        continue
    if shutil.which(command) is None:
        log(f"bench: {name} skipped ({command} is not installed; tools/setup.sh installs it)")
        continue
    try:
        modes[name] = start()
    except Exception as error:
        log(f"bench: {name} skipped: it did not start ({error})")

home = tls_rig.XdgHome(os.path.join(work, "home"))
profile = os.path.join(work, "profile.json")
with open(profile, "w") as out:
    json.dump({"name": "tls-bench", "modes": {"default": "off"}, "dns": {"hosts": {HOST: MAPPED}},
               "upstream": {"map": {f"{MAPPED}:443": f"127.0.0.1:{port}"}},
               "tls": {"extra_ca": [f"{ca}/ca.pem"]}}, out)
if "askfirst" in WANTED:
    modes["askfirst"] = (pin([ASKFIRST, "exec", "--profile", profile, "--"], SERVER_CPU), f"https://{HOST}", askfirstd_in)

bulk_cpu = {}
def transfer(mode, direction):
    # Bounded: a slow middlebox is measured over what it moved in BULK_MAX_SECONDS.
    # The best of BULK_RUNS: a shared machine only ever slows a run down.
    prefix, url, middlebox = modes[mode]
    rates, cpu_per_gb = [], []
    for run in range(BULK_RUNS):
        if direction == "down":
            how = ["-o", "/dev/null", "-w", "%{speed_download} %{size_download}", f"{url}/down.bin"]
        else:  # nginx's WebDAV PUT stores it under root/upload (in RAM), removed after each run
            how = ["-T", os.path.join(root, "down.bin"), "-o", "/dev/null", "-w", "%{speed_upload} %{size_upload}",
                   f"{url}/upload/put-{mode}-{run}.bin"]
        out, cpu = run_profiled(mode, pin(["curl", "-k", "-s", "--max-time", str(BULK_MAX_SECONDS), *how], CLIENT_CPU),
                                PERF_WHAT == f"bulk-{direction}" and run == 0)
        shutil.rmtree(os.path.join(root, "upload"), ignore_errors=True)
        os.makedirs(os.path.join(root, "upload"))
        rate, size = (out.split() + ["0", "0"])[:2]
        rates.append(float(rate) / 1e6)
        if cpu is not None and float(size) > 0:
            cpu_per_gb.append(cpu / (float(size) / 1e9))
    if BULK_RUNS > 1:
        log(f"bench: bulk {direction} via {mode}: " + " ".join(f"{rate:.0f}" for rate in sorted(rates)) + " MB/s")
    bulk_cpu[(mode, direction)] = median(cpu_per_gb)
    return max(rates)

def bulk(mode):
    return transfer(mode, "down")

def bulk_upload(mode):
    return transfer(mode, "up")

def bulk_cpu_seconds_per_gb(mode):
    return bulk_cpu.get((mode, "down"))

def upload_cpu_seconds_per_gb(mode):
    return bulk_cpu.get((mode, "up"))

# BENCH_PERF: `perf record` on askfirstd (DWARF call graphs: Debian's libraries have no frame pointers).
def start_profiler(pid):
    return subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", "499", "-p", str(pid), "-o", PERF_OUTPUT],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def stop_profiler(processes):
    for process in processes:  # perf ends by itself when askfirstd exits; wait for its file
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.send_signal(2)
            process.wait(30)

def run_profiled(mode, command, profile):
    """run_watching_cpu in `mode`'s sandbox; askfirstd recorded by perf when `profile` and BENCH_PERF."""
    profiler = []
    def attach_profiler(pid):
        if PERF_OUTPUT and profile and mode == "askfirst":
            profiler.append(start_profiler(pid))
    out, spent = run_watching_cpu(modes[mode][0] + command, modes[mode][2], env=home.env, on_middlebox=attach_profiler)
    stop_profiler(profiler)
    return out, spent

wrk_problems = []
def wrk(mode, *options, warmup=0, cpu=None):
    url = f"{modes[mode][1]}/{SMALL}"
    measured = ["wrk", "-t1", "-c16", f"-d{SECONDS}s", "--latency", *options, url]
    out, spent = run_profiled(mode, pin(after_wrk_warmup(measured, url, 16, warmup), CLIENT_CPU),
                              PERF_WHAT == "wrk" and "Connection: close" in options)
    if cpu is not None:
        cpu.append(spent)
    for problem in re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+)", out):
        wrk_problems.append(f"{mode} {' '.join(options) or 'keep-alive'}: {problem}")  # printed under the table
    return out

def milliseconds(text):
    match = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    if not match:
        return float("nan")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}[unit]

keepalive_cache = {}
def keepalive(mode):
    out = wrk(mode, warmup=WARMUP_SECONDS)  # p99 of keep-alive requests, not of the first handshakes (bench_lib.py)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50, p99 = re.search(r"50%\s+(\S+)", out), re.search(r"99%\s+(\S+)", out)
    keepalive_cache[mode] = (milliseconds(p50.group(1)) if p50 else float("nan"),
                             milliseconds(p99.group(1)) if p99 else float("nan"))
    return float(rate.group(1)) if rate else float("nan")

def p50(mode):
    return keepalive_cache.get(mode, (float("nan"),) * 2)[0]

def p99(mode):
    return keepalive_cache.get(mode, (float("nan"),) * 2)[1]

handshake_cpu = {}
def handshakes(mode):
    spent = []
    out = wrk(mode, "-H", "Connection: close", cpu=spent)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if spent and spent[0] is not None and count and int(count.group(1)) > 0:
        handshake_cpu[mode] = spent[0] / int(count.group(1)) * 1000
    return float(rate.group(1)) if rate else float("nan")

def handshake_cpu_seconds_per_1000(mode):
    return handshake_cpu.get(mode)

full_cpu = {}
def full_handshakes(mode):
    # Both legs full: a client that never resumes (why not wrk: full_handshakes.py).
    prefix, url, middlebox = modes[mode]
    host_port = url.split("//")[1]
    host, port_text = (host_port.rsplit(":", 1) if ":" in host_port else (host_port, "443"))
    command = pin(["python3", os.path.abspath("tests/bench/full_handshakes.py"), host, port_text, HOST,
                   f"/{SMALL}", str(SECONDS), "16"], CLIENT_CPU)
    out, spent = run_profiled(mode, command, PERF_WHAT == "full")
    figures = dict(part.split("=", 1) for part in out.split())
    count, errors = int(figures.get("connections", 0)), int(figures.get("errors", 0))
    if errors:
        wrk_problems.append(f"{mode} full handshakes: {errors} connections failed")
    if spent is not None and count > 0:
        full_cpu[mode] = spent / count * 1000
    return count / float(figures["seconds"]) if count else float("nan")

def full_cpu_seconds_per_1000(mode):
    return full_cpu.get(mode)

HOLDER = r'''
import resource, socket, ssl, sys, time, os
n, host, port, name, ready, stop = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
open(ready + ".0", "w").close(); time.sleep(1.0)
held = []
for _ in range(n):
    tls = context.wrap_socket(socket.create_connection((host, port), timeout=30), server_hostname=name)
    tls.sendall(b"GET /1k HTTP/1.1\r\nHost: " + name.encode() + b"\r\n\r\n"); tls.recv(4096)
    held.append(tls)  # a kept-alive TLS flow with one exchange done, now idle
open(ready, "w").close()
while not os.path.exists(stop): time.sleep(0.1)
'''

def idle_flow_kib(mode):
    prefix, url, middlebox = modes[mode]
    if middlebox is None:
        return None
    holder = os.path.join(work, "holder.py")
    with open(holder, "w") as out:
        out.write(HOLDER)
    ready, stop = os.path.join(work, f"ready-{mode}"), os.path.join(work, f"stop-{mode}")
    host_port = url.split("//")[1]
    host, port_text = (host_port.rsplit(":", 1) if ":" in host_port else (host_port, "443"))
    return idle_growth_kib(prefix + ["python3", holder, str(IDLE_FLOWS), host, port_text, HOST, ready, stop],
                           IDLE_FLOWS, ready, stop, middlebox, env=home.env)

rows = {"bulk download (MB/s)": bulk, "bulk: middlebox CPU s per GB": bulk_cpu_seconds_per_gb,
        "bulk upload, PUT (MB/s)": bulk_upload, "bulk upload: middlebox CPU s per GB": upload_cpu_seconds_per_gb,
        "keep-alive requests/s": keepalive, "keep-alive p50 (ms)": p50,
        "keep-alive p99 (ms)": p99, "new TLS connections/s": handshakes,
        "new TLS: middlebox CPU s per 1000": handshake_cpu_seconds_per_1000,
        "new TLS, no resumption: conns/s": full_handshakes,
        "new TLS, no resumption: CPU s/1000": full_cpu_seconds_per_1000,
        f"RSS per idle TLS flow at {IDLE_FLOWS} (KiB)": idle_flow_kib}
results = measure_all(rows, modes)

for process in daemons:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
nginx.stop()
shutil.rmtree(work, ignore_errors=True)

print_ratio_table(rows, list(modes), results)
for problem in wrk_problems:
    print(f"wrk saw: {problem}")

def figure(metric, mode):
    value = results.get((metric, mode))
    return float("nan") if value is None else value

def ratio(metric, mode):
    direct = figure(metric, "direct")
    return figure(metric, mode) / direct if direct else float("nan")

if "askfirst" in modes:
    # Issue 17's table, askfirst's figure against each target (NaN compares false: "no").
    # Both legs full handshakes: the client that never resumes (wrk resumes the guest leg: see full_handshakes.py).
    new_tls = ratio("new TLS, no resumption: conns/s", "askfirst")
    squid_new_tls = ratio("new TLS, no resumption: conns/s", "squid") if "squid" in modes else None
    wrk_new_tls = ratio("new TLS connections/s", "askfirst")
    p50_added = figure("keep-alive p50 (ms)", "askfirst") - figure("keep-alive p50 (ms)", "direct")
    targets = [
        ("new TLS conns/s, both legs full", f"{new_tls:.2f}",
         ">= 0.50" + (f" and >= squid's {squid_new_tls:.2f}" if squid_new_tls is not None else ""),
         new_tls >= 0.5 and (squid_new_tls is None or new_tls >= squid_new_tls)),
        ("  same, wrk (guest leg resumed)", f"{wrk_new_tls:.2f}", ">= 0.50", wrk_new_tls >= 0.5),
        ("keep-alive p99 (ratio)", f"{ratio('keep-alive p99 (ms)', 'askfirst'):.2f}", "<= 3",
         ratio("keep-alive p99 (ms)", "askfirst") <= 3),
        ("keep-alive p50 added (ms)", f"{p50_added:+.2f}", "< +0.30", p50_added < 0.3),
        ("TLS bulk guest-ward (ratio)", f"{ratio('bulk download (MB/s)', 'askfirst'):.2f}", ">= 0.60",
         ratio("bulk download (MB/s)", "askfirst") >= 0.6),
        ("TLS bulk upstream-ward (ratio)", f"{ratio('bulk upload, PUT (MB/s)', 'askfirst'):.2f}", ">= 0.50",
         ratio("bulk upload, PUT (MB/s)", "askfirst") >= 0.5),
        ("RSS per idle TLS flow (KiB)", f"{figure(f'RSS per idle TLS flow at {IDLE_FLOWS} (KiB)', 'askfirst'):.1f}", "<= 15",
         figure(f"RSS per idle TLS flow at {IDLE_FLOWS} (KiB)", "askfirst") <= 15),
    ]
    print()
    print(f"{'issue 17 target':<34}{'askfirst':>10}  {'target':<30}met")
    for name, value, target, met in targets:
        print(f"{name:<34}{value:>10}  {target:<30}{'yes' if met else 'no'}")
print(f"(client on CPU {CLIENT_CPU}; nginx and the middlebox on CPU {SERVER_CPU}; nginx session cache and tickets "
      f"{'on (BENCH_RESUMPTION=1)' if RESUMPTION else 'off: full handshakes on both legs'}; bulk {BULK_MIB} MiB, best of {BULK_RUNS}; "
      f"wrk -t1 -c16 -d{SECONDS}s --latency on /{SMALL}, {WARMUP_SECONDS}s warm-up; new TLS: wrk with Connection: close; "
      f"CPU s: the middlebox's user+system time over the run; RSS: the middlebox's growth / flows; at the start {LOAD_AT_START}, at the end {load_average()})")
PY
