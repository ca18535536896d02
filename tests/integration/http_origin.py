"""A loopback HTTPS origin for the HTTP decision-point tests
(tests/integration/test_http_*.py): it stands in for AWS RDS, a Kubernetes
API server, a git smart-HTTP server and a generic JSON API, all on one
port, told apart by the Host header (askfirstd's upstream.map sends every
mapped name there; SNI picks nothing, the one certificate names them all).

What is tested is askfirst, not this server: it answers just enough for
the real clients (awscli, kubectl, git, curl) to finish, and records every
request that reaches it — method, path, Host, headers, body length and
sha256 — so a test checks what arrived upstream, not only what the client
saw. It runs in a thread of the pytest process; listens on 127.0.0.1 only.
"""
from __future__ import annotations

import hashlib
import json
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RDS_HOST = "rds.us-east-1.amazonaws.com"
K8S_HOST = "k8s.http.test"
GIT_HOST = "git.http.test"
API_HOST = "api.http.test"
GITHUB_HOST = "api.github.com"  # a host the github classifier claims (issue 11 tests)
ALL_HOSTS = (RDS_HOST, K8S_HOST, GIT_HOST, API_HOST, GITHUB_HOST)

# One guest-side address for every name (RFC 5737 documentation range):
# askfirstd never dials it, upstream.map sends it to the origin.
GUEST_ADDRESS = "198.51.100.20"

MAX_BODY = 64 << 20  # the largest body this test origin reads (a git pack of the tests is a few KiB)


def run(*command, **kwargs):
    return subprocess.run([str(part) for part in command], check=True, capture_output=True, text=True, **kwargs)


def make_test_ca(folder: Path) -> Path:
    """An openssl-made CA and a certificate for ALL_HOSTS, as a real service would have."""
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2", "-subj", "/CN=askfirst http test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "origin.key", "-out", folder / "origin.csr", "-subj", f"/CN={API_HOST}")
    (folder / "ext").write_text("subjectAltName=" + ",".join(f"DNS:{h}" for h in ALL_HOSTS) + "\n")
    run("openssl", "x509", "-req", "-in", folder / "origin.csr", "-CA", folder / "ca.pem", "-CAkey", folder / "ca.key",
        "-CAcreateserial", "-out", folder / "origin.pem", "-days", "2", "-extfile", folder / "ext")
    return folder


RDS_DESCRIBE = """<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>prod-db-1</DBInstanceIdentifier>
<DBInstanceStatus>available</DBInstanceStatus><Engine>postgres</Engine></DBInstance></DBInstances>
</DescribeDBInstancesResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</DescribeDBInstancesResponse>"""

RDS_DELETE = """<DeleteDBInstanceResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DeleteDBInstanceResult><DBInstance><DBInstanceIdentifier>prod-db-1</DBInstanceIdentifier>
<DBInstanceStatus>deleting</DBInstanceStatus></DBInstance></DeleteDBInstanceResult>
<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteDBInstanceResponse>"""

POD = {"kind": "Pod", "apiVersion": "v1",
       "metadata": {"name": "x", "namespace": "default", "uid": "1", "resourceVersion": "1",
                    "creationTimestamp": "2026-01-01T00:00:00Z"},
       "spec": {"containers": [{"name": "c", "image": "busybox"}]}, "status": {"phase": "Running"}}

K8S_ROUTES = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": K8S_HOST + ":443"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"],
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]},
    "/api/v1/namespaces/default/pods": {"kind": "PodList", "apiVersion": "v1",
                                        "metadata": {"resourceVersion": "1"}, "items": [POD]},
    "/api/v1/namespaces/default/pods/x": POD,
}


class OriginHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                line = self.rfile.readline()
                if not line.endswith(b"\n"):  # cut off: not a complete request, nothing recorded
                    raise ConnectionError("chunked body cut off")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
                if len(body) > MAX_BODY:
                    raise ValueError("body over MAX_BODY")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY)) if length else b""
        if len(body) < min(length, MAX_BODY):
            raise ConnectionError("body cut off")  # not a complete request: nothing recorded
        return body

    def handle_any(self) -> None:
        body = self.read_body()
        host = self.headers.get("Host", "").split(":")[0]
        self.server.origin.record({
            "method": self.command, "path": self.path, "host": host,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "length": len(body), "sha256": hashlib.sha256(body).hexdigest(), "body": body[:4096].decode("latin-1")})
        if host == RDS_HOST:
            self.reply(200, "text/xml", (RDS_DELETE if b"DeleteDBInstance" in body else RDS_DESCRIBE).encode())
        elif host == K8S_HOST:
            route = K8S_ROUTES.get(self.path.split("?")[0])
            if route is None:
                self.reply(404, "application/json", b'{"kind":"Status","status":"Failure","code":404}')
            else:
                self.reply(200, "application/json", json.dumps(route).encode())
        elif host == GIT_HOST and self.server.origin.git_root:
            self.git_backend(body)
        else:
            self.reply(200, "application/json",
                       json.dumps({"ok": True, "method": self.command, "length": len(body)}).encode())

    def reply(self, status: int, content_type: str, body: bytes, extra: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def git_backend(self, body: bytes) -> None:
        """git's own smart-HTTP server as a CGI program (git-http-backend(1)). Repositories under
        /private/ want credentials first (401 with a Basic challenge), as a forge does."""
        path, _, query = self.path.partition("?")
        if path.startswith("/private/") and "Authorization" not in self.headers:
            self.reply(401, "text/plain", b"credentials needed\n", [("WWW-Authenticate", 'Basic realm="git"')])
            return
        env = {"GIT_PROJECT_ROOT": str(self.server.origin.git_root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "REMOTE_USER": "tester", "REMOTE_ADDR": "127.0.0.1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name.lower() not in ("content-length", "content-type"):
                headers.append((name, value.strip()))
        content_type = next((line.split(":", 1)[1].strip() for line in head.decode("latin-1").splitlines()
                             if line.lower().startswith("content-type:")), "application/octet-stream")
        self.reply(status, content_type, payload, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


class HttpsOrigin:
    """The origin, serving in a thread; `requests()` is what reached it, in arrival order."""

    def __init__(self, test_ca: Path, git_root: Path | None = None, *, handler=None, client_ca: Path | None = None):
        """handler: an OriginHandler subclass (default OriginHandler); client_ca: when given, the
        origin requires a client certificate signed by it (test_credentials_kube's cluster)."""
        self.git_root = git_root
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler or OriginHandler)
        self.server.daemon_threads = True
        self.server.origin = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(test_ca / "origin.pem", test_ca / "origin.key")
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(client_ca)
        context.set_alpn_protocols(["http/1.1"])
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def record(self, request: dict) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
