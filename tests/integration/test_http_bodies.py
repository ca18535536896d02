"""Bodies through the decision point (issue 4, "The request the classifier
sees"; invariant 6): a body the classifier reads (AWS query protocol) is
judged by its content within http.max_inspect_bytes and as the worst it
could be beyond it; a passed body reaches the origin byte for byte (sha256)
whether it was buffered or not; `Expect: 100-continue` is answered by
askfirstd, and a refused request's body never reaches the origin.
"""
from __future__ import annotations

import hashlib
import os

import pytest

from http_origin import API_HOST, RDS_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

CURL = "curl -sS --max-time 60 -o /dev/null -w '%{http_code}\\n'"


def write_body(folder, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("limit, status, tier", [
    (None, "200", "read"),            # default 1 MiB: the Action is read, DescribeDBInstances passes
    (1024, "403", "destructive"),     # over the limit the body is not read: judged the worst, refused
])
def test_an_aws_body_over_the_inspect_limit_is_judged_the_worst(sandbox, tmp_path, limit, status, tier):
    body = b"Action=DescribeDBInstances&Version=2014-10-31&Filters.member.1.Name=" + b"x" * 4000
    path = write_body(tmp_path, "query.txt", body)
    extra = {"http": {"max_inspect_bytes": limit}} if limit else None
    run = sandbox.run("block-destructive", f"{CURL} -H 'Content-Type: application/x-www-form-urlencoded' "
                                           f"--data-binary @{path} https://{RDS_HOST}/", extra=extra)
    assert run.lines() == [status], run.stdout + run.stderr
    assert [(r["provider"], r["tier"]) for r in run.audit] == [("aws", tier)], run.audit
    if status == "200":
        assert [r["sha256"] for r in run.received] == [hashlib.sha256(body).hexdigest()]
    else:
        assert run.received == []


@pytest.mark.parametrize("size", [10, 3 << 20])  # within and well over the 1 MiB inspect buffer
def test_a_passed_body_reaches_the_origin_unchanged(sandbox, tmp_path, size):
    data = os.urandom(size)
    path = write_body(tmp_path, "body.bin", data)
    run = sandbox.run("off", f"{CURL} -X PUT --data-binary @{path} https://{API_HOST}/upload/{size}")
    assert run.lines() == ["200"], run.stderr
    assert [(r["path"], r["length"], r["sha256"]) for r in run.received] == [
        (f"/upload/{size}", size, hashlib.sha256(data).hexdigest())]


@pytest.mark.parametrize("protocol, interim", [("--http1.1", "< HTTP/1.1 100 Continue"), ("--http2", "< HTTP/2 100")])
@pytest.mark.parametrize("mode, status", [("off", "200"), ("block-writes", "403")])
def test_expect_100_continue_is_answered_and_a_refused_body_never_leaves(sandbox, tmp_path, mode, status,
                                                                          protocol, interim):
    data = os.urandom(200_000)
    path = write_body(tmp_path, "expect.bin", data)
    trace = tmp_path / "curl-trace.txt"
    run = sandbox.run(mode, f"{CURL} {protocol} -v --expect100-timeout 30 -H 'Expect: 100-continue' -X POST "
                            f"--data-binary @{path} https://{API_HOST}/expect/{mode} 2>{trace}")
    assert run.lines() == [status], run.stdout + trace.read_text()
    # askfirstd's own 100 Continue, once: the origin's duplicate (the header is forwarded) is swallowed
    assert trace.read_text().count(interim) == 1, trace.read_text()
    if status == "200":
        assert [(r["length"], r["sha256"]) for r in run.received] == [(len(data), hashlib.sha256(data).hexdigest())]
    else:
        assert run.received == []
    assert [r["decision"] for r in run.audit] == (["pass"] if status == "200" else ["block"])
