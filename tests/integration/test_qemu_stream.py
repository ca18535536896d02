"""The QEMU stream transport, through a real QEMU: askfirstd listens on a unix
socket (`--socket`), and a QEMU with no machine (`-machine none`) bridges a
`-netdev stream` client of that socket and a `-netdev tap` in a fresh network
namespace, both as ports of hub 0. A curl in that namespace then talks to
nginx on loopback exactly as a VM's guest would, 4-byte length-prefixed
frames and all (design.md, "Facts").
"""
import os
import shutil
import subprocess
import time

import pytest

from conftest import ASKFIRSTD, WEB4, kill_quietly

NAMESPACE_SCRIPT = r'''
set -e
ip link set lo up
qemu-system-x86_64 -machine none -nodefaults -display none \
  -netdev stream,id=guest,server=off,addr.type=unix,addr.path="$SOCKET" \
  -netdev tap,id=tap,ifname=qtap0,script=no,downscript=no \
  -netdev hubport,id=port0,hubid=0,netdev=guest \
  -netdev hubport,id=port1,hubid=0,netdev=tap &
qemu=$!
trap 'kill $qemu 2>/dev/null' EXIT
for i in $(seq 100); do ip link show qtap0 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set qtap0 address 52:54:00:12:34:56 up
ip addr add 10.0.2.15/24 dev qtap0
ip route add default via 10.0.2.2
mount --bind "$RESOLV_CONF" /etc/resolv.conf
curl -sS --max-time 20 http://web.test/small.txt
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates a network namespace with a QEMU-owned TAP")
@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu-system-x86 is not installed")
def test_curl_through_qemu_stream_netdev(exec_works, nginx, tmp_path):
    """Pins: askfirstd's `--socket` transport works with QEMU 7.2's -netdev stream (framing,
    one peer, listening before QEMU starts), end to end to a loopback server."""
    socket_path = tmp_path / "guest.sock"
    profile = tmp_path / "profile.json"
    profile.write_text('{"name": "qemu-stream", "dns": {"hosts": {"web.test": "%s"}}, '
                       '"upstream": {"map": {"%s:80": "127.0.0.1:%d"}}}' % (WEB4, WEB4, nginx.port))
    resolv_conf = tmp_path / "resolv.conf"
    resolv_conf.write_text("nameserver 10.0.2.3\n")
    daemon = subprocess.Popen([ASKFIRSTD, "--socket", str(socket_path), "--profile", str(profile), "--name", "qemu-stream"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 10
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket_path.exists(), "askfirstd did not create its socket"
        result = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT],
                                env=dict(os.environ, SOCKET=str(socket_path), RESOLV_CONF=str(resolv_conf)),
                                capture_output=True, text=True, timeout=90)
    finally:
        kill_quietly(daemon)
    log = daemon.stdout.read()
    assert result.returncode == 0, result.stderr + log
    assert result.stdout == "hello from nginx on loopback\n"
    assert "stream_peer_attached" in log
