"""A git smart-HTTP server over TLS on loopback for the TLS integration
tests: Python's http.server runs `git http-backend` as a CGI per request
(clone = upload-pack, push = receive-pack), and logs one JSON line per
request (method, path, status) so a test sees what reached the server.

Not nginx: nginx-light has no CGI, and fcgiwrap would be one more daemon;
a CGI bridge is a few lines here. Listens on 127.0.0.1 only.

usage: git_https_server.py --root DIR --cert PEM --key PEM --port-file F --log F
"""
import argparse
import json
import ssl
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


class GitBackendHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def backend(self):
        body = self.read_body()
        url = urlsplit(self.path)
        env = {"GIT_PROJECT_ROOT": self.server.root, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": url.path,
               "QUERY_STRING": url.query, "REQUEST_METHOD": self.command, "REMOTE_USER": "tester",
               "REMOTE_ADDR": self.client_address[0], "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "PATH": "/usr/bin:/bin"}
        for name, value in self.headers.items():
            env["HTTP_" + name.upper().replace("-", "_")] = value
        env.pop("HTTP_TRANSFER_ENCODING", None)
        done = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env, timeout=60)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        with open(self.server.request_log, "a") as log:
            log.write(json.dumps({"method": self.command, "path": self.path, "status": status}) + "\n")
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = backend


def main():
    parser = argparse.ArgumentParser()
    for option in ("--root", "--cert", "--key", "--port-file", "--log"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitBackendHandler)
    server.root, server.request_log = args.root, args.log
    Path(args.log).touch()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    Path(args.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
