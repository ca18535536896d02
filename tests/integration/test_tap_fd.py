"""`askfirstd --tap-fd N` with a TAP the caller opened itself, with and
without a virtio-net header (IFF_VNET_HDR): askfirstd asks the fd which it
is (TUNGETIFF) and speaks bare frames or header + frame. `askfirst exec`
opens its TAP with the header, so every other integration test covers that
one; here a bare TAP, as a user's own tooling may pass, is covered too, each
with a download whose sha256 must match (every TCP checksum askfirstd sent
was accepted by the namespace's kernel, partial or full).
"""
import fcntl
import os
import shutil
import struct
import subprocess
import time

import pytest

from conftest import ASKFIRSTD, WEB4, kill_quietly, make_random_file, sha256_file

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
DOWNLOAD_BYTES = 8 * 1024 * 1024


def open_tap(name, flags):
    """A TAP fd attached to a new device `name` in this (the host's) namespace."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
    return fd


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


@pytest.fixture
def payload(web_root):
    path = os.path.join(web_root, "tap-fd.bin")
    return "tap-fd.bin", make_random_file(path, DOWNLOAD_BYTES)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates a TAP and a named network namespace")
@pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 is not installed")
@pytest.mark.parametrize("header", ["bare frames", "virtio-net header"])
def test_a_tap_fd_from_the_caller_carries_a_download_intact(header, nginx, payload, tmp_path):
    """Pins: askfirstd serves a caller's TAP fd either way; the guest-side kernel accepts
    every segment (a wrong checksum would stall the download, a wrong frame offset corrupt it)."""
    name, expected = payload
    namespace = f"aftap{os.getpid() % 100000}"
    device = f"aft{os.getpid() % 100000}"
    flags = IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if header == "virtio-net header" else 0)
    profile = tmp_path / "profile.json"
    profile.write_text('{"name": "tap-fd", "modes": {"default": "off"}, '
                       '"upstream": {"map": {"%s:80": "127.0.0.1:%d"}}}' % (WEB4, nginx.port))
    log_path = tmp_path / "askfirstd.log"
    ip("netns", "add", namespace)
    daemon = None
    tap = -1
    try:
        tap = open_tap(device, flags)
        ip("link", "set", device, "netns", namespace)
        ip("-n", namespace, "link", "set", "lo", "up")
        ip("-n", namespace, "link", "set", device, "address", "52:54:00:12:34:56", "up")
        ip("-n", namespace, "addr", "add", "10.0.2.15/24", "dev", device)
        ip("-n", namespace, "route", "add", "default", "via", "10.0.2.2")
        with open(log_path, "w") as log:
            daemon = subprocess.Popen([ASKFIRSTD, "--tap-fd", str(tap), "--profile", str(profile), "--name",
                                       f"tap-fd-{os.getpid()}"], pass_fds=(tap,), stdout=log, stderr=subprocess.STDOUT)
        os.close(tap)
        tap = -1
        deadline = time.monotonic() + 10
        while "event=ready" not in log_path.read_text() and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.05)
        assert "event=ready" in log_path.read_text(), log_path.read_text()
        stored = tmp_path / "stored.bin"
        result = subprocess.run(["ip", "netns", "exec", namespace, "curl", "-sS", "--max-time", "60", "-o", str(stored),
                                 f"http://{WEB4}/{name}"], capture_output=True, text=True, timeout=90)
        assert result.returncode == 0, result.stderr + log_path.read_text()
        assert sha256_file(stored) == expected
    finally:
        if daemon is not None:
            kill_quietly(daemon)
        if tap >= 0:
            os.close(tap)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
