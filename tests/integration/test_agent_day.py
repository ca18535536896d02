"""A scripted "agent day" through `askfirst exec --profile agent` (issue 14),
with real clients and a consent client that answers "once" to everything:
model calls and the vendor's settings/telemetry (curl against the Messages
API stand-in), an `npm install` and a `pip install` from registry
stand-ins, a git clone and push over smart HTTP, cloud reads with awscli,
docs fetched from an unknown host, then a handful of destructive operations.
It prints the requests and questions by category and pins what the agent
profile promises: the model, package and read categories ask nothing, and
every destructive operation is asked, naming its target.

The stand-ins: agent_standins.py (api.anthropic.com, RDS, registry.npmjs.org,
pypi.org, files.pythonhosted.org) and http_origin.py (a git host and a
generic JSON API, names the agent profile knows nothing of).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from agent_standins import ANTHROPIC_HOST, RDS_HOSTS, STANDIN_HOSTS
from conftest import ASKFIRST
from http_origin import API_HOST, GIT_HOST, GUEST_ADDRESS
from http_rig import audit_path, origin, read_audit, test_ca  # noqa: F401 (fixtures)
from test_agent_claude_code import STANDIN_ADDRESS, agent_environment, standins  # noqa: F401
from test_http_clients import bare_repo

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from askfirst_tools import control  # noqa: E402

CURL = "curl -sS -o /dev/null -w '%{http_code}\\n' --max-time 60"
MESSAGES = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 64,
                       "messages": [{"role": "user", "content": "plan the day"}]})


def day_script(tmp_path: Path, repo: str) -> str:
    anthropic = f"https://{ANTHROPIC_HOST}"
    model_calls = [f"{CURL} -X POST -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' "
                   f"-d '{MESSAGES}' '{anthropic}/v1/messages?beta=true'" for _ in range(5)]
    vendor = [f"{CURL} {anthropic}/api/claude_code/settings", f"{CURL} -I {anthropic}/api/hello",
              f"{CURL} -X POST -H 'content-type: application/json' -d '{{\"events\":[]}}' "
              f"{anthropic}/api/event_logging/v2/batch"]
    work = tmp_path / "work"
    return "\n".join([
        "set -x",
        *model_calls, *vendor,
        f"mkdir -p {work}/npm && cd {work}/npm && npm init -y >/dev/null && "
        f"npm install --no-fund --cache {work}/npm-cache askfirst-tiny && echo NPM_OK",
        # --target: nothing is installed system-wide (so Debian's PEP 668 guard may be waived)
        f"PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check --target {work}/py askfirst_tiny "
        f"&& echo PIP_OK",
        f"GIT_TERMINAL_PROMPT=0 git clone -q https://{GIT_HOST}/{repo} {work}/clone && echo CLONE_OK",
        f"cd {work}/clone && echo change > file && git add file && "
        f"git -c user.name=agent -c user.email=a@a commit -q -m change && git push -q origin main && echo PUSH_OK",
        f"cd {work}/clone && git pull -q && echo PULL_OK",
        "aws rds describe-db-instances --output text >/dev/null && echo AWS_READ_OK",
        f"{CURL} https://{API_HOST}/docs/getting-started",
        f"{CURL} https://{API_HOST}/docs/reference",
        # the destructive end of the day
        "aws rds delete-db-instance --db-instance-identifier prod-db-1 --skip-final-snapshot --output text",
        f"{CURL} -X DELETE https://{API_HOST}/v1/projects/demo",
        f"aws dynamodb delete-table --table-name orders --endpoint-url https://{RDS_HOSTS[0]} --output text",
        "true",
    ])


class OnceConsentClient(threading.Thread):
    """Answers every question "once" and keeps them."""

    def __init__(self, name: str):
        super().__init__(daemon=True)
        self.name, self.questions = name, []

    def run(self) -> None:
        try:
            with control.ControlClient.for_name(self.name, wait_seconds=30) as client:
                for question in client.subscribe():
                    self.answer(client, question)
                for event in client.events(timeout=None):
                    if event.get("event") == "question":
                        self.answer(client, event["question"])
        except (control.ControlError, OSError):
            pass

    def answer(self, client, question: dict) -> None:
        self.questions.append(question)
        client.request("answer", question=question["id"], answer="once")


def category(record: dict) -> str:
    if record["provider"] == "llm":
        return "model"
    if record["provider"] == "packages":
        return "package"
    return f"{record['tier']} ({record['provider']})"


def test_an_agent_day_asks_only_about_writes_and_names_every_destructive_target(
        exec_works, private_askfirst_dirs, standins, origin, test_ca, tmp_path):
    for program in ("npm", "git", "curl", "aws"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed (tools/setup.sh)")
    name = f"agent-day-{os.getpid()}"
    repo = f"day-{tmp_path.name}.git"
    bare_repo(origin.git_root, repo)
    hosts = {host: STANDIN_ADDRESS for host in STANDIN_HOSTS}
    hosts.update({GIT_HOST: GUEST_ADDRESS, API_HOST: GUEST_ADDRESS})
    profile = {"extends": "agent", "name": name, "dns": {"hosts": hosts},
               "upstream": {"map": {f"{STANDIN_ADDRESS}:443": f"127.0.0.1:{standins.port}",
                                    f"{GUEST_ADDRESS}:443": f"127.0.0.1:{origin.port}"}},
               "tls": {"extra_ca": [str(standins.ca_file), str(test_ca / "ca.pem")]}}
    profile_path = tmp_path / "profile.json"
    profile_path.write_text(json.dumps(profile))
    script = tmp_path / "day.sh"
    script.write_text(day_script(tmp_path, repo))
    consent = OnceConsentClient(name)
    consent.start()
    done = subprocess.run([ASKFIRST, "exec", "--profile", str(profile_path), "--name", name, "--", "bash", str(script)],
                          capture_output=True, text=True, timeout=600, env=agent_environment(tmp_path))
    consent.join(timeout=10)
    records, _ = read_audit(name)
    transcript = done.stdout[-4000:] + done.stderr[-6000:]

    asked = [r for r in records if r.get("decided_by") in ("user", "grant", "timeout")]
    by_category = Counter(category(r) for r in records)
    asked_by_category = Counter(category(r) for r in asked)
    print(f"\nagent day: {len(records)} requests, {len(consent.questions)} questions")
    for name_of, count in sorted(by_category.items()):
        print(f"  {name_of:28} {count:4} requests, {asked_by_category.get(name_of, 0):3} asked")
    for question in consent.questions:
        print(f"  asked: {question['tier']:11} {question['provider']:8} {question['detail']}")

    for line in ("NPM_OK", "PIP_OK", "CLONE_OK", "PUSH_OK", "PULL_OK", "AWS_READ_OK"):
        assert line in done.stdout, (line, transcript)
    assert by_category["model"] >= 8, (by_category, transcript)
    assert by_category["package"] >= 3, (by_category, transcript)
    # the model, package and read categories ask nothing
    assert all(category(r) not in ("model", "package") and r["tier"] != "read" for r in asked), asked
    # every destructive operation was asked, and its question names a target
    destructive = [r for r in records if r["tier"] == "destructive"]
    assert len(destructive) >= 3, (destructive, transcript)
    assert all(r.get("decided_by") == "user" for r in destructive), destructive
    destructive_questions = [q for q in consent.questions if q["tier"] == "destructive"]
    assert len(destructive_questions) == len(destructive), consent.questions
    assert all(q["detail"] and q["detail"] != q["operation"] for q in destructive_questions), destructive_questions
