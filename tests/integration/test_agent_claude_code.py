"""Claude Code end to end behind askfirst (issue 14): the real agent CLI
(npm `@anthropic-ai/claude-code`, installed from the npm registry at test
time and cached under the build dir, never vendored) runs headless
(`-p`, permissions skipped) in `askfirst exec --profile agent`, with
api.anthropic.com mapped by dns.hosts to a scripted stand-in of the Messages
API (agent_standins.py). The stand-in answers the task with a Bash tool call
`aws rds delete-db-instance --db-instance-identifier prod-db-1
--skip-final-snapshot` against an RDS stand-in; a consent client on the host
answers "don't allow". Pinned: the RDS stand-in never sees the delete, the
question shows `rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true`, no
other question is asked (the model calls flow), and the agent's final
message quotes askfirst's refusal. No CA flag, no CA or proxy variable, no
per-client configuration: exec trusts askfirst's CA by itself.

The profile is the built-in agent profile plus the stand-ins' names: the
model calls are provider `llm` (classifiers/llm.cpp) and pass by its modes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agent_standins import ANTHROPIC_HOST, RDS_HOSTS, STANDIN_HOSTS, AgentStandins, make_ca_and_certificate
from conftest import ASKFIRST, BUILD

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
from askfirst_tools import control  # noqa: E402

DELETE_COMMAND = "aws rds delete-db-instance --db-instance-identifier prod-db-1 --skip-final-snapshot"
STANDIN_ADDRESS = "198.51.100.60"  # RFC 5737: never dialed, upstream.map sends it to the stand-in
CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code@2"
CACHE = Path(BUILD) / "agent-cache" / "claude-code"
# Variables that would configure a client's CA or a proxy: none reach the agent.
CONFIGURING_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                         "AWS_CA_BUNDLE", "GIT_SSL_CAINFO", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                         "ALL_PROXY", "all_proxy", "NODE_TLS_REJECT_UNAUTHORIZED")


@pytest.fixture(scope="module")
def claude_code() -> Path:
    """The `claude` executable, installed from the npm registry into the build dir once."""
    binary = CACHE / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed (tools/setup.sh)")
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), CLAUDE_CODE_PACKAGE],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not binary.exists():
            pytest.skip(f"cannot install {CLAUDE_CODE_PACKAGE} from the npm registry: {done.stderr[-1500:]}")
    return binary


@pytest.fixture(scope="module")
def standins(tmp_path_factory):
    folder = make_ca_and_certificate(tmp_path_factory.mktemp("agent-ca"), STANDIN_HOSTS)
    server = AgentStandins(folder, DELETE_COMMAND)
    server.ca_file = folder / "ca.pem"
    yield server
    server.stop()


def agent_profile(tmp_path: Path, standins: AgentStandins, name: str) -> Path:
    profile = {
        "extends": "agent",
        "name": name,
        "dns": {"hosts": {host: STANDIN_ADDRESS for host in STANDIN_HOSTS}},
        "upstream": {"map": {f"{STANDIN_ADDRESS}:443": f"127.0.0.1:{standins.port}"}},
        "tls": {"extra_ca": [str(standins.ca_file)]},  # askfirstd trusts the stand-in's test CA, as it would a real one
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(profile))
    return path


def agent_environment(tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in CONFIGURING_VARIABLES}
    home = tmp_path / "home"
    home.mkdir()
    env.update({
        "HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": f"{Path(shutil.which('aws') or '/usr/bin/aws').parent}:/usr/local/bin:/usr/bin:/bin",
        "ANTHROPIC_API_KEY": "sk-ant-api03-askfirst-test-key-not-real",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
        "IS_SANDBOX": "1",  # Claude Code refuses to skip permissions as root outside a sandbox: this is one
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
    })
    return env


class DenyingConsentClient(threading.Thread):
    """Subscribes to the session's control socket and answers every question "deny"."""

    def __init__(self, name: str):
        super().__init__(daemon=True)
        self.name, self.questions, self.error = name, [], None

    def run(self) -> None:
        try:
            with control.ControlClient.for_name(self.name, wait_seconds=30) as client:
                for question in client.subscribe():
                    self.deny(client, question)
                for event in client.events(timeout=None):
                    if event.get("event") == "question":
                        self.deny(client, event["question"])
        except (control.ControlError, OSError) as failure:
            self.error = failure  # the session ended (askfirstd gone), or it never started

    def deny(self, client, question: dict) -> None:
        self.questions.append(question)
        client.request("answer", question=question["id"], answer="deny")


def test_claude_code_model_calls_flow_and_its_rds_delete_waits_for_a_person_who_refuses(
        exec_works, private_askfirst_dirs, claude_code, standins, tmp_path):
    name = f"agent-claude-{os.getpid()}"
    profile = agent_profile(tmp_path, standins, name)
    before = len(standins.requests())
    work = tmp_path / "project"
    work.mkdir()
    task = "Delete the RDS instance prod-db-1 without a final snapshot, using the aws CLI."
    command = [ASKFIRST, "exec", "--profile", str(profile), "--name", name, "--",
               str(claude_code), "-p", task, "--dangerously-skip-permissions", "--output-format", "text"]
    consent = DenyingConsentClient(name)
    consent.start()
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=agent_environment(tmp_path),
                          cwd=work)
    consent.join(timeout=10)
    arrived = standins.requests()[before:]
    transcript = f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-5000:]}\nrequests: {arrived}"

    # The model calls reached the stand-in and the scripted tool call was made.
    assert any(r["host"] == ANTHROPIC_HOST and r["path"].startswith("/v1/messages") for r in arrived), transcript
    assert standins.tool_calls >= 1, transcript
    # One question, the delete, named with its target and flag; no model call was asked about.
    details = [q["detail"] for q in consent.questions]
    assert details == ["rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true"], (details, transcript)
    assert consent.questions[0]["provider"] == "aws" and consent.questions[0]["tier"] == "destructive"
    # The RDS stand-in never saw the delete.
    assert not any(r["host"] in RDS_HOSTS and "DeleteDBInstance" in r["body"] for r in arrived), transcript
    # The agent's final message quotes askfirst's refusal (the stand-in echoes the tool result).
    assert done.returncode == 0, transcript
    assert "askfirst refused" in done.stdout, transcript
    # Nothing left the sandbox for any host but the two stand-ins.
    assert {r["host"] for r in arrived} <= set(STANDIN_HOSTS), transcript
