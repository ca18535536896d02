"""HTTP/2 and gRPC through askfirstd (issue 16), with real clients and servers:
curl --http2 (TLS, ALPN h2) and --http2-prior-knowledge (plain TCP) through
`askfirst exec` against nginx with http2 on, and python3-grpcio's client in
the sandbox against a grpcio server on loopback. What each test pins:

- a GET passes over h2 end to end (curl reports HTTP/2, nginx saw HTTP/2.0);
- every stream is judged on its own: a DELETE on a known provider (GitHub)
  is refused with a 403 on its stream while a GET on the same connection
  completes, and only the GET reaches nginx; the audit lines name the
  streams;
- gRPC: Range passes, a server-streaming call passes, DeleteRange is refused
  with PERMISSION_DENIED carrying askfirst's sentence and never reaches the
  server; the audit line says provider etcd, operation grpc:...DeleteRange.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import threading
from concurrent import futures
from pathlib import Path

import pytest

import servers
from conftest import ASKFIRST
from core_dump import core_dump_once_done, skip_unless_core_dumps_can_be_scanned
from http_origin import make_test_ca
from http_rig import askfirst_ca, read_audit  # noqa: F401 (fixture)

grpc = pytest.importorskip("grpc")  # python3-grpcio (tools/setup.sh)

TLS_HOST, TLS_ADDRESS = "api.http.test", "198.51.100.40"
GITHUB_HOST, GITHUB_ADDRESS = "api.github.com", "198.51.100.41"
PLAIN_HOST, PLAIN_ADDRESS = "plain.h2.test", "198.51.100.42"
ETCD_HOST, ETCD_ADDRESS = "etcd.h2.test", "198.51.100.43"
HTTP1_HOST, HTTP1_ADDRESS = "git.http.test", "198.51.100.44"  # a TLS server without h2 (a name the origin certificate has)
BIG_SIZE = 24 << 20  # streamed on one stream while another is held

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format h2 '$server_port $connection $server_protocol $request_method $uri $status $body_bytes_sent';
    log_format keys '$http_x_api_key $http_authorization';
    access_log {dir}/access.log h2;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{tls_port} ssl http2;
        ssl_certificate {ca}/origin.pem;
        ssl_certificate_key {ca}/origin.key;
        location = /big.bin {{ root {root}; }}
        # the credential headers that reached nginx, for the broker's HTTP/2 test (never echoed to the client)
        location = /keyed {{ access_log {dir}/keys.log keys; return 200 "keyed over $server_protocol\\n"; }}
        location / {{ return 200 "$request_method $uri over $server_protocol\\n"; }}
    }}
    server {{
        listen 127.0.0.1:{http1_port} ssl;
        ssl_certificate {ca}/origin.pem;
        ssl_certificate_key {ca}/origin.key;
        location / {{ return 200 "$request_method $uri over $server_protocol\\n"; }}
    }}
    server {{
        listen 127.0.0.1:{plain_port} http2;
        location / {{ return 200 "$request_method $uri over $server_protocol\\n"; }}
    }}
}}
"""


class H2Nginx:
    def __init__(self, workdir: Path, ca: Path):
        self.dir = workdir
        self.tls_port, self.plain_port, self.http1_port = servers.free_port(), servers.free_port(), servers.free_port()
        root = workdir / "root"
        root.mkdir()
        (root / "big.bin").write_bytes(os.urandom(BIG_SIZE))
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=workdir, ca=ca, tls_port=self.tls_port, plain_port=self.plain_port,
                                          http1_port=self.http1_port, root=root))
        self.process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in (self.tls_port, self.plain_port, self.http1_port):
            servers.wait_for_tcp("127.0.0.1", port)

    def requests(self) -> list[list[str]]:
        log = self.dir / "access.log"
        return [line.split() for line in log.read_text().splitlines()] if log.exists() else []

    def requests_since(self, before: int, expected: int, timeout: float = 5.0) -> list[list[str]]:
        """The log's lines after the first `before`, read once `expected` of them are there (or
        after `timeout`): nginx writes a line when it finalizes a request, which over HTTP/2 can
        come a moment after the client has read the whole response."""
        deadline = time.monotonic() + timeout
        while len(self.requests()) - before < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.requests()[before:]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class GrpcServer:
    """A grpcio server with generic handlers (bytes in, bytes out): no generated stubs needed."""

    def __init__(self):
        self.calls: list[str] = []
        outer = self

        class Handler(grpc.GenericRpcHandler):
            def service(self, details):
                outer.calls.append(details.method)
                if details.method == "/etcdserverpb.Watch/Watch":
                    return grpc.unary_stream_rpc_method_handler(lambda request, context: iter([b"w1", b"w2", b"w3"]))
                return grpc.unary_unary_rpc_method_handler(lambda request, context: b"ok " + request)

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers((Handler(),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def stop(self):
        self.server.stop(0)


@pytest.fixture(scope="module")
def h2_ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("h2-ca"))


@pytest.fixture(scope="module")
def h2_nginx(h2_ca, tmp_path_factory):
    server = H2Nginx(tmp_path_factory.mktemp("h2-nginx"), h2_ca)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def grpc_server():
    server = GrpcServer()
    yield server
    server.stop()


class H2Sandbox:
    counter = 0

    def __init__(self, tmp_path, nginx, grpc_server, ca, askfirst_ca_pem):
        self.tmp_path, self.nginx, self.grpc_server, self.ca, self.askfirst_ca = (
            tmp_path, nginx, grpc_server, ca, askfirst_ca_pem)

    def command(self, script: str, modes: dict, extra: dict | None = None):
        H2Sandbox.counter += 1
        name = f"h2-{os.getpid()}-{H2Sandbox.counter}"
        profile = {
            "name": name, "modes": modes,
            "dns": {"hosts": {TLS_HOST: TLS_ADDRESS, GITHUB_HOST: GITHUB_ADDRESS, PLAIN_HOST: PLAIN_ADDRESS,
                              ETCD_HOST: ETCD_ADDRESS, HTTP1_HOST: HTTP1_ADDRESS}},
            "upstream": {"map": {f"{TLS_ADDRESS}:443": f"127.0.0.1:{self.nginx.tls_port}",
                                 f"{GITHUB_ADDRESS}:443": f"127.0.0.1:{self.nginx.tls_port}",
                                 f"{PLAIN_ADDRESS}:80": f"127.0.0.1:{self.nginx.plain_port}",
                                 f"{HTTP1_ADDRESS}:443": f"127.0.0.1:{self.nginx.http1_port}",
                                 f"{ETCD_ADDRESS}:2379": f"127.0.0.1:{self.grpc_server.port}"}},
            "tls": {"extra_ca": [str(self.ca / "ca.pem")]},
            "consent": {"timeout_s": 30, "no_ui": "deny"},
            **(extra or {}),
        }
        path = self.tmp_path / f"{name}.json"
        path.write_text(json.dumps(profile))
        env = dict(os.environ, CURL_CA_BUNDLE=str(self.askfirst_ca), SSL_CERT_FILE=str(self.askfirst_ca),
                   GRPC_DNS_RESOLVER="native", HOME=str(self.tmp_path))
        return name, [ASKFIRST, "exec", "--profile", str(path), "--name", name, "--", "sh", "-c", script], env

    def run(self, script: str, modes: dict, timeout: float = 120):
        name, command, env = self.command(script, modes)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        done.audit, _ = read_audit(name)
        return done


@pytest.fixture
def h2(exec_works, tmp_path, h2_nginx, grpc_server, h2_ca, askfirst_ca):  # noqa: F811
    return H2Sandbox(tmp_path, h2_nginx, grpc_server, h2_ca, askfirst_ca)


CURL = "curl -sS --max-time 30"
REPO = Path(__file__).resolve().parents[2]


def test_curl_http2_over_tls_get_passes_as_h2_both_ways(h2):
    before = len(h2.nginx.requests())
    done = h2.run(f"{CURL} --http2 -w '%{{http_version}} %{{http_code}}\\n' https://{TLS_HOST}/hello",
                  {"default": "block-destructive"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["GET /hello over HTTP/2.0", "2 200"], done.stdout + done.stderr
    reached = h2.nginx.requests_since(before, 1)
    assert [r[2:6] for r in reached] == [["HTTP/2.0", "GET", "/hello", "200"]], reached
    assert [(r["method"], r["decision"], r.get("stream")) for r in done.audit] == [("GET", "pass", 1)], done.audit


def test_after_a_server_answered_h2_with_http1_the_next_guest_connection_to_it_speaks_http1(h2):
    """tls/upstream_alpn_memory.h: the guest's ALPN is chosen before the server's is known,
    so the first connection to an HTTP/1.1-only server is h2 on the guest leg (translated);
    later ones get HTTP/1.1, as the guest would talk to the server directly. A server that
    speaks h2 keeps getting h2. Every request is judged either way."""
    before = len(h2.nginx.requests())
    once = f"{CURL} --http2 -w '%{{http_version}}\\n' -o /dev/null"
    script = "; ".join([f"{once} https://{HTTP1_HOST}/first", f"{once} https://{HTTP1_HOST}/second",
                        f"{once} https://{TLS_HOST}/h2-first", f"{once} https://{TLS_HOST}/h2-second",
                        f"{CURL} -X DELETE -o /dev/null -w '%{{http_version}} %{{http_code}}\\n' https://{HTTP1_HOST}/kept"])
    done = h2.run(script, {"default": "block-writes"})
    lines = done.stdout.splitlines()
    assert lines[:4] == ["2", "1.1", "2", "2"], done.stdout + done.stderr
    assert lines[4:] == ["1.1 403"], done.stdout  # judged and refused on the HTTP/1.1 guest leg too
    reached = [r[2:5] for r in h2.nginx.requests_since(before, 4)]
    assert reached == [["HTTP/1.1", "GET", "/first"], ["HTTP/1.1", "GET", "/second"],
                       ["HTTP/2.0", "GET", "/h2-first"], ["HTTP/2.0", "GET", "/h2-second"]], reached
    assert [(r["method"], r["path"], r["decision"]) for r in done.audit] == [
        ("GET", "/first", "pass"), ("GET", "/second", "pass"), ("GET", "/h2-first", "pass"),
        ("GET", "/h2-second", "pass"), ("DELETE", "/kept", "block")], done.audit


def test_curl_http2_prior_knowledge_on_plain_tcp_passes(h2):
    before = len(h2.nginx.requests())
    done = h2.run(f"{CURL} --http2-prior-knowledge -w '%{{http_version}} %{{http_code}}\\n' http://{PLAIN_HOST}/plain",
                  {"default": "block-destructive"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["GET /plain over HTTP/2.0", "2 200"], done.stdout + done.stderr
    assert [r[2:6] for r in h2.nginx.requests_since(before, 1)] == [["HTTP/2.0", "GET", "/plain", "200"]]


def test_a_refused_delete_gets_its_403_while_a_parallel_get_on_the_same_connection_completes(h2):
    before = len(h2.nginx.requests())
    url = f"https://{GITHUB_HOST}/repos/acme/prod"
    done = h2.run(f"{CURL} --http2 --parallel -o /dev/null -w 'DELETE %{{http_version}} %{{http_code}}\\n' "
                  f"-X DELETE {url} --next -sS --max-time 30 --http2 -o /dev/null "
                  f"-w 'GET %{{http_version}} %{{http_code}}\\n' {url}",
                  {"default": "off", "github": "block-destructive"})
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == ["DELETE 2 403", "GET 2 200"], done.stdout + done.stderr
    # one connection, two streams, each judged
    lines = sorted(done.audit, key=lambda r: r["stream"])
    assert [(r["method"], r["provider"], r["tier"], r["decision"]) for r in lines] == [
        ("DELETE", "github", "destructive", "block"), ("GET", "github", "read", "pass")] or \
        [(r["method"], r["decision"]) for r in lines] == [("GET", "pass"), ("DELETE", "block")], done.audit
    assert len({r["guest"] for r in lines}) == 1, done.audit
    assert sorted(r["stream"] for r in lines) == [1, 3], done.audit
    # only the GET reached the server
    assert [r[3:5] for r in h2.nginx.requests_since(before, 1)] == [["GET", "/repos/acme/prod"]]


def test_a_lower_case_method_is_refused_not_judged_an_unknown_write(h2):
    # "delete" matched no GitHub route (exact method names): an unknown write,
    # which block-destructive passed; servers that fold case ran a DELETE.
    before = len(h2.nginx.requests())
    done = h2.run(f"{CURL} --http2 -o /dev/null -w '%{{http_code}}\\n' -X delete https://{GITHUB_HOST}/repos/acme/prod; "
                  f"echo status=$?", {"default": "off", "github": "block-destructive"})
    assert "status=0" not in done.stdout, done.stdout + done.stderr  # the stream was reset, curl fails
    assert h2.nginx.requests()[before:] == [], h2.nginx.requests()[before:]
    assert not [r for r in done.audit if r.get("decision") == "pass"], done.audit


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
def test_a_post_that_overrides_its_method_to_delete_is_judged_as_the_delete(h2, http):
    # Google's API front end, OData and Express's method-override run the method
    # the header names: judged as the POST it was sent as, this was a write.
    before = len(h2.nginx.requests())
    done = h2.run(f"{CURL} {http} -o /dev/null -w '%{{http_code}}\\n' -X POST -H 'X-HTTP-Method-Override: DELETE' "
                  f"https://{GITHUB_HOST}/repos/acme/prod", {"default": "off", "github": "block-destructive"})
    assert done.stdout.split() == ["403"], done.stdout + done.stderr
    assert h2.nginx.requests()[before:] == []
    assert [(r["tier"], r["decision"]) for r in done.audit] == [("destructive", "block")], done.audit



@pytest.mark.parametrize("form", ["--data _method=DELETE", "-F _method=DELETE"], ids=["urlencoded", "multipart"])
def test_a_form_post_whose_method_field_is_delete_is_judged_as_the_delete(h2, form):
    # Rails (Rack::MethodOverride) and Laravel run a form POST as the method its `_method`
    # field names: GitLab is a Rails app. Judged as the POST it was sent as, this was a write.
    before = len(h2.nginx.requests())
    done = h2.run(f"{CURL} --http2 -o /dev/null -w '%{{http_code}}\\n' {form} https://{GITHUB_HOST}/repos/acme/prod",
                  {"default": "off", "github": "block-destructive"})
    assert done.stdout.split() == ["403"], done.stdout + done.stderr
    assert h2.nginx.requests()[before:] == []
    assert [(r["tier"], r["decision"]) for r in done.audit] == [("destructive", "block")], done.audit

GRPC_CLIENT = """
import grpc
channel = grpc.insecure_channel("{host}:2379")
print("range", channel.unary_unary("/etcdserverpb.KV/Range")(b"foo", timeout=20).decode())
print("watch", ",".join(m.decode() for m in channel.unary_stream("/etcdserverpb.Watch/Watch")(b"", timeout=20)))
try:
    channel.unary_unary("/etcdserverpb.KV/DeleteRange")(b"foo", timeout=20)
    print("delete passed")
except grpc.RpcError as error:
    print("delete", error.code().name, error.details())
"""


def test_grpc_get_passes_streaming_passes_delete_is_permission_denied_with_the_sentence(h2, tmp_path):
    client = tmp_path / "grpc_client.py"
    client.write_text(GRPC_CLIENT.format(host=ETCD_HOST))
    calls_before = len(h2.grpc_server.calls)
    done = h2.run(f"/usr/bin/python3 {client}", {"default": "off", "etcd": "block-destructive"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "range ok foo", done.stdout + done.stderr
    assert lines[1] == "watch w1,w2,w3", done.stdout
    assert lines[2].startswith("delete PERMISSION_DENIED askfirst refused grpc:etcdserverpb.KV/DeleteRange"), lines[2]
    assert "block-destructive" in lines[2]
    assert h2.grpc_server.calls[calls_before:] == ["/etcdserverpb.KV/Range", "/etcdserverpb.Watch/Watch"]
    decided = [(r["provider"], r["operation"], r["decision"]) for r in done.audit]
    assert decided == [("etcd", "grpc:etcdserverpb.KV/Range", "pass"), ("etcd", "grpc:etcdserverpb.Watch/Watch", "pass"),
                       ("etcd", "grpc:etcdserverpb.KV/DeleteRange", "block")], done.audit


def test_a_held_stream_waits_for_askfirst_answer_while_another_stream_streams_a_large_body(h2):
    """prompt-destructive with a consent client subscribed: the DELETE is held
    (asked), and on the same connection a 24 MiB GET streams to its end while
    the question is still open; `askfirst answer ... once` then releases it."""
    sys.path.insert(0, str(REPO / "tools"))
    from askfirst_tools import control  # noqa: E402

    before = len(h2.nginx.requests())
    script = (f"sleep 1; {CURL} --max-time 120 --http2 --parallel -o /dev/null "
              f"-w 'DELETE %{{http_version}} %{{http_code}}\\n' -X DELETE https://{TLS_HOST}/held "
              f"--next -sS --max-time 120 --http2 -o /dev/null "
              f"-w 'GET %{{http_version}} %{{http_code}} %{{size_download}}\\n' https://{TLS_HOST}/big.bin")
    name, command, env = h2.command(script, {"default": "prompt-destructive"})
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        with control.ControlClient.for_name(name, wait_seconds=20) as client:
            client.subscribe()
            question = None
            for event in client.events(timeout=60):
                if event.get("event") == "question":
                    question = event["question"]
                    break
            assert question is not None and question["tier"] == "destructive", question
            # the other stream completes while the DELETE is held
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done_get = [r for r in h2.nginx.requests()[before:] if r[3:5] == ["GET", "/big.bin"]]
                if done_get:
                    break
                time.sleep(0.2)
            assert done_get and done_get[0][5:] == ["200", str(BIG_SIZE)], h2.nginx.requests()[before:]
            assert not [r for r in h2.nginx.requests()[before:] if r[3] == "DELETE"]  # still held
            answered = subprocess.run([ASKFIRST, "answer", "--name", name, str(question["id"]), "once"],
                                      capture_output=True, text=True, timeout=20)
            assert answered.returncode == 0, answered.stderr
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert sorted(out.splitlines()) == ["DELETE 2 200", f"GET 2 200 {BIG_SIZE}"], out + err
    assert [r[3:6] for r in h2.nginx.requests_since(before, 2) if r[3] == "DELETE"] == [["DELETE", "/held", "200"]]


# --- the credential broker over HTTP/2 (issue 13) -------------------------

REAL_API_KEY = "sk-ant-api03-" + "RealKeyOnTheHostOnly0123456789abcdefghijklmnop"
STUB_API_KEY = "sk-ant-api03-" + "StubKeyInTheSandbox0123456789abcdefghijklmnopq"
REAL_H2_TOKEN = "ghp_" + "R3alH2T0kenOnTheHostOnly0123456789ab"
STUB_H2_TOKEN = "ghp_" + "StubH2TokenInTheSandbox0123456789abc"


def test_real_secrets_put_into_http2_headers_are_nowhere_in_a_core_dump_after_they_were_sent(h2, tmp_path):
    """curl --http2 sends the stub x-api-key and bearer token twice on one connection (HPACK would index
    them); askfirstd puts the real ones into the upstream h2 HEADERS (nginx logs them), then every buffer
    that held them (the edited fields, nghttp2's copies and frame buffer, HPACK's table, the bytes
    queued for TLS) is wiped: gcore's dump of askfirstd holds neither real value."""
    skip_unless_core_dumps_can_be_scanned()
    credentials = [
        {"name": "model", "kind": "header", "header": "x-api-key", "hosts": [TLS_HOST],
         "source": {"env": "ASKFIRST_TEST_H2_KEY"}, "stub": STUB_API_KEY},
        {"name": "forge", "kind": "bearer", "hosts": [TLS_HOST],
         "source": {"env": "ASKFIRST_TEST_H2_TOKEN"}, "stub": STUB_H2_TOKEN}]
    done = tmp_path / "done"
    url = f"https://{TLS_HOST}/keyed"
    script = (f"{CURL} --http2 -H 'x-api-key: {STUB_API_KEY}' -H 'Authorization: Bearer {STUB_H2_TOKEN}' "
              f"-w '%{{http_version}} %{{http_code}}\\n' {url} {url}; touch {done}; sleep 30")
    name, command, env = h2.command(script, {"default": "off"}, {"credentials": credentials})
    env = dict(env, ASKFIRST_TEST_H2_KEY=REAL_API_KEY, ASKFIRST_TEST_H2_TOKEN=REAL_H2_TOKEN)
    keys_log = h2.nginx.dir / "keys.log"
    before = keys_log.read_text().splitlines() if keys_log.exists() else []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    image, out, err = core_dump_once_done(process, done, tmp_path, "curl")
    assert out.count("keyed over HTTP/2.0") == 2 and out.count("2 200") == 2, out + err
    reached = keys_log.read_text().splitlines()[len(before):]
    assert reached == [f"{REAL_API_KEY} Bearer {REAL_H2_TOKEN}"] * 2, reached  # the real ones went upstream
    assert REAL_API_KEY.encode() not in image, "the real x-api-key is in askfirstd's core dump"
    assert REAL_H2_TOKEN.encode() not in image, "the real bearer token is in askfirstd's core dump"
    for secret in (REAL_API_KEY, REAL_H2_TOKEN):
        assert secret not in out and secret not in err
