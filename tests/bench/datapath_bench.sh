#!/usr/bin/env bash
# tests/bench/datapath_bench.sh — the data path's figures in one run, against
# one nginx on loopback: direct (no middlebox), pasta (Debian's passt), and
# `askfirst exec` (askfirstd on a TAP). Prints bulk MB/s guest-ward
# ("down") and upstream-ward ("up"), new flows/s (wrk, one connection per
# request) and RSS per idle relayed flow at 1000 flows, each as a ratio to
# direct (RSS: absolute; direct has no middlebox). The client is pinned to
# CPU 0, nginx and the middlebox to CPU 1 (taskset): on 2-core machines that
# halves the run-to-run spread. Never fails because something is slow.
#
# Usage: tests/bench/datapath_bench.sh [BUILD_DIR]   (default: build)
# Environment: BENCH_DOWN_MIB (1024), BENCH_UP_MIB (256), BENCH_FLOW_SECONDS (5), BENCH_IDLE_FLOWS (1000),
# BENCH_ROUNDS (3: each figure is the median of that many rounds, the three
# modes interleaved; one download varies by ±20 % on a shared 2-core VM),
# BENCH_ONLY (measure only the metrics whose label contains this text).
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASKFIRST_BUILD_DIR=${1:-${ASKFIRST_BUILD_DIR:-build}}
export BENCH_ROUNDS=${BENCH_ROUNDS:-3}
exec /usr/bin/python3 - <<'PY'
import json, os, re, shutil, subprocess, sys, time
sys.path[:0] = ["tests/integration", "tests/bench"]
import servers
from bench_lib import (CLIENT_CPU, SERVER_CPU, PinnedNginx, cmdline, find_in_tree, idle_growth_kib, load_average,
                       log, measure_all, pin, print_ratio_table, work_folder, write_random)

BUILD = os.path.abspath(os.environ["ASKFIRST_BUILD_DIR"])
ASKFIRST = os.path.join(BUILD, "askfirst")
DOWN_MIB = int(os.environ.get("BENCH_DOWN_MIB", "1024"))
UP_MIB = int(os.environ.get("BENCH_UP_MIB", "256"))
FLOW_SECONDS = int(os.environ.get("BENCH_FLOW_SECONDS", "5"))
IDLE_FLOWS = int(os.environ.get("BENCH_IDLE_FLOWS", "1000"))
MAPPED = "198.51.100.7"

work = work_folder("askfirst-bench-")
root = os.path.join(work, "root"); os.makedirs(root)
with open(os.path.join(root, "small.txt"), "w") as out:
    out.write("ok\n")
log(f"bench: generating {DOWN_MIB} MiB + {UP_MIB} MiB of test data in {work}")
write_random(os.path.join(root, "down.bin"), DOWN_MIB)
upload = os.path.join(work, "up.bin"); write_random(upload, UP_MIB)

nginx_dir = os.path.join(work, "nginx"); os.makedirs(nginx_dir)
with PinnedNginx():
    nginx = servers.Nginx(nginx_dir, root)
port = nginx.port

def default_gateway():
    route = subprocess.run(["ip", "-4", "route", "show", "default"], capture_output=True, text=True).stdout.split()
    return route[2] if len(route) > 2 and route[0] == "default" else None

profile = os.path.join(work, "profile.json")
with open(profile, "w") as out:
    # mode off: the data path is measured, not the consent (prompt-writes would hold the upload's PUT)
    json.dump({"name": "bench", "modes": {"default": "off"}, "upstream": {"map": {f"{MAPPED}:80": f"127.0.0.1:{port}"}}}, out)

modes = {"direct": ([], f"127.0.0.1:{port}")}
gateway = default_gateway()
if shutil.which("pasta") and gateway:
    pasta = ["pasta", "--config-net", "--quiet"] + (["--runas", "0"] if os.geteuid() == 0 else [])
    modes["pasta"] = (pin(pasta + ["--"], SERVER_CPU), f"{gateway}:{port}")
else:
    log("bench: pasta skipped (not installed, or no IPv4 default route for its gateway mapping)")
modes["askfirst"] = (pin([ASKFIRST, "exec", "--profile", profile, "--"], SERVER_CPU), f"{MAPPED}:80")

def run_in(mode, command, timeout=600):
    prefix, _ = modes[mode]
    result = subprocess.run(prefix + pin(command, CLIENT_CPU), capture_output=True, text=True, timeout=timeout)
    return result.stdout

def bulk_down(mode):
    out = run_in(mode, ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", f"http://{modes[mode][1]}/down.bin"])
    return float(out or 0) / 1e6

def bulk_up(mode):
    out = run_in(mode, ["curl", "-s", "-o", "/dev/null", "-w", "%{speed_upload}", "-T", upload,
                        f"http://{modes[mode][1]}/upload/up.bin"])
    return float(out or 0) / 1e6

def new_flows(mode):
    out = run_in(mode, ["wrk", "-t1", "-c16", f"-d{FLOW_SECONDS}s", "-H", "Connection: close",
                        f"http://{modes[mode][1]}/small.txt"])
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else 0.0

HOLDER = r'''
import resource, socket, sys, time, os
n, host, port, ready, stop = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
open(ready + ".0", "w").close(); time.sleep(1.0)
held = [socket.create_connection((host, port), timeout=30) for _ in range(n)]
open(ready, "w").close()
while not os.path.exists(stop): time.sleep(0.1)
'''

def middlebox_pid(top):
    """The pasta or askfirstd process serving the sandbox started as `top`."""
    # pasta runs as its own binary name "passt[.avx2]"; its main process is the one we started.
    return find_in_tree(top, lambda pid, comm: comm.startswith(("pasta", "passt")) or
                        (comm == "askfirstd" and b"--tap-fd" in cmdline(pid)))  # (not exec's `askfirstd --help` probe)

def idle_flow_kib(mode):
    if mode == "direct":
        return None
    holder = os.path.join(work, "holder.py")
    with open(holder, "w") as out:
        out.write(HOLDER)
    ready, stop = os.path.join(work, f"ready-{mode}"), os.path.join(work, f"stop-{mode}")
    host, port_text = modes[mode][1].rsplit(":", 1)
    prefix, _ = modes[mode]
    return idle_growth_kib(prefix + ["python3", holder, str(IDLE_FLOWS), host, port_text, ready, stop],
                           IDLE_FLOWS, ready, stop, middlebox_pid, timeout=60)

rows = {"bulk down (MB/s)": bulk_down, "bulk up (MB/s)": bulk_up, "new flows/s": new_flows,
        f"RSS per idle flow at {IDLE_FLOWS} (KiB)": idle_flow_kib}
results = measure_all(rows, modes)

nginx.stop()
shutil.rmtree(work, ignore_errors=True)

print_ratio_table(rows, list(modes), results, label_width=34, value_width=12, digits=1)
print(f"(client on CPU {CLIENT_CPU}; nginx and the middlebox on CPU {SERVER_CPU}; down {DOWN_MIB} MiB, up {UP_MIB} MiB, "
      f"flows: wrk -c16 {FLOW_SECONDS}s with Connection: close; {load_average()})")
PY
