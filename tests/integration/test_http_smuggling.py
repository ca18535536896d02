"""Invariant 4 on real connections: raw requests written byte for byte by a
python TLS client inside an `askfirst exec` sandbox (raw_tls_client.py),
through askfirstd's MITM to the loopback origin. Every request whose framing
is ambiguous or forbidden (CL+TE, two lengths, a Transfer-Encoding other
than a final chunked, bad chunks, obsolete folding, bare LF or CR, h2c,
the HTTP/2 preface, oversized heads) gets a 400 and the connection closed,
and the origin never receives it nor anything behind it; pipelined requests
are each decided, answered in order, with a refused one in the middle.

All cases run in one sandbox under block-destructive (GET/POST pass,
DELETE is refused), so anything that reaches the origin got there because
the parser let it, not because a mode stopped it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from http_origin import API_HOST, K8S_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

CLIENT = Path(__file__).with_name("raw_tls_client.py")
H = f"Host: {API_HOST}\r\n"


def get(path: str, host: str = API_HOST) -> str:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"


# name → (pieces sent, statuses expected, closed by askfirstd, paths the origin must have received)
REFUSED = {
    "cl-te": [f"POST /s/cl-te HTTP/1.1\r\n{H}Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
              f"0\r\n\r\n{get('/s/cl-te/hidden')}"],
    "te-cl": [f"POST /s/te-cl HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
              f"5c\r\n{get('/s/te-cl/hidden')}\r\n0\r\n\r\n"],
    "two-content-lengths": [f"POST /s/two-cl HTTP/1.1\r\n{H}Content-Length: 5\r\nContent-Length: 40\r\n\r\n"
                            f"hello{get('/s/two-cl/hidden')}"],
    "te-not-final-chunked": [f"POST /s/te-identity HTTP/1.1\r\n{H}Transfer-Encoding: chunked, identity\r\n\r\n"
                             "5\r\nhello\r\n0\r\n\r\n"],
    "te-gzip-only": [f"POST /s/te-gzip HTTP/1.1\r\n{H}Transfer-Encoding: gzip\r\n\r\nhello"],
    "te-obfuscated": [f"POST /s/te-obf HTTP/1.1\r\n{H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"],
    "bad-chunk-size": [f"POST /s/bad-chunk HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n",
                       "zz\r\nhello\r\n0\r\n\r\n"],
    "chunk-size-overflow": [f"POST /s/chunk-overflow HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n"
                            "10000000000000001\r\nhello\r\n0\r\n\r\n"],
    "obs-fold": [f"GET /s/fold HTTP/1.1\r\n{H}X-Folded: a\r\n b\r\n\r\n"],
    "bare-lf": [f"GET /s/bare-lf HTTP/1.1\nHost: {API_HOST}\n\n"],
    "bare-cr": [f"GET /s/bare-cr HTTP/1.1\r\n{H}X-A: a\rb\r\n\r\n"],
    "h2c-upgrade": [f"GET /s/h2c HTTP/1.1\r\n{H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"],
    "http2-preface": ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    "request-line-too-long": [f"GET /s/long/{'a' * 70000} HTTP/1.1\r\n{H}\r\n"],
    "too-many-headers": [f"GET /s/many HTTP/1.1\r\n{H}" + "".join(f"X-H{i}: v\r\n" for i in range(2000)) + "\r\n"],
    # a smuggling request behind a good one on the same connection: the good one is
    # answered and forwarded, the bad one refused, nothing after it read
    "pipelined-then-cl-te": [get("/s/pipe-bad/1") +
                             f"POST /s/pipe-bad/2 HTTP/1.1\r\n{H}Content-Length: 5\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + get("/s/pipe-bad/3")],
}
REFUSED_STATUS = {name: [400] for name in REFUSED}
REFUSED_STATUS["pipelined-then-cl-te"] = [200, 400]
REACHES = {name: [] for name in REFUSED}
REACHES["pipelined-then-cl-te"] = ["/s/pipe-bad/1"]

KEPT_OPEN = {
    # three pipelined in one write, the middle one refused by the mode: 200, 403, 200 in order
    "pipelined-with-refusal": ([get("/s/pipe/1") + f"DELETE /s/pipe/2 HTTP/1.1\r\n{H}\r\n" + get("/s/pipe/3")],
                               [200, 403, 200], ["/s/pipe/1", "/s/pipe/3"]),
    # a request split mid-header across TLS records is the same request
    "split-head": ([f"GET /s/split HTTP/1.1\r\nHo", f"st: {API_HOST}\r\nX-A: ", "b\r\n\r\n"], [200], ["/s/split"]),
    # chunked with an extension and a trailer is valid framing
    "chunked-ext-trailer": ([f"POST /s/chunked HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n"
                             "5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"], [200], ["/s/chunked"]),
}


# Kubernetes exec over a WebSocket upgrade: judged as its request (a write), then relayed
WEBSOCKET_EXEC = (f"GET /api/v1/namespaces/default/pods/x/exec?command=sh&stdin=true HTTP/1.1\r\n"
                  f"Host: {K8S_HOST}\r\nUser-Agent: kubectl/v1.32.4 (linux/amd64) kubernetes/0000000\r\n"
                  "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n")


@pytest.fixture(scope="module")
def smuggling_run(exec_works, origin, test_ca, askfirst_ca, tmp_path_factory):
    folder = tmp_path_factory.mktemp("smuggling")
    cases = [{"name": name, "pieces": pieces} for name, pieces in REFUSED.items()]
    cases += [{"name": name, "pieces": pieces} for name, (pieces, _, _) in KEPT_OPEN.items()]
    cases.append({"name": "host-not-sni", "pieces": [get("/s/misdirected", host=K8S_HOST)]})
    cases.append({"name": "k8s-exec-websocket", "host": K8S_HOST, "pieces": [WEBSOCKET_EXEC]})
    (folder / "cases.json").write_text(json.dumps(cases))
    sandbox = HttpSandbox(folder, origin, test_ca, askfirst_ca)
    run = sandbox.run("block-destructive",
                      f"/usr/bin/python3 {CLIENT} {folder / 'cases.json'} {askfirst_ca} {API_HOST}", timeout=300)
    assert run.returncode == 0, run.stderr
    results = {}
    for line in run.lines():
        result = json.loads(line)
        results[result["name"]] = result
    assert set(results) == {case["name"] for case in cases}, run.stdout + run.stderr
    return run, results


def received_paths(run, prefix: str) -> list[str]:
    return [r["path"] for r in run.received if r["path"] == prefix or r["path"].startswith(prefix + "/")]


def prefix_of(pieces: list[str]) -> str:
    first_path = next(line.split(" ")[1] for line in "".join(pieces).replace("\n", "\r\n").split("\r\n")
                      if " HTTP/" in line)
    return first_path.rsplit("/", 1)[0] if first_path.count("/") > 2 else first_path


@pytest.mark.parametrize("name", list(REFUSED))
def test_ambiguous_framing_gets_400_and_the_connection_closed(smuggling_run, name):
    run, results = smuggling_run
    result = results[name]
    assert result["statuses"] == REFUSED_STATUS[name], result
    assert result["closed"], f"{name}: askfirstd kept the connection open after refusing"
    assert '"error"' in result["received"].split("\r\n\r\n")[-1] or not result["received"], result
    prefix = prefix_of(REFUSED[name]) if name != "http2-preface" else "/s/preface"
    assert received_paths(run, prefix) == REACHES[name], f"{name}: the origin received {received_paths(run, prefix)}"


@pytest.mark.parametrize("name", list(KEPT_OPEN))
def test_valid_pipelines_and_splits_are_answered_in_order(smuggling_run, name):
    run, results = smuggling_run
    pieces, statuses, reaches = KEPT_OPEN[name]
    result = results[name]
    assert result["statuses"] == statuses, result
    assert not result["closed"], f"{name}: the connection should stay usable"
    assert received_paths(run, prefix_of(pieces)) == reaches


def test_host_that_disagrees_with_sni_is_misdirected(smuggling_run):
    run, results = smuggling_run
    assert results["host-not-sni"]["statuses"] == [421], results["host-not-sni"]
    assert received_paths(run, "/s/misdirected") == []


def test_every_decision_of_the_run_is_logged_once_in_order(smuggling_run):
    """Only requests that were decided have audit lines; the refused pipeline's DELETE is among them."""
    run, _ = smuggling_run
    assert run.torn == []
    decided = [r["path"] for r in run.audit]
    for path in ("/s/pipe/1", "/s/pipe/2", "/s/pipe/3"):
        assert decided.count(path) == 1, decided
    assert decided.index("/s/pipe/1") < decided.index("/s/pipe/2") < decided.index("/s/pipe/3")
    assert [r["decision"] for r in run.audit if r["path"].startswith("/s/pipe/")] == ["pass", "block", "pass"]
    # nothing behind a smuggled request was ever decided, let alone forwarded
    assert not any("hidden" in path for path in decided), decided
    passed = [r["path"] for r in run.audit if r["decision"] == "pass"]
    assert [r["path"] for r in run.received] == [p for p in passed if p in {r["path"] for r in run.received}]
    assert set(r["path"] for r in run.received) <= set(passed)


def test_a_websocket_upgrade_is_judged_as_its_request(smuggling_run):
    """kubectl exec's upgrade is a write on kubernetes: it passes block-destructive and reaches the origin."""
    run, results = smuggling_run
    [record] = [r for r in run.audit if "/exec" in r["path"]]
    assert (record["provider"], record["tier"], record["decision"]) == ("kubernetes", "write", "pass"), record
    assert [r["path"].split("?")[0] for r in run.received if "/exec" in r["path"]] == [
        "/api/v1/namespaces/default/pods/x/exec"]
    assert results["k8s-exec-websocket"]["statuses"], results["k8s-exec-websocket"]


# what each refusal's audit line says (the cases run one after another, so their lines are in this order)
REFUSAL_REASONS = {
    "cl-te": "Content-Length can't be present with Transfer-Encoding",
    "te-cl": "Content-Length can't be present with Transfer-Encoding",
    "two-content-lengths": "Duplicate Content-Length",
    "te-not-final-chunked": "Transfer-Encoding",
    "te-gzip-only": "final coding is not chunked",
    "te-obfuscated": "header field char",
    "bad-chunk-size": "chunk size",
    "chunk-size-overflow": "chunk size overflow",
    "obs-fold": "obsolete line folding",
    "bare-lf": "header value char",
    "bare-cr": "LF",
    "h2c-upgrade": "h2c is refused",
    "http2-preface": "HTTP/2 with prior knowledge is refused",
    "request-line-too-long": "request line longer than",
    "too-many-headers": "header lines",
    "pipelined-then-cl-te": "Content-Length can't be present with Transfer-Encoding",
    "host-not-sni": "does not match the TLS server name",
}


def test_every_framing_refusal_is_in_the_audit_log_with_its_reason(smuggling_run):
    """A request refused before it was judged (400 framing, h2c, the HTTP/2 preface, 421 Host ≠ SNI)
    has one audit line: decision "refused", decided_by askfirstd, the status and the reason."""
    run, _ = smuggling_run
    refused = [r for r in run.audit if r["decision"] == "refused"]
    assert all(r["decided_by"] == "askfirstd" and r["provider"] == "http" and r["sni"] == API_HOST
               for r in refused), refused
    expected = [(f"refused with HTTP {421 if name == 'host-not-sni' else 400}", name) for name in REFUSAL_REASONS]
    assert [r["operation"] for r in refused] == [operation for operation, _ in expected], refused
    for record, (_, name) in zip(refused, expected):
        assert REFUSAL_REASONS[name].lower() in record["reason"].lower(), (name, record)
