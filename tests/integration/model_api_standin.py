"""A scripted stand-in of a model vendor's HTTPS API on loopback, for tests
that run a real agent CLI through `askfirst exec` (issues 11 and 14).

It serves with a certificate for the vendor's host names, signed by a CA the
test makes with openssl (given to askfirstd as tls.extra_ca, as the real
vendor's public CA would be), records every request it receives, and
answers:
  - the OpenAI Responses API: `POST /v1/responses` streamed as server-sent
    events (response.created, one assistant message, response.completed),
    the shape Codex CLI reads; its WebSocket attempt (`GET /v1/responses`)
    gets 404, after which Codex falls back to HTTPS;
  - anything else: 404 with a JSON error.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STANDIN_REPLY = "hello from the model stand-in"


def make_vendor_ca(folder: Path, hosts: list[str]) -> Path:
    """An openssl-made CA and a server certificate for `hosts` in `folder`; returns the folder."""
    def run(*command):
        subprocess.run([str(part) for part in command], check=True, capture_output=True, text=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2", "-subj", "/CN=model stand-in CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "server.key", "-out", folder / "server.csr", "-subj", f"/CN={hosts[0]}")
    (folder / "ext").write_text("subjectAltName=" + ",".join(f"DNS:{host}" for host in hosts) + "\n")
    run("openssl", "x509", "-req", "-in", folder / "server.csr", "-CA", folder / "ca.pem", "-CAkey",
        folder / "ca.key", "-CAcreateserial", "-out", folder / "server.pem", "-days", "2", "-extfile", folder / "ext")
    return folder


def responses_events(text: str) -> bytes:
    """One assistant message as the Responses API streams it."""
    events = [
        ("response.created", {"type": "response.created", "response": {"id": "resp_standin"}}),
        ("response.output_item.done", {
            "type": "response.output_item.done", "output_index": 0,
            "item": {"type": "message", "role": "assistant", "id": "msg_standin",
                     "content": [{"type": "output_text", "text": text}]}}),
        ("response.completed", {"type": "response.completed", "response": {
            "id": "resp_standin", "usage": {"input_tokens": 1, "input_tokens_details": None, "output_tokens": 1,
                                            "output_tokens_details": None, "total_tokens": 2}}}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the tests read `requests`
        pass

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.standin.record({"method": self.command, "path": self.path,
                                    "host": self.headers.get("Host", ""), "body": body.decode("utf-8", "replace")})
        return body

    def _reply(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self._record()
        if self.path.split("?")[0] == "/v1/responses":
            self._reply(200, "text/event-stream", responses_events(STANDIN_REPLY))
        else:
            self._reply(404, "application/json", b'{"error":{"type":"not_found","message":"not in the stand-in"}}')

    def do_GET(self) -> None:
        self._record()
        self._reply(404, "application/json", b'{"error":{"type":"not_found","message":"not in the stand-in"}}')


class ModelApiStandin:
    """The stand-in serving in a thread on 127.0.0.1; `requests` lists what reached it."""

    def __init__(self, ca_folder: Path):
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.standin = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca_folder / "server.pem", ca_folder / "server.key")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, request: dict) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
