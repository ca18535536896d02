"""Who speaks first, when the guest is slow (src/intercepting_pipeline.h):
a guest silent for tls::kServerSpeaksFirstTimeout (250 ms) makes askfirstd dial
the upstream and wait for the first side to speak, instead of judging the
flow opaque at once. These tests pin both outcomes through `askfirst exec`
against loopback servers:
  - a server that speaks first (a banner on accept) is judged as the opaque
    flow "tcp HOST:PORT" and relayed, banner included; under a mode that
    refuses tcp the guest gets nothing of the banner and a reset;
  - a plain HTTP request sent after 4 s is still parsed and classified (a
    DELETE under block-writes gets askfirst's 403 and never reaches the
    server; a GET passes over the one connection the probe opened).
The late TLS ClientHello itself is pinned in test_tls_volume.py.
"""
import asyncio
import json
import os

import tls_rig
from tls_fixtures import guest_file, profile, test_ca, tls_exec, tls_home, tls_nginx, tls_web_root  # noqa: F401

BANNER_HOST, BANNER_ADDRESS, BANNER_PORT = "banner.tls.test", "198.51.100.30", 2222
LATE_HOST, LATE_ADDRESS = "late.tls.test", "198.51.100.31"
BANNER = b"SSH-2.0-askfirst-test-banner\r\n"


class BannerServer:
    """Writes a banner on accept, then answers one line with 'got LINE'."""

    def __init__(self):
        self.connections = 0

    async def handler(self, reader, writer):
        self.connections += 1
        try:
            writer.write(BANNER)
            await writer.drain()
            line = await reader.readline()
            writer.write(b"got " + line)
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()


class CountingHttpOrigin:
    """A tiny HTTP/1.1 origin that logs request lines and counts connections."""

    def __init__(self):
        self.connections = 0
        self.requests = []

    async def handler(self, reader, writer):
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests.append(head.split(b"\r\n")[0].decode())
                body = b"late hello\n"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def routed(base, host, address, guest_port, server_port):
    """The tls profile plus one more name, routed to a loopback server."""
    base["dns"]["hosts"][host] = address
    base["upstream"]["map"][f"{address}:{guest_port}"] = f"127.0.0.1:{server_port}"
    return base


def last_audit(tls_home):
    """Audit records of the last TlsExec run (its name is tls-PID-COUNTER)."""
    name = f"tls-{os.getpid()}-{tls_rig.TlsExec.counter}"
    path = os.path.join(tls_home.env["XDG_STATE_HOME"], "askfirst", "audit", f"{name}.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [json.loads(line) for line in log if line.endswith("\n")]


BANNER_CLIENT = f"""
import socket
raw = socket.create_connection(("{BANNER_HOST}", {BANNER_PORT}), timeout=30)
try:
    banner = raw.recv(100)
    print("banner", repr(banner))
    raw.sendall(b"hello\\n")
    reply = b""
    while chunk := raw.recv(100):
        reply += chunk
    print("reply", repr(reply))
except OSError as error:
    print("error", type(error).__name__)
"""


def test_a_server_that_speaks_first_is_judged_as_tcp_and_relayed_with_its_banner(
        tls_exec, profile, tls_home, async_servers, tmp_path):
    server = BannerServer()
    port = async_servers.start(server.handler)
    program = guest_file(tmp_path, "banner.py", BANNER_CLIENT)
    done = tls_exec.run(routed(profile(), BANNER_HOST, BANNER_ADDRESS, BANNER_PORT, port),
                        f"/usr/bin/python3 {program}", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"banner {BANNER!r}", "reply b'got hello\\n'"], done.stdout + done.stderr
    assert server.connections == 1
    tcp = [(r["provider"], r["operation"], r["decision"]) for r in last_audit(tls_home) if r["provider"] == "tcp"]
    assert tcp == [("tcp", f"tcp {BANNER_HOST}:{BANNER_PORT}", "pass")]


def test_under_a_mode_refusing_tcp_the_guest_gets_nothing_of_the_banner_and_a_reset(
        tls_exec, profile, tls_home, async_servers, tmp_path):
    server = BannerServer()
    port = async_servers.start(server.handler)
    program = guest_file(tmp_path, "banner.py", BANNER_CLIENT)
    done = tls_exec.run(routed(profile(mode="block-writes"), BANNER_HOST, BANNER_ADDRESS, BANNER_PORT, port),
                        f"/usr/bin/python3 {program}", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "error ConnectionResetError", done.stdout + done.stderr
    assert server.connections == 1  # the probe dialed; its banner never reached the guest
    tcp = [(r["operation"], r["decision"]) for r in last_audit(tls_home) if r["provider"] == "tcp"]
    assert tcp == [(f"tcp {BANNER_HOST}:{BANNER_PORT}", "block")]


def test_a_plain_http_request_sent_late_is_parsed_and_classified(
        tls_exec, profile, tls_home, async_servers, tmp_path):
    origin = CountingHttpOrigin()
    port = async_servers.start(origin.handler)
    program = guest_file(tmp_path, "late_http.py", f"""
import socket, time

def late(method):
    raw = socket.create_connection(("{LATE_HOST}", 80), timeout=30)
    time.sleep(4)  # past the detection timeout: the probe has dialed the origin by now
    raw.sendall(f"{{method}} /late/thing HTTP/1.1\\r\\nHost: {LATE_HOST}\\r\\nConnection: close\\r\\n\\r\\n".encode())
    reply = b""
    while chunk := raw.recv(65536):
        reply += chunk
    print(method, reply.split(b"\\r\\n")[0].decode(), reply.endswith(b"late hello\\n"))

late("DELETE")
late("GET")
""")
    done = tls_exec.run(routed(profile(mode="block-writes"), LATE_HOST, LATE_ADDRESS, 80, port),
                        f"/usr/bin/python3 {program}", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["DELETE HTTP/1.1 403 Forbidden False", "GET HTTP/1.1 200 OK True"], \
        done.stdout + done.stderr
    assert origin.requests == ["GET /late/thing HTTP/1.1"]  # the DELETE never reached it
    assert origin.connections == 2  # one per guest connection: the probe's, reused for the GET
    records = [(r["provider"], r["method"], r["decision"]) for r in last_audit(tls_home)]
    assert [record[1:] for record in records] == [("DELETE", "block"), ("GET", "pass")], records
    assert all(provider != "tcp" for provider, _, _ in records)
