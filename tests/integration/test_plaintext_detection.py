"""First-bytes detection on plaintext flows: what a lenient HTTP server would
act on is read as HTTP, never spliced unread (invariant 2).

A request with bare LF line ends, leading empty lines, two spaces or a tab
after the method used to fail the strict request-line recogniser and be
judged as an opaque "tcp" flow: block-destructive passes those, so a
`DELETE /prod-index` reached a server that takes such requests (nginx,
Python's http.server here) unread. Now the HTTP session gets the bytes and
its strict parser refuses what is ambiguous (400), or reads the request and
judges it; either way the origin never sees the DELETE.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ASKFIRST, REPO

ES_HOST = "search.plain.test"
ES_ADDRESS = "198.51.100.51"  # RFC 5737: never dialed, upstream.map sends it to the loopback origin

RAW_CLIENT = r'''
import socket, sys
payload = sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1")
with socket.create_connection((sys.argv[2], 80), timeout=15) as s:
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    try:
        while chunk := s.recv(65536):
            reply += chunk
    except OSError:
        pass
print(reply.split(b"\r\n")[0].decode("latin-1") or "closed")
'''

CASES = {
    "bare LF": "DELETE /prod-index HTTP/1.1\\nHost: search.plain.test\\n\\n",
    "leading empty lines": "\\r\\n\\r\\nDELETE /prod-index HTTP/1.1\\r\\nHost: search.plain.test\\r\\n\\r\\n",
    "two spaces": "DELETE  /prod-index HTTP/1.1\\r\\nHost: search.plain.test\\r\\n\\r\\n",
    "tab after the method": "DELETE\\t/prod-index HTTP/1.1\\r\\nHost: search.plain.test\\r\\n\\r\\n",
}


@pytest.fixture(scope="module")
def plain_origin(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lenient-origin")
    log, port_file = folder / "requests.jsonl", folder / "port"
    process = subprocess.Popen([sys.executable, str(Path(REPO) / "tests" / "e2e" / "origin.py"), "--plain",
                                "--port-file", str(port_file), "--log", str(log)])
    deadline = time.monotonic() + 10
    while not (port_file.exists() and port_file.read_text()):
        assert time.monotonic() < deadline, "origin did not start"
        time.sleep(0.05)
    yield int(port_file.read_text()), log
    process.terminate()


def received(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("case", list(CASES))
def test_a_request_a_lenient_server_would_take_is_read_not_spliced(exec_works, private_askfirst_dirs, plain_origin,
                                                                  tmp_path, case):
    port, log = plain_origin
    before = len(received(log))
    name = f"plain-{os.getpid()}-{case.replace(' ', '-')}"
    profile = {"name": name, "modes": {"default": "block-destructive"},
               "dns": {"hosts": {ES_HOST: ES_ADDRESS}},
               "upstream": {"map": {f"{ES_ADDRESS}:80": f"127.0.0.1:{port}"}}}
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    client = tmp_path / "raw_client.py"
    client.write_text(RAW_CLIENT)
    done = subprocess.run([ASKFIRST, "exec", "--profile", str(path), "--name", name, "--",
                           "/usr/bin/python3", str(client), CASES[case], ES_HOST],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert received(log)[before:] == [], f"{case}: the origin got it: {received(log)[before:]}"
    status = done.stdout.strip()
    assert status.split(" ")[1:2] in (["400"], ["403"]), f"{case}: {status}\n{done.stderr}"
