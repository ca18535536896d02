"""The credential broker on real traffic (issue 13): the sandbox holds stubs,
askfirstd puts the real secret in only for the hosts its entry lists and only
after the request was decided; a stub sent anywhere else is refused and
quarantines the session; a real-looking credential askfirst did not issue is
asked about or refused as `unissued_credentials` says. Every test also greps
what askfirstd wrote (audit log, its stderr) for the real secret.

Clients are real (curl, awscli), the server is the loopback origin of
http_origin.py, which records the headers that reached it.
"""
from __future__ import annotations

import os

from http_origin import API_HOST, GIT_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)
from http_rig import audit_path

REAL_TOKEN = "ghp_" + "R3alT0kenOnTheHostOnly0123456789abcd"  # the shape of a GitHub token, 40 chars
STUB_TOKEN = "ghp_" + "StubTokenInTheSandbox0123456789abcdef"
FOREIGN_TOKEN = "ghp_" + "N0tIssuedByAskfirst0123456789abcdefg"


def bearer_entry(**extra) -> dict:
    entry = {"name": "api", "kind": "bearer", "hosts": [API_HOST],
             "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"}, "stub": STUB_TOKEN}
    entry.update(extra)
    return entry


def curl(host: str, token: str, method: str = "GET", path: str = "/v1/things") -> str:
    return (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' -X {method} "
            f"-H 'Authorization: Bearer {token}' https://{host}{path}")


def run_with_credentials(sandbox, script: str, entries: list[dict], mode: str = "off", **extra):
    os.environ["ASKFIRST_TEST_REAL_TOKEN"] = REAL_TOKEN  # askfirstd's own environment (inherited through exec)
    try:
        return sandbox.run(mode, script, extra={"credentials": entries, **extra})
    finally:
        del os.environ["ASKFIRST_TEST_REAL_TOKEN"]


def assert_real_secret_nowhere(run, secret: str = REAL_TOKEN) -> None:
    assert secret not in audit_path(run.name).read_text(), "the real secret is in the audit log"
    assert secret not in run.stderr, "the real secret is in askfirstd's log"
    assert secret not in run.stdout, "the real secret reached the guest"


def test_curl_with_the_stub_bearer_reaches_the_server_with_the_real_token(sandbox):
    run = run_with_credentials(sandbox, curl(API_HOST, STUB_TOKEN), [bearer_entry()])
    assert run.lines() == ["200"], run.stdout + run.stderr
    [request] = run.received
    assert request["headers"]["authorization"] == f"Bearer {REAL_TOKEN}"
    [record] = run.audit
    assert record["decision"] == "pass"
    assert_real_secret_nowhere(run)


def test_a_request_without_the_stub_goes_upstream_unchanged(sandbox):
    run = run_with_credentials(sandbox, curl(API_HOST, "not-a-credential-at-all"), [bearer_entry()])
    assert run.lines() == ["200"], run.stdout + run.stderr
    assert run.received[0]["headers"]["authorization"] == "Bearer not-a-credential-at-all"


def test_the_stub_sent_to_an_unlisted_host_is_refused_and_quarantines_the_session(sandbox):
    script = "; ".join([
        curl(GIT_HOST, STUB_TOKEN),                          # the leak
        curl(API_HOST, STUB_TOKEN, "POST", "/v1/things"),    # a write afterwards: quarantined
        curl(API_HOST, STUB_TOKEN, "GET", "/v1/things"),     # a read still passes
    ])
    run = run_with_credentials(sandbox, script, [bearer_entry()])
    assert run.lines() == ["403", "403", "200"], run.stdout + run.stderr
    assert [r["method"] for r in run.received] == ["GET"]  # only the read reached the origin
    leak, write, read = run.audit
    assert leak["decision"] == "refused" and leak["host"] == GIT_HOST
    assert "credential stub" in leak["reason"] and '"api"' in leak["reason"] and "does not list" in leak["reason"]
    assert STUB_TOKEN not in leak["reason"]
    assert write["decision"] == "refused" and "quarantined" in write["reason"]
    assert read["decision"] == "pass"
    assert "event=session_quarantined" in run.stderr
    assert_real_secret_nowhere(run)


def test_the_leak_refusal_body_says_a_stub_was_sent_to_an_unlisted_host(sandbox):
    script = (f"curl -sS --max-time 30 -H 'Authorization: Bearer {STUB_TOKEN}' https://{GIT_HOST}/x")
    run = run_with_credentials(sandbox, script, [bearer_entry()])
    assert "credential stub" in run.stdout and "does not list" in run.stdout, run.stdout + run.stderr
    assert '"api"' in run.stdout or "\\\"api\\\"" in run.stdout
    assert_real_secret_nowhere(run)


def test_an_unissued_github_token_is_refused_when_nobody_can_be_asked(sandbox):
    # Default: prompt on a listed host; with no one listening consent.no_ui (deny) answers.
    run = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()])
    assert run.lines() == ["403"], run.stdout + run.stderr
    assert run.received == []
    [record] = run.audit
    assert record["decision"] == "refused" and "does not hold" in record["reason"]
    assert FOREIGN_TOKEN not in audit_path(run.name).read_text()


def test_unissued_credentials_block_and_allow(sandbox):
    blocked = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()],
                                   unissued_credentials="block")
    assert blocked.lines() == ["403"] and blocked.received == []
    assert '"block"' in blocked.audit[0]["reason"]
    allowed = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()],
                                   unissued_credentials="allow")
    assert allowed.lines() == ["200"], allowed.stdout + allowed.stderr
    assert allowed.received[0]["headers"]["authorization"] == f"Bearer {FOREIGN_TOKEN}"


def test_an_unissued_token_on_a_host_no_entry_lists_passes_by_default(sandbox):
    run = run_with_credentials(sandbox, curl(GIT_HOST, FOREIGN_TOKEN), [bearer_entry()])
    assert run.lines() == ["404"], run.stdout + run.stderr  # the git origin's own answer: it got there
    assert run.received[0]["headers"]["authorization"] == f"Bearer {FOREIGN_TOKEN}"


def test_a_source_that_fails_stops_askfirstd_with_the_entrys_name(sandbox):
    entry = bearer_entry(source={"env": "ASKFIRST_TEST_UNSET_VARIABLE"})
    run = sandbox.run("off", "true", extra={"credentials": [entry]})
    assert run.returncode != 0
    assert 'credentials "api"' in run.stderr and "ASKFIRST_TEST_UNSET_VARIABLE" in run.stderr
