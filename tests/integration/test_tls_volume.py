"""Volume through TLS interception in `askfirst exec` against loopback
nginx: 256 MiB down and 256 MiB up with matching sha256, 500 TLS flows open
at once each carrying a request, and one kept-alive connection carrying many
requests (nginx's log shows them on one connection).
"""
import os

import pytest

from conftest import make_random_file, sha256_file
from tls_fixtures import guest_file, profile, test_ca, tls_exec, tls_home, tls_nginx, tls_web_root  # noqa: F401
import tls_rig

HOST = tls_rig.GOOD[0]
BULK_BYTES = 256 << 20  # the figure: 256 MiB each way
CONCURRENT_FLOWS = 500  # the figure
KEEPALIVE_REQUESTS = 2000  # enough to cross many record/buffer cycles, quick on a loaded machine


def test_256_mib_each_way_arrive_intact(tls_exec, profile, tls_home, tls_nginx, tls_web_root, tmp_path):
    down = make_random_file(os.path.join(tls_web_root, "big.bin"), BULK_BYTES)
    up_source = str(tmp_path / "up.bin")
    up = make_random_file(up_source, BULK_BYTES)
    curl = f"curl -sS --max-time 600 --cacert {tls_home.askfirst_ca}"
    script = (f"{curl} https://{HOST}/big.bin | sha256sum; "
              f"{curl} -o /dev/null -w '%{{http_code}}\\n' -T {up_source} https://{HOST}/upload/up.bin")
    done = tls_exec.run(profile(), script, timeout=900)
    assert done.returncode == 0, done.stderr
    digest, status = done.stdout.split("\n")[:2]
    assert digest.split()[0] == down
    assert status in ("201", "204"), done.stdout
    assert sha256_file(os.path.join(tls_web_root, "upload", "up.bin")) == up
    os.unlink(os.path.join(tls_web_root, "big.bin"))
    os.unlink(os.path.join(tls_web_root, "upload", "up.bin"))


def test_500_tls_flows_at_once(tls_exec, profile, tls_home, tls_nginx, tmp_path):
    program = guest_file(tmp_path, "many.py", f"""
import asyncio, ssl
context = ssl.create_default_context(cafile="{tls_home.askfirst_ca}")

async def open_one():
    return await asyncio.wait_for(asyncio.open_connection("{HOST}", 443, ssl=context, server_hostname="{HOST}"), 240)

async def ask(number, reader, writer):
    writer.write(f"GET /small.txt?flow={{number}} HTTP/1.1\\r\\nHost: {HOST}\\r\\nConnection: close\\r\\n\\r\\n".encode())
    reply = await asyncio.wait_for(reader.read(), 120)
    writer.close()
    return reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"hello over tls\\n")

async def main():
    # Handshakes one after another (each ClientHello promptly after its TCP
    # handshake: see the slow-ClientHello test below), every flow kept open,
    # then one request on each of them at once.
    flows = [await open_one() for _ in range({CONCURRENT_FLOWS})]
    print("open", len(flows))
    answers = await asyncio.gather(*(ask(number, *flow) for number, flow in enumerate(flows)))
    print("ok", sum(answers))

asyncio.run(main())
""")
    before = len(tls_nginx.requests("good"))
    done = tls_exec.run(profile(), f"/usr/bin/python3 {program}", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["open", str(CONCURRENT_FLOWS), "ok", str(CONCURRENT_FLOWS)]
    arrived = [entry for entry in tls_nginx.requests("good")[before:] if "?flow=" in entry["request"]]
    assert len(arrived) == CONCURRENT_FLOWS
    assert len({entry["connection"] for entry in arrived}) == CONCURRENT_FLOWS


def test_many_requests_on_one_kept_alive_connection(tls_exec, profile, tls_home, tls_nginx, tmp_path):
    program = guest_file(tmp_path, "keepalive.py", f"""
import http.client, ssl
context = ssl.create_default_context(cafile="{tls_home.askfirst_ca}")
connection = http.client.HTTPSConnection("{HOST}", 443, context=context, timeout=60)
good = 0
for number in range({KEEPALIVE_REQUESTS}):
    connection.request("GET", f"/small.txt?keepalive={{number}}")
    response = connection.getresponse()
    good += response.status == 200 and response.read() == b"hello over tls\\n"
print(good)
""")
    before = len(tls_nginx.requests("good"))
    done = tls_exec.run(profile(), f"/usr/bin/python3 {program}", timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(KEEPALIVE_REQUESTS)
    arrived = [entry for entry in tls_nginx.requests("good")[before:] if "?keepalive=" in entry["request"]]
    assert len(arrived) == KEEPALIVE_REQUESTS
    assert len({entry["connection"] for entry in arrived}) == 1  # one upstream connection carried them all
    assert max(entry["count"] for entry in arrived) == KEEPALIVE_REQUESTS


# A ClientHello later than tls::kServerSpeaksFirstTimeout (250 ms) after the TCP
# handshake: askfirstd has dialed the upstream by then to see whether the
# server speaks first, and must still intercept the guest's TLS when the
# guest turns out to speak first (src/intercepting_pipeline.h).
def test_a_clienthello_sent_late_is_still_intercepted(tls_exec, profile, tls_home, tmp_path):
    program = guest_file(tmp_path, "late.py", f"""
import socket, ssl, time
context = ssl.create_default_context(cafile="{tls_home.askfirst_ca}")
raw = socket.create_connection(("{HOST}", 443), timeout=30)
time.sleep(4)  # a busy guest: the TCP handshake done, the ClientHello not built yet
try:
    with context.wrap_socket(raw, server_hostname="{HOST}") as tls:
        print("intercepted", tls.version())
except ssl.SSLError as error:
    print("not intercepted", error)
""")
    done = tls_exec.run(profile(), f"/usr/bin/python3 {program}", timeout=120)
    assert done.stdout.startswith("intercepted"), done.stdout + done.stderr
