#!/usr/bin/env bash
# tests/bench/h2_bench.sh — HTTP/2 through askfirst (issue 16, "Benchmarks"):
# h2load over TLS (ALPN h2), many streams on few connections, against the
# same nginx (http2 on) directly and through `askfirst exec` (TAP + TCP
# termination + TLS MITM + the HTTP/2 session, every stream classified and
# audited + h2 upstream over TLS). Prints requests/s, p50/p99 of request
# time and the ratios; never fails because something is slow (only when
# nothing could be measured). h2load pinned to CPU 0, nginx and askfirstd to
# CPU 1 (taskset), as tests/bench/http_bench.sh.
#
# Usage: tests/bench/h2_bench.sh [BUILD_DIR]   (default: $ASKFIRST_BUILD_DIR or build)
# Environment: BENCH_REQUESTS (20000) per run; BENCH_CONNECTIONS (4); BENCH_STREAMS (32)
# concurrent streams per connection; BENCH_ROUNDS (3): alternating rounds, medians printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASKFIRST_BUILD_DIR=${1:-${ASKFIRST_BUILD_DIR:-build}}
exec /usr/bin/python3 - <<'PY'
import json, os, re, shutil, subprocess, sys, tempfile
sys.path[:0] = ["tests/integration", "tests/bench"]
import servers
from bench_lib import (CLIENT_CPU, SERVER_CPU, load_average, log, median, mint_origin_certificate, pin,
                       private_askfirst_home, require_tools, write_nginx_config)

require_tools("h2_bench", ["h2load", "nginx", "openssl", "taskset"])

BUILD = os.path.abspath(os.environ["ASKFIRST_BUILD_DIR"])
ASKFIRST = os.path.join(BUILD, "askfirst")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "32"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
HOST, MAPPED = "bench.h2.test", "198.51.100.44"  # RFC 5737: never dialed, upstream.map sends it to nginx

if not os.access(ASKFIRST, os.X_OK):
    sys.exit(f"h2_bench: no askfirst at {ASKFIRST}; build first (ninja -C {BUILD})")

work = tempfile.mkdtemp(prefix="askfirst-h2-bench-")
private_askfirst_home(work)
mint_origin_certificate(work, HOST, "askfirst h2 bench CA")
port = servers.free_port()
os.makedirs(f"{work}/root")
with open(f"{work}/root/small.txt", "w") as out:
    out.write("ok\n")
write_nginx_config(work, f"""    server {{
        listen 127.0.0.1:{port} ssl http2;
        http2_max_concurrent_streams 256;
        ssl_certificate {work}/origin.pem; ssl_certificate_key {work}/origin.key;
        root {work}/root;
    }}""")
nginx = subprocess.Popen(pin(["nginx", "-c", f"{work}/nginx.conf", "-p", work], SERVER_CPU),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
servers.wait_for_tcp("127.0.0.1", port)
profile = f"{work}/profile.json"
with open(profile, "w") as out:
    json.dump({"name": "h2-bench", "modes": {"default": "prompt-writes"}, "dns": {"hosts": {HOST: MAPPED}},
               "upstream": {"map": {f"{MAPPED}:443": f"127.0.0.1:{port}"}},
               "tls": {"extra_ca": [f"{work}/ca.pem"]}}, out)

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}

def h2load(prefix, url):
    # h2load's own ALPN is h2; it does not verify certificates (askfirst's CA needs no install here)
    command = prefix + pin(["h2load", "-n", str(REQUESTS), "-c", str(CONNECTIONS), "-m", str(STREAMS), url], CLIENT_CPU)
    out = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout
    rate = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    ok = re.search(r"(\d+) succeeded, (\d+) failed", out)
    protocol = re.search(r"Application protocol: (\S+)", out)
    if not rate or not ok:
        log(f"h2_bench: h2load printed no rate:\n{out}")
        return None
    if int(ok.group(2)) or not protocol or protocol.group(1) != "h2":
        log(f"h2_bench: {url}: {ok.group(0)}, protocol {protocol.group(1) if protocol else '?'}")
    # "time for request:   min  max  mean  sd  +/- sd": h2load prints no percentiles; mean and max are kept
    times = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", out)
    mean = float(times.group(5)) * UNITS[times.group(6)] if times else None
    worst = float(times.group(3)) * UNITS[times.group(4)] if times else None
    return {"rps": float(rate.group(1)), "mean": mean, "max": worst, "failed": int(ok.group(2))}

rounds = {"direct": [], "askfirst": []}
name = f"h2-bench-{os.getpid()}"
try:
    for index in range(ROUNDS):
        log(f"h2_bench: round {index + 1}/{ROUNDS}: direct, h2load -n{REQUESTS} -c{CONNECTIONS} -m{STREAMS} over TLS")
        rounds["direct"].append(h2load([], f"https://127.0.0.1:{port}/small.txt"))
        log(f"h2_bench: round {index + 1}/{ROUNDS}: through askfirst exec (every stream judged and audited)")
        rounds["askfirst"].append(h2load(pin([ASKFIRST, "exec", "--profile", profile, "--name", name, "--"], SERVER_CPU),
                                         f"https://{HOST}/small.txt"))
    audit = f"{work}/state/askfirst/audit/{name}.jsonl"
    audit_lines = sum(1 for _ in open(audit)) if os.path.exists(audit) else 0
finally:
    nginx.terminate()
    nginx.wait(10)
    shutil.rmtree(work, ignore_errors=True)

results = {}
for mode, measured in rounds.items():
    measured = [row for row in measured if row]
    if not measured:
        sys.exit(f"h2_bench: {mode} measured nothing (see above)")
    results[mode] = {key: median([row[key] for row in measured]) for key in ("rps", "mean", "max", "failed")}
fmt = lambda v, spec: "—" if v is None else format(v, spec)
print(f"{'h2 GET over TLS':<20}{'req/s':>10}{'mean ms':>10}{'max ms':>10}{'failed':>8}")
for mode, row in results.items():
    print(f"{mode:<20}{fmt(row['rps'], '.0f'):>10}{fmt(row['mean'], '.3f'):>10}{fmt(row['max'], '.3f'):>10}{row['failed']:>8}")
print(f"askfirst/direct req/s: {results['askfirst']['rps'] / results['direct']['rps']:.2f}")
print(f"audit lines written by askfirstd: {audit_lines} (one per stream; {ROUNDS} rounds of {REQUESTS})")
print(f"(medians of {ROUNDS} alternating rounds; h2load -c{CONNECTIONS} -m{STREAMS}; h2load on CPU {CLIENT_CPU}, "
      f"nginx and askfirstd on CPU {SERVER_CPU}; {load_average()})")
PY
