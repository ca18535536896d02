"""A raw HTTP-over-TLS client run *inside* an `askfirst exec` sandbox by
test_http_smuggling.py: for each case of a JSON file it opens one TLS
connection to HOST (or the case's "host") trusting askfirst's CA, sends the case's bytes exactly as
given, in one write or in the given pieces, reads until the peer closes or
goes quiet, and prints one JSON line: the status codes seen, the bytes
received (latin-1) and whether the connection was closed by the peer.

usage: raw_tls_client.py CASES.json CA.pem HOST
"""
from __future__ import annotations

import json
import re
import socket
import ssl
import sys
import time

QUIET_SECONDS = 3.0  # no byte for this long with the connection open: "still open"


def exchange(host: str, context: ssl.SSLContext, pieces: list[bytes], alpn: list[str] | None) -> dict:
    raw = socket.create_connection((host, 443), timeout=10)
    if alpn:
        context.set_alpn_protocols(alpn)
    conn = context.wrap_socket(raw, server_hostname=host)
    try:
        for piece in pieces:
            conn.sendall(piece)
            time.sleep(0.05)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass  # refused before we finished writing: what it answered is still readable
    conn.settimeout(QUIET_SECONDS)
    received, closed = b"", False
    while True:
        try:
            chunk = conn.recv(65536)
        except (socket.timeout, TimeoutError):
            break
        except (ConnectionResetError, ssl.SSLError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        received += chunk
    conn.close()
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    return {"statuses": statuses, "closed": closed, "received": received.decode("latin-1")}


def main() -> None:
    cases_path, ca_path, host = sys.argv[1:4]
    with open(cases_path) as source:
        cases = json.load(source)
    for case in cases:
        context = ssl.create_default_context(cafile=ca_path)
        pieces = [piece.encode("latin-1") for piece in case["pieces"]]
        try:
            result = exchange(case.get("host", host), context, pieces, case.get("alpn"))
        except OSError as error:
            result = {"statuses": [], "closed": True, "received": "", "error": str(error)}
        result["name"] = case["name"]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
