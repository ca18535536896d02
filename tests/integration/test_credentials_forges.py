"""The credential broker with the forges' own clients (issue 13): gh with a
stub token (GH_TOKEN from guest_env, or the stub ~/.config/gh/hosts.yml bound
over the host's) reaches "api.github.com" (the loopback origin of
http_origin.py, by dns.hosts) with the real token; gh pointed at another host
(GH_HOST, a GitHub Enterprise) sends the stub there and is refused, the
session quarantined; git with a stub basic pair sent to a host its entry does
not list is refused the same way and the push after it never arrives. The
real secrets are looked for in everything askfirstd wrote and the sandbox
printed.
"""
from __future__ import annotations

import os
import shutil

import pytest

from http_origin import API_HOST, GIT_HOST, GITHUB_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)
from http_rig import HttpSandbox, audit_path

REAL_GH_TOKEN = "gho_" + "R3alGhT0kenOnTheHostOnly0123456789abcd"
STUB_GH_TOKEN = "gho_" + "StubGhTokenInTheSandbox0123456789abcde"
GH_ENV = "export GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 GH_CONFIG_DIR=$HOME/.config/gh; "


def need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (tools/setup.sh)")


def run_with(sandbox: HttpSandbox, script: str, entries: list[dict], real: str, mode: str = "off"):
    os.environ["ASKFIRST_TEST_REAL_TOKEN"] = real  # askfirstd's own environment (inherited through exec)
    try:
        return sandbox.run(mode, script, extra={"credentials": entries})
    finally:
        del os.environ["ASKFIRST_TEST_REAL_TOKEN"]


def github_entry(**extra) -> dict:
    entry = {"name": "github", "kind": "bearer", "hosts": [GITHUB_HOST, "github.com"],
             "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"}, "stub": STUB_GH_TOKEN, "guest_env": ["GH_TOKEN"]}
    entry.update(extra)
    return entry


def assert_nowhere(run, secret: str) -> None:
    assert secret not in audit_path(run.name).read_text(), "the real secret is in the audit log"
    assert secret not in run.stderr, "the real secret is in askfirstd's log"
    assert secret not in run.stdout, "the real secret reached the sandbox"


def test_gh_with_the_stub_gh_token_reaches_github_with_the_real_token(sandbox):
    need("gh")
    run = run_with(sandbox, GH_ENV + "echo token=$GH_TOKEN; gh api user; echo gh=$?", [github_entry()], REAL_GH_TOKEN)
    assert "gh=0" in run.stdout, run.stdout + run.stderr
    assert f"token={STUB_GH_TOKEN}" in run.stdout  # the sandbox holds the stub
    [request] = [r for r in run.received if r["path"].startswith("/user")]
    assert request["host"] == GITHUB_HOST
    assert request["headers"]["authorization"] in (f"token {REAL_GH_TOKEN}", f"Bearer {REAL_GH_TOKEN}")
    assert {r["provider"] for r in run.audit} == {"github"}, run.audit
    assert_nowhere(run, REAL_GH_TOKEN)


def test_gh_reads_the_stub_hosts_yml_bound_over_the_real_one(sandbox, tmp_path):
    need("gh")
    gh_dir = tmp_path / ".config" / "gh"
    gh_dir.mkdir(parents=True)
    (gh_dir / "hosts.yml").write_text(f"github.com:\n    oauth_token: {REAL_GH_TOKEN}\n    user: alice\n"
                                      "    git_protocol: https\n")
    (gh_dir / "hosts.yml").chmod(0o600)
    entry = github_entry()
    del entry["guest_env"]  # no GH_TOKEN: gh takes its token from hosts.yml
    script = GH_ENV + "unset GH_TOKEN GITHUB_TOKEN; cat $GH_CONFIG_DIR/hosts.yml; gh api user; echo gh=$?"
    run = run_with(sandbox, script, [entry], REAL_GH_TOKEN)
    assert "gh=0" in run.stdout, run.stdout + run.stderr
    assert STUB_GH_TOKEN in run.stdout  # the hosts.yml inside holds the stub
    [request] = [r for r in run.received if r["path"].startswith("/user")]
    assert request["headers"]["authorization"] in (f"token {REAL_GH_TOKEN}", f"Bearer {REAL_GH_TOKEN}")
    assert_nowhere(run, REAL_GH_TOKEN)


def test_gh_sending_the_stub_to_another_host_is_refused_and_quarantines_the_session(sandbox):
    """GH_HOST names a GitHub Enterprise the entry does not list: gh sends the same stub there (as
    GH_ENTERPRISE_TOKEN), askfirstd refuses it as a leak and quarantines the session: a write to
    api.github.com afterwards is refused too, and neither reaches the origin."""
    need("gh")
    script = (GH_ENV + f"GH_HOST={GIT_HOST} GH_ENTERPRISE_TOKEN=$GH_TOKEN gh api user; echo leak=$?; "
              "gh api -X POST user/repos -f name=x; echo write=$?")
    run = run_with(sandbox, script, [github_entry()], REAL_GH_TOKEN)
    assert "leak=0" not in run.stdout and "leak=" in run.stdout, run.stdout + run.stderr
    assert "write=0" not in run.stdout and "write=" in run.stdout, run.stdout + run.stderr
    assert run.received == [], run.received
    leak = run.audit[0]
    assert leak["decision"] == "refused" and leak["host"] == GIT_HOST
    assert "credential stub" in leak["reason"] and '"github"' in leak["reason"], leak
    assert STUB_GH_TOKEN not in leak["reason"]
    writes = [r for r in run.audit if r["method"] == "POST"]
    assert writes and all(r["decision"] == "refused" and "quarantined" in r["reason"] for r in writes), run.audit
    assert "event=session_quarantined" in run.stderr
    assert_nowhere(run, REAL_GH_TOKEN)


def test_git_sending_the_stub_pair_to_a_host_its_entry_does_not_list_is_refused_and_quarantines(
        sandbox, origin, tmp_path):
    """A basic entry for API_HOST; git is given the stub pair for GIT_HOST: the forge's 401 is answered
    with the stub, askfirstd refuses it as a leak, the clone fails, and a push afterwards (a write) is
    refused by the quarantine before it reaches the forge."""
    need("git")
    from test_http_clients import bare_repo  # noqa: E402 (the same bare-repository helper)

    name = f"private/leak-{os.getpid()}-{HttpSandbox.counter}.git"
    bare_repo(origin.git_root, name)
    stub_password = "StubPasswordInTheSandbox0123456789"
    entry = {"name": "api-basic", "kind": "basic", "hosts": [API_HOST], "stub": stub_password,
             "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"}}
    clone = tmp_path / "clone"
    script = (f"export GIT_SSL_CAINFO={sandbox.askfirst_ca} GIT_TERMINAL_PROMPT=0; "
              f"git clone -q https://alice:{stub_password}@{GIT_HOST}/{name} {clone}; echo clone=$?; "
              f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' -X POST https://{API_HOST}/v1/things")
    run = run_with(sandbox, script, [entry], "alice:RealPasswordOnTheHostOnly0123456789")
    assert "clone=0" not in run.stdout and "clone=" in run.stdout, run.stdout + run.stderr
    assert run.lines()[-1] == "403", run.stdout + run.stderr  # the write after the leak: quarantined
    assert all("authorization" not in r["headers"] for r in run.received), run.received  # the stub never arrived
    assert all(r["method"] != "POST" for r in run.received)
    leaks = [r for r in run.audit if r["decision"] == "refused" and "credential stub" in r.get("reason", "")]
    assert leaks and leaks[0]["host"] == GIT_HOST and '"api-basic"' in leaks[0]["reason"], run.audit
    assert "event=session_quarantined" in run.stderr
    assert_nowhere(run, "RealPasswordOnTheHostOnly0123456789")
