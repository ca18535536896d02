"""The audit log on real traffic (design.md invariant 8, issue 4's "Audit
log"): one line per decision, in order, written before the request goes
upstream; no secret (Authorization, Cookie, presigned-query signatures,
tokens, passwords) in it or in askfirstd's own log; and it survives
`kill -9` of askfirstd mid-traffic: every request the origin received has
its line, no torn line is ever read as a record (the reader's rule of
consent/audit_log.h, and `askfirst log --json`), and a restarted askfirstd
of the same name appends cleanly after it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from conftest import ASKFIRST, askfirstd_pid_of, kill_quietly
from http_origin import API_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

SECRETS = {
    "authorization": "Bearer sekrit-bearer-1f2e3d",
    "cookie": "session=sekrit-cookie-4c5b6a",
    "signature": "sekritsig0123456789abcdef",
    "token": "sekrit-query-token-778899",
    "password": "sekrit-password-001122",
}


def test_secrets_never_reach_the_audit_log_or_askfirstds_log(sandbox):
    query = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101&"
             f"X-Amz-Signature={SECRETS['signature']}&access_token={SECRETS['token']}&"
             f"password={SECRETS['password']}&page=2")
    script = (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' "
              f"-H 'Authorization: {SECRETS['authorization']}' -H 'Cookie: {SECRETS['cookie']}' "
              f"'https://{API_HOST}/bucket/key?{query}'")
    run = sandbox.run("block-destructive", script)  # a presigned URL is judged aws, a write
    assert run.lines() == ["200"], run.stdout + run.stderr
    # the secrets were really sent and forwarded unchanged (the MITM does not strip them)...
    request = run.received[0]
    assert request["headers"]["authorization"] == SECRETS["authorization"]
    assert request["headers"]["cookie"] == SECRETS["cookie"]
    assert SECRETS["signature"] in request["path"]
    # ...and none of them is in any log
    text = audit_path(run.name).read_text()
    for secret in SECRETS.values():
        secret_part = secret.split("=")[-1].split(" ")[-1]
        assert secret_part not in text, f"{secret_part} is in the audit log"
        assert secret_part not in run.stderr, f"{secret_part} is in askfirstd's log"
    [record] = run.audit
    assert record["path"].startswith("/bucket/key?") and "page=2" in record["path"]
    assert "X-Amz-Signature=" in record["path"]  # the name stays, the value is redacted


def test_one_line_per_decision_in_order_on_one_kept_alive_connection(sandbox):
    methods = ["GET", "POST", "GET", "DELETE", "PUT", "GET", "DELETE", "GET"]
    parts = [f"-X {method} https://{API_HOST}/order/{i}" for i, method in enumerate(methods)]
    script = ("curl -sS --max-time 30 -o /dev/null -w '%{http_code} %{num_connects}\\n' " +
              " --next -o /dev/null -w '%{http_code} %{num_connects}\\n' ".join(parts))
    run = sandbox.run("block-destructive", script)
    statuses = [line.split()[0] for line in run.lines()]
    expected = ["403" if method == "DELETE" else "200" for method in methods]
    assert statuses == expected, run.stdout + run.stderr
    assert sum(int(line.split()[1]) for line in run.lines()) == 1  # one connection for all of them
    assert [(r["method"], r["path"]) for r in run.audit] == [(m, f"/order/{i}") for i, m in enumerate(methods)]
    assert len({r["guest"] for r in run.audit}) == 1
    assert [r["path"] for r in run.received] == [f"/order/{i}" for i, m in enumerate(methods) if m != "DELETE"]


def log_json_lines(name: str) -> list[dict]:
    """`askfirst log --json`: every line it prints must be a whole JSON record."""
    done = subprocess.run([ASKFIRST, "log", "--json", "--name", name], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    records = []
    for line in done.stdout.splitlines():
        records.append(json.loads(line))  # a torn line here would raise
    return records


def test_audit_log_survives_kill_9_and_a_restart_appends_after_it(sandbox):
    name = sandbox.new_name()
    loop = (f"i=0; while [ $i -lt 400 ]; do i=$((i+1)); "
            f"curl -s --max-time 5 -o /dev/null -X POST -d x https://{API_HOST}/kill/$i || exit 0; done")
    before = len(sandbox.origin.requests())
    process = subprocess.Popen(sandbox.command(name, sandbox.profile(name, "off"), loop), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=sandbox.client_env())
    try:
        daemon = askfirstd_pid_of(process.pid, timeout=20)
        deadline = time.monotonic() + 60
        while len([r for r in sandbox.origin.requests()[before:] if r["path"].startswith("/kill/")]) < 15:
            assert time.monotonic() < deadline and process.poll() is None, "traffic did not start"
            time.sleep(0.05)
        os.kill(daemon, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        kill_quietly(process)
    received = [r["path"] for r in sandbox.origin.requests()[before:] if r["path"].startswith("/kill/")]
    records, torn = read_audit(name)
    assert len(torn) <= 1, torn  # at most the line being written when the kill landed
    logged = [r["path"] for r in records]
    assert logged == [f"/kill/{i}" for i in range(1, len(logged) + 1)], "lines out of order or missing"
    # invariant 8: every request that reached the origin had its line first
    assert set(received) <= set(logged), sorted(set(received) - set(logged))
    assert log_json_lines(name) == records

    # a kill in the middle of a write leaves a fragment without '\n'; simulate it,
    # then restart askfirstd under the same name: the fragment is never a record
    with open(audit_path(name), "ab") as audit:
        audit.write(b'{"time":"2026-01-01T00:00:00Z","vm":"' + name.encode() + b'","method":"POST","pa')
    again = subprocess.run(sandbox.command(name, sandbox.profile(name, "off"),
                                           f"curl -sS -o /dev/null -X POST https://{API_HOST}/after/1 && "
                                           f"curl -sS -o /dev/null https://{API_HOST}/after/2"),
                           capture_output=True, text=True, timeout=120, env=sandbox.client_env())
    assert again.returncode == 0, again.stderr
    records_after, torn_after = read_audit(name)
    assert records_after[:len(records)] == records
    assert [r["path"] for r in records_after[len(records):]] == ["/after/1", "/after/2"]
    assert len(torn_after) == len(torn) + 1  # the fragment, now ended by the writer, stays unreadable
    assert log_json_lines(name) == records_after
