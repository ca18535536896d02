#!/usr/bin/env bash
# tests/bench/database_bench.sh — database statements through `askfirst exec`
# against the same loopback servers directly: pgbench -S (select-only, one
# SELECT per transaction, simple and extended protocol) on PostgreSQL 15 and
# redis-benchmark GET (one connection, then 16 commands pipelined) on
# redis-server. Each statement through askfirst is framed, classified (SQL by
# libpg_query, Redis by its command table), judged by the mode
# (block-destructive: reads pass) and audited before it goes upstream.
# Prints statements/s and p50 latency side by side, each the median of
# BENCH_ROUNDS rounds (direct and through askfirst alternate, so a busy
# shared machine weighs on both alike), and the p50 askfirst adds. Never
# fails because something is slow.
#
# Usage: tests/bench/database_bench.sh [BUILD_DIR]  (default: $ASKFIRST_BUILD_DIR or build)
# Environment: BENCH_SECONDS (5): each pgbench run; BENCH_REQUESTS (20000): each redis-benchmark run;
# BENCH_ROUNDS (3): runs of each row, the median reported.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ASKFIRST_BUILD_DIR=${1:-${ASKFIRST_BUILD_DIR:-build}}
exec /usr/bin/python3 - <<'PY'
import json, os, re, statistics, subprocess, sys, tempfile
sys.path[:0] = ["tests/integration", "tests/bench"]
from bench_lib import log, private_askfirst_home, require_tools

require_tools("database_bench", ["pgbench", "psql", "redis-server", "redis-benchmark", "runuser"])
import database_rig  # noqa: E402  (after the tool check: it imports pytest only for skip())

BUILD = os.path.abspath(os.environ["ASKFIRST_BUILD_DIR"])
ASKFIRST = os.path.join(BUILD, "askfirst")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
work = tempfile.mkdtemp(prefix="askfirst-dbbench-")
private_askfirst_home(work)


def through_askfirst(profile, script):
    path = os.path.join(work, "profile.json")
    with open(path, "w") as out:
        json.dump(profile, out)
    name = f"dbbench-{os.getpid()}"
    done = subprocess.run([ASKFIRST, "exec", "--profile", path, "--name", name, "--", "sh", "-c", script],
                          capture_output=True, text=True, timeout=600, cwd=work)
    return done.stdout + done.stderr


def direct(script):
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=600, cwd=work)
    return done.stdout + done.stderr


def pgbench_figures(output, log_prefix):
    tps = float(re.search(r"tps = ([0-9.]+)", output).group(1))
    latencies = []
    for name in os.listdir(work):
        if name.startswith(log_prefix):
            with open(os.path.join(work, name)) as lines:
                latencies += [int(line.split()[2]) for line in lines if line.strip()]
            os.unlink(os.path.join(work, name))
    return tps, statistics.median(latencies) / 1000.0


postgres = database_rig.Postgres()
redis = database_rig.Redis()
rows = []
try:
    postgres.sql("select 1")
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", "-h", str(postgres.dir), "-p", str(postgres.port), "-U", "postgres",
                    "postgres"], check=True, capture_output=True)
    pg_profile = {"name": "dbbench", "modes": {"default": "block-destructive"},
                  "dns": {"hosts": {"db.test": "198.51.100.20"}},
                  "upstream": {"map": {"198.51.100.20:5432": f"127.0.0.1:{postgres.port}"}}}
    for _round, protocol in [(r, p) for r in range(ROUNDS) for p in ("simple", "extended")]:
        for where in ("direct", "askfirst"):
            host = f"127.0.0.1 -p {postgres.port}" if where == "direct" else "db.test -p 5432"
            prefix = f"pgbench_log_{protocol}_{where}"
            script = (f"PGSSLMODE=disable pgbench -S -n -M {protocol} -c 1 -T {SECONDS} -l --log-prefix={prefix} "
                      f"-h {host} -U postgres postgres")
            output = direct(script) if where == "direct" else through_askfirst(pg_profile, script)
            tps, p50 = pgbench_figures(output, prefix)
            rows.append((f"pgbench -S -M {protocol}", where, tps, p50))
            log(f"{rows[-1]}")
    redis_profile = {"name": "dbbench", "modes": {"default": "block-destructive"},
                     "dns": {"hosts": {"cache.test": "198.51.100.21"}},
                     "upstream": {"map": {"198.51.100.21:6379": f"127.0.0.1:{redis.port}"}}}
    for _round, pipeline in [(r, p) for r in range(ROUNDS) for p in (1, 16)]:
        for where in ("direct", "askfirst"):
            host = f"127.0.0.1 -p {redis.port}" if where == "direct" else "cache.test -p 6379"
            script = f"redis-benchmark -h {host} -t get -n {REQUESTS} -c 1 -P {pipeline} -q"
            output = direct(script) if where == "direct" else through_askfirst(redis_profile, script)
            match = re.search(r"GET: ([0-9.]+) requests per second, p50=([0-9.]+) msec", output)
            rows.append((f"redis-benchmark GET -P {pipeline}", where, float(match.group(1)), float(match.group(2))))
            log(f"{rows[-1]}")
finally:
    postgres.stop()
    redis.stop()

medians = {}
for workload, where, rate, p50 in rows:
    rates, p50s = medians.setdefault((workload, where), ([], []))
    rates.append(rate)
    p50s.append(p50)
print(f"median of {ROUNDS} rounds each")
print(f"{'workload':28} {'path':9} {'statements/s':>13} {'p50 ms':>8} {'added p50 ms':>13}")
for (workload, where), (rates, p50s) in medians.items():
    p50 = statistics.median(p50s)
    added = p50 - statistics.median(medians[(workload, "direct")][1]) if where == "askfirst" else 0.0
    shown = f"{added:13.3f}" if where == "askfirst" else ""
    print(f"{workload:28} {where:9} {statistics.median(rates):13.0f} {p50:8.3f} {shown}")
PY
