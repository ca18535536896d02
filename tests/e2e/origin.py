"""A real HTTPS origin server on loopback for the end-to-end tests.

It answers every method with 200 and a small JSON body naming what it got,
and appends one JSON line per request to a log (method, path, Authorization
header, body length and sha256, arrival time), so a test can check what did and did not arrive
upstream, not only what the guest saw. Listens on 127.0.0.1 or ::1 only.
With --git-root DIR, a GET under /git/ serves the files of DIR instead (git's
"dumb" HTTP protocol: a bare repository after `git update-server-info`), so a
guest can `git clone` over HTTPS through askfirstd.

usage: origin.py (--cert PEM --key PEM | --plain) --port-file F --log F [--ipv6] [--git-root DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class OriginHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": self.path, "host": self.headers.get("Host", ""),
                  "authorization": self.headers.get("Authorization", ""),
                  "length": len(body), "sha256": hashlib.sha256(body).hexdigest(), "time": time.time()}
        with open(self.server.request_log, "a") as log:
            log.write(json.dumps(record) + "\n")
        if self.command == "GET" and self.server.git_root and self.path.startswith("/git/"):
            self.serve_git_file()
            return
        reply = json.dumps({"ok": True, "method": self.command, "length": len(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def serve_git_file(self) -> None:
        """A file of the --git-root folder, or 404; never a path outside it."""
        root = Path(self.server.git_root).resolve()
        wanted = (root / self.path[len("/git/"):].split("?", 1)[0]).resolve()
        if root not in wanted.parents or not wanted.is_file():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content = wanted.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer


class Ipv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--plain", action="store_true", help="plain HTTP instead of HTTPS")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--ipv6", action="store_true")
    parser.add_argument("--git-root", help="serve this folder's files for GET /git/... (dumb-HTTP git)")
    args = parser.parse_args()
    server = (Ipv6Server(("::1", 0), OriginHandler) if args.ipv6
              else ThreadingHTTPServer(("127.0.0.1", 0), OriginHandler))
    server.request_log = args.log
    server.git_root = args.git_root
    Path(args.log).touch()
    if not args.plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    Path(args.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
