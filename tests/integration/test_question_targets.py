"""Every question names its target (issue 14): a DynamoDB DeleteTable sent by
awscli is known as destructive from its X-Amz-Target header, but its table is
in the JSON body; askfirstd reads that body (it fits http.max_inspect_bytes)
before asking, so the person sees `dynamodb:DeleteTable orders`, as
`askfirst classify` says of the same request. A consent client on the host
answers "don't allow"; nothing reaches the origin.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from http_origin import RDS_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
from askfirst_tools import control  # noqa: E402

AWS = f"/usr/bin/aws --endpoint-url https://{RDS_HOST} --output json"


def first_question_denied(sandbox, script: str) -> tuple[dict, SandboxRun]:
    """Runs `script` under prompt-writes; a consent client denies the first question."""
    name = sandbox.new_name()
    before = len(sandbox.origin.requests())
    profile = sandbox.profile(name, "prompt-writes", extra={"consent": {"timeout_s": 60, "listener_grace_s": 10}})
    process = subprocess.Popen(sandbox.command(name, profile, script), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=sandbox.client_env())
    try:
        with control.ControlClient.for_name(name, wait_seconds=20) as client:
            pending = client.subscribe()
            question = pending[0] if pending else next(
                event["question"] for event in client.events(timeout=60) if event.get("event") == "question")
            client.request("answer", question=question["id"], answer="deny")
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    records, torn = read_audit(name)
    return question, SandboxRun(process.returncode, out, err, name, records, torn, sandbox.origin.requests()[before:])


def test_a_dynamodb_delete_table_question_names_the_table_from_the_body(sandbox):
    if shutil.which("/usr/bin/aws") is None:
        pytest.skip("awscli is not installed (tools/setup.sh)")
    question, run = first_question_denied(sandbox, f"{AWS} dynamodb delete-table --table-name orders")
    assert question["operation"] == "dynamodb:DeleteTable" and question["tier"] == "destructive", question
    assert question["detail"] == "dynamodb:DeleteTable orders", question
    assert "AccessDeniedException" in run.stderr and "askfirst refused" in run.stderr, run.stderr[-2000:]
    assert run.received == []
