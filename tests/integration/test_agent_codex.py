"""Codex CLI end to end behind askfirst (issue 14), as test_agent_claude_code.py
does for Claude Code: the real `@openai/codex` (a Rust binary with rustls
behind an npm wrapper, installed from the npm registry at test time and
cached under the build dir) runs `codex exec` with approvals and its own
sandbox bypassed (its sandbox would cut the network the aws call needs) in
`askfirst exec --profile agent`, against a stand-in of the Responses API
(agent_standins.py) that answers with a call of Codex's shell tool running
`aws rds delete-db-instance --db-instance-identifier prod-db-1
--skip-final-snapshot`. A consent client denies; the RDS stand-in never sees
the delete; the question names it; Codex's final message quotes askfirst's
refusal. No CA flag or variable is given: rustls finds askfirst's CA through
the SSL_CERT_FILE exec sets (the certificates rustls accepts are issue 11's).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agent_standins import OPENAI_HOST, RDS_HOSTS, STANDIN_HOSTS
from conftest import ASKFIRST, BUILD
from test_agent_claude_code import DenyingConsentClient, agent_environment, agent_profile, standins  # noqa: F401

CODEX_VERSION = "0.171.0"  # the version test_strict_tls_clients.py installs: one cached copy


@pytest.fixture(scope="module")
def codex() -> Path:
    prefix = Path(BUILD) / "npm-agents" / f"codex-{CODEX_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "codex"
    if not binary.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed (tools/setup.sh)")
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                               f"@openai/codex@{CODEX_VERSION}"], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"cannot install @openai/codex from the npm registry: {done.stderr.strip()[-400:]}")
    return binary


def test_codex_model_calls_flow_and_its_rds_delete_waits_for_a_person_who_refuses(
        exec_works, private_askfirst_dirs, codex, standins, tmp_path):
    name = f"agent-codex-{os.getpid()}"
    profile = agent_profile(tmp_path, standins, name)
    before, calls_before = len(standins.requests()), standins.tool_calls
    work = tmp_path / "project"
    work.mkdir()
    env = agent_environment(tmp_path)
    env.update({"OPENAI_API_KEY": "sk-askfirst-test-key-not-real", "CODEX_HOME": str(tmp_path / "codex-home"),
                "NO_COLOR": "1"})
    (tmp_path / "codex-home").mkdir()
    task = "Delete the RDS instance prod-db-1 without a final snapshot, using the aws CLI."
    command = [ASKFIRST, "exec", "--profile", str(profile), "--name", name, "--", str(codex), "exec",
               "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", task]
    consent = DenyingConsentClient(name)
    consent.start()
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=work)
    consent.join(timeout=10)
    arrived = standins.requests()[before:]
    transcript = (f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-5000:]}\ntools offered: "
                  f"{standins.offered_tools[-2:]}\nrequests: {[(r['host'], r['method'], r['path']) for r in arrived]}")

    assert any(r["host"] == OPENAI_HOST and r["path"].startswith("/v1/responses") and r["method"] == "POST"
               for r in arrived), transcript
    assert standins.tool_calls > calls_before, transcript  # Codex offered a shell tool and the stand-in called it
    details = [q["detail"] for q in consent.questions]
    assert details == ["rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true"], (details, transcript)
    assert not any(r["host"] in RDS_HOSTS and "DeleteDBInstance" in r["body"] for r in arrived), transcript
    assert done.returncode == 0, transcript
    assert "askfirst refused" in done.stdout, transcript
    assert {r["host"] for r in arrived} <= set(STANDIN_HOSTS), transcript
