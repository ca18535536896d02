"""The decision table of design.md ("Decisions") on real traffic: curl in an
`askfirst exec` sandbox sends GET (read), POST and PUT (write) and DELETE
(destructive) over HTTPS through askfirstd's MITM to the loopback origin,
once per mode. Each case checks the status curl saw, the 403's JSON body,
what reached the origin, and the audit line of every decision, in order.
Nobody listens on the control socket, so "ask" is decided by
consent.no_ui = deny.
"""
from __future__ import annotations

import json

import pytest

from http_origin import API_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

# (method, tier of the generic classifier)
REQUESTS = [("GET", "read"), ("POST", "write"), ("PUT", "write"), ("DELETE", "destructive")]

# mode → tier → decision (design.md's table; "ask" with no one listening is a deny)
TABLE = {
    "off": {"read": "pass", "write": "pass", "destructive": "pass"},
    "block-destructive": {"read": "pass", "write": "pass", "destructive": "block"},
    "prompt-destructive": {"read": "pass", "write": "pass", "destructive": "ask"},
    "prompt-writes": {"read": "pass", "write": "ask", "destructive": "ask"},
    "block-writes": {"read": "pass", "write": "block", "destructive": "block"},
}


def curl_script(mode: str) -> str:
    lines = []
    for method, _tier in REQUESTS:
        path = f"/modes/{mode}/{method.lower()}"
        lines.append(f"curl -sS --max-time 30 -X {method} -d 'payload-{method}' -o /tmp/body.$$ "
                     f"-w '%{{http_code}} ' https://{API_HOST}{path}; cat /tmp/body.$$; echo")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", list(TABLE))
def test_curl_methods_are_decided_by_the_mode_table(sandbox, mode):
    run = sandbox.run(mode, curl_script(mode))
    assert run.returncode == 0, run.stderr
    lines = run.lines()
    assert len(lines) == len(REQUESTS), run.stdout + run.stderr
    expected_paths = []
    for (method, tier), line in zip(REQUESTS, lines):
        status, _, body = line.partition(" ")
        expected = TABLE[mode][tier]
        if expected == "pass":
            assert status == "200", (method, line)
            expected_paths.append(f"/modes/{mode}/{method.lower()}")
        else:
            assert status == "403", (method, line)
            denial = json.loads(body)
            assert denial["error"] == "askfirst_denied"
            assert (denial["provider"], denial["tier"], denial["mode"]) == ("generic", tier, mode)
            assert method in denial["operation"]
            if expected == "ask":
                assert "no one is listening for questions" in denial["reason"], denial
                assert "askfirst prompts" in denial["reason"]
            else:
                assert "refuses" in denial["reason"]
    # what reached the origin: exactly the passed ones, in order, with their bodies
    assert [r["path"] for r in run.received] == expected_paths
    for request in run.received:
        assert request["body"] == "payload-" + request["method"]
    # one audit line per decision, in order, agreeing with what happened
    assert run.torn == []
    assert [(r["method"], r["tier"], r["decision"]) for r in run.audit] == [
        (method, tier, "pass" if TABLE[mode][tier] == "pass" else "block") for method, tier in REQUESTS], run.audit
    assert all(r["mode"] == mode and r["decided_by"] == "policy" and r["host"] == API_HOST for r in run.audit)


def test_per_provider_mode_overrides_the_default(sandbox):
    """modes.generic = off beats default block-writes for the generic provider."""
    run = sandbox.run("block-writes", curl_script("override"), modes={"generic": "off"})
    assert [line.split()[0] for line in run.lines()] == ["200"] * len(REQUESTS), run.stdout + run.stderr
    assert len(run.received) == len(REQUESTS)
    assert {r["mode"] for r in run.audit} == {"off"}
