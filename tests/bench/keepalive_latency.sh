#!/usr/bin/env bash
# tests/bench/keepalive_latency.sh — keep-alive tail latency through
# `askfirst exec` against the same loopback nginx directly: the smallest rig
# that shows a per-request stall in the guest TCP path (lwIP, TAP, relay).
# Plain HTTP and TLS, wrk -t1 with 1 and 16 connections, each run's latency
# distribution (p50/p90/p99/p99.9/p99.99/max) printed side by side; then the
# first and the second request of N connections opened at once (curl, two
# GETs on one connection each), which separates the cost of a new flow from
# the steady keep-alive path. wrk on CPU 0, nginx and askfirstd on CPU 1.
# Never fails because something is slow.
#
# Reading wrk's percentiles: wrk (4.x) corrects for coordinated omission
# after the run (stats_correct): every request slower than the mean interval
# per connection adds synthetic samples down to that interval. A handful of
# slow first requests (each new flow's TLS handshake at askfirstd) therefore
# becomes 1-2 % of all samples and sets p99 of a short run; BENCH_WARMUP
# leaves them out, the first-request table shows them directly.
#
# Usage: tests/bench/keepalive_latency.sh [BUILD_DIR]  (default: $ASKFIRST_BUILD_DIR or build)
# Environment: BENCH_SECONDS (5): each wrk run; BENCH_CONNECTIONS ("1 16");
# BENCH_SCHEMES ("http https"); BENCH_WARMUP (0): seconds of an unmeasured wrk run in
# the same guest first, so that the first handshakes and cache fills are left out;
# BENCH_BURST (16): connections opened at once for the first-request table;
# BENCH_SPLIT_POSTS (200): keep-alive POSTs for the split-write table.
#
# The split-write table: one connection, each POST written as two send()s
# (headers, then a 200-byte body) with Nagle on, as clients without
# TCP_NODELAY do. The body waits for the ACK of the headers; the server needs
# the body before it answers, so that ACK is a delayed one: Linux's 40 ms
# direct; through askfirst lwIP's 250 ms tick (the guest's 200 ms RTO fired
# first: ~206 ms per request) until netstack sent them within kGuestAckDelayMs.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASKFIRST_BUILD_DIR=${1:-${ASKFIRST_BUILD_DIR:-build}}
exec /usr/bin/python3 - <<'PY'
import json, os, re, shutil, subprocess, sys, tempfile
sys.path[:0] = ["tests/integration", "tests/bench"]
import servers
from bench_lib import (CLIENT_CPU, SERVER_CPU, after_wrk_warmup, load_average, log, mint_origin_certificate, pin,
                       private_askfirst_home, require_tools, write_nginx_config)

require_tools("keepalive_latency", ["wrk", "nginx", "openssl", "taskset"])

BUILD = os.path.abspath(os.environ["ASKFIRST_BUILD_DIR"])
ASKFIRST = os.path.join(BUILD, "askfirst")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "1 16").split()]
SCHEMES = os.environ.get("BENCH_SCHEMES", "http https").split()
HOST, MAPPED = "latency.bench.test", "198.51.100.41"  # RFC 5737: never dialed, upstream.map sends it to nginx
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
PERCENTILES = ("50", "90", "99", "99.9", "99.99")
WARMUP = int(os.environ.get("BENCH_WARMUP", "0"))
BURST = int(os.environ.get("BENCH_BURST", "16"))

if not os.access(ASKFIRST, os.X_OK):
    sys.exit(f"keepalive_latency: no askfirst at {ASKFIRST}; build first (ninja -C {BUILD})")
work = tempfile.mkdtemp(prefix="askfirst-latency-bench-")
private_askfirst_home(work, ("root",))
mint_origin_certificate(work, HOST, "askfirst latency bench CA")
with open(f"{work}/root/small.txt", "w") as out:
    out.write("ok\n")
plain_port, tls_port = servers.free_port(), servers.free_port()
write_nginx_config(work, f"""    server {{
        listen 127.0.0.1:{plain_port}; root {work}/root;
        # reads the whole POST body first (request buffering), then answers with small.txt
        location /post {{ proxy_pass http://127.0.0.1:{plain_port}/small.txt; proxy_method GET; }}
    }}
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {work}/origin.pem; ssl_certificate_key {work}/origin.key;
        root {work}/root;
    }}""")
nginx = subprocess.Popen(pin(["nginx", "-c", f"{work}/nginx.conf", "-p", work], SERVER_CPU),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
servers.wait_for_tcp("127.0.0.1", plain_port)
servers.wait_for_tcp("127.0.0.1", tls_port)
profile = f"{work}/profile.json"
with open(profile, "w") as out:
    json.dump({"name": "latency-bench", "modes": {"default": "off"}, "dns": {"hosts": {HOST: MAPPED}},
               "upstream": {"map": {f"{MAPPED}:80": f"127.0.0.1:{plain_port}",
                                    f"{MAPPED}:443": f"127.0.0.1:{tls_port}"}},
               "tls": {"extra_ca": [f"{work}/ca.pem"]}}, out)

def wrk(prefix, url, connections):
    measured = pin(["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", script, url], CLIENT_CPU)
    command = prefix + after_wrk_warmup(measured, url, connections, WARMUP)  # WARMUP 0: as measured
    out = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 120).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    row = {p: float(v) / 1e3 for p, v in re.findall(r"^percentile (\S+) ([\d.]+)$", out, re.M)}
    counted = re.search(r"^requests (\d+)$", out, re.M)
    row["requests"] = int(counted.group(1)) if counted else None
    worst = re.search(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out, re.M)
    if worst:
        row["max"] = float(worst.group(1)) * UNITS[worst.group(2)]
    if not rate:
        log(f"keepalive_latency: wrk printed no rate:\n{out}")
        return None
    row["rps"] = float(rate.group(1))
    return row

# wrk's done() hook: finer percentiles than --latency prints
script = f"{work}/percentiles.lua"
with open(script, "w") as out:
    out.write("""done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 99, 99.9, 99.99}) do io.write(string.format("percentile %g %d\\n", p, latency:percentile(p))) end
  io.write(string.format("requests %d\\n", summary.requests))
end
""")
SPLIT_POSTS = int(os.environ.get("BENCH_SPLIT_POSTS", "200"))
SPLIT_CLIENT = r'''
import socket, sys, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = b"x" * 200
head = b"POST /post HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Length: 200\r\n\r\n"
connection = socket.create_connection((host, port))  # Nagle stays on
for _ in range(count):
    started = time.perf_counter()
    connection.sendall(head)
    connection.sendall(body)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += connection.recv(65536)
    header, rest = answer.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in header.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(rest) < length:
        rest += connection.recv(65536)
    if not header.startswith(b"HTTP/1.1 200"):
        sys.exit("split-write POST answered " + header.split(b"\r\n")[0].decode())
    print(f"{(time.perf_counter() - started) * 1e3:.3f}")
'''

def split_posts(prefix, host, port):
    """Latencies (ms, sorted) of SPLIT_POSTS keep-alive POSTs written as headers then body."""
    done = subprocess.run(prefix + ["python3", "-c", SPLIT_CLIENT, host, str(port), str(SPLIT_POSTS)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        log(f"keepalive_latency: split-write POSTs failed: {done.stderr.strip()[-300:]}")
    return sorted(float(line) for line in done.stdout.split())

def burst(prefix, url):
    """BURST curls at once, each two GETs on one connection: the request times
    (start of transfer minus end of connect/handshake) of first and second GETs."""
    one = (f"curl -sk -w '%{{time_connect}} %{{time_pretransfer}} %{{time_starttransfer}}\\n' "
           f"-o /dev/null {url} -o /dev/null {url}")
    shell = f"for i in $(seq {BURST}); do {one} & done; wait"
    out = subprocess.run(prefix + ["sh", "-c", shell], capture_output=True, text=True, timeout=120).stdout
    first, second = [], []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3:  # a reused connection reports time_connect 0
            (first if float(fields[0]) > 0 else second).append((float(fields[2]) - float(fields[1])) * 1e3)
    return sorted(first), sorted(second)

rows = []
bursts = []
splits = []
try:
    for scheme in SCHEMES:
        port = plain_port if scheme == "http" else tls_port
        for connections in CONNECTIONS:
            direct = wrk([], f"{scheme}://127.0.0.1:{port}/small.txt", connections)
            through = wrk(pin([ASKFIRST, "exec", "--profile", profile, "--name", f"latency-{os.getpid()}", "--"],
                              SERVER_CPU), f"{scheme}://{HOST}/small.txt", connections)
            rows += [(f"{scheme} -c{connections} direct", direct), (f"{scheme} -c{connections} askfirst", through)]
        exec_prefix = pin([ASKFIRST, "exec", "--profile", profile, "--name", f"latency-{os.getpid()}", "--"], SERVER_CPU)
        bursts.append((f"{scheme} direct", burst(pin([], CLIENT_CPU), f"{scheme}://127.0.0.1:{port}/small.txt")))
        bursts.append((f"{scheme} askfirst", burst(exec_prefix + pin([], CLIENT_CPU), f"{scheme}://{HOST}/small.txt")))
    if SPLIT_POSTS > 0:
        splits.append(("direct", split_posts(pin([], CLIENT_CPU), "127.0.0.1", plain_port)))
        splits.append(("askfirst", split_posts(pin([ASKFIRST, "exec", "--profile", profile, "--name", f"latency-{os.getpid()}",
                                                    "--"], SERVER_CPU) + pin([], CLIENT_CPU), HOST, 80)))
finally:
    nginx.terminate()
    nginx.wait(10)
    shutil.rmtree(work, ignore_errors=True)

fmt = lambda v: "—" if v is None else f"{v:.3f}"
print(f"{'keep-alive GET':<24}{'req/s':>9}" + "".join(f"{'p' + p + ' ms':>10}" for p in PERCENTILES) + f"{'max ms':>10}{'requests':>10}")
for label, row in rows:
    row = row or {}
    print(f"{label:<24}{row.get('rps', 0):>9.0f}" + "".join(f"{fmt(row.get(p)):>10}" for p in PERCENTILES)
          + f"{fmt(row.get('max')):>10}{row.get('requests') or 0:>10}")
print(f"(wrk -t1 -d{SECONDS}s on CPU {CLIENT_CPU}; nginx and askfirstd on CPU {SERVER_CPU}; {load_average()})")
print()
print(f"{BURST} connections at once, 2 GETs each   {'1st median':>11}{'1st max':>9}{'2nd median':>11}{'2nd max':>9}  (ms)")
for label, (first, second) in bursts:
    middle = lambda values: fmt(values[len(values) // 2] if values else None)
    print(f"{label:<38}{middle(first):>11}{fmt(first[-1] if first else None):>9}"
          f"{middle(second):>11}{fmt(second[-1] if second else None):>9}  ({len(first)}+{len(second)} measured)")
if splits:
    print()
    print(f"{'keep-alive POST, headers then body':<38}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}  (ms, Nagle on)")
    for label, values in splits:
        at = lambda share: fmt(values[min(len(values) - 1, int(len(values) * share))] if values else None)
        print(f"{label:<38}{at(0.5):>9}{at(0.9):>9}{at(0.99):>9}{fmt(values[-1] if values else None):>9}  ({len(values)} measured)")
PY
