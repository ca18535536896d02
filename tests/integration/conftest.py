"""Fixtures for the integration tests: the namespace rig (`askfirst exec`
behind a real askfirstd), profiles, and real servers on loopback.

The build directory comes from ASKFIRST_BUILD_DIR (tools/run-tests.sh sets
it), else <repo>/build. If `askfirst exec` cannot run here (not root and no
unprivileged user namespaces, or /dev/net/tun closed), every test that needs
it is skipped with exec's own explanation.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import servers  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("ASKFIRST_BUILD_DIR", os.path.join(REPO, "build")))
ASKFIRST = os.path.join(BUILD, "askfirst")
ASKFIRSTD = os.path.join(BUILD, "src", "askfirstd")

# Guest-side addresses the tests route with dns.hosts + upstream.map. They
# are documentation ranges (RFC 5737, RFC 3849): askfirstd never dials them,
# the map sends every flow to a loopback server.
WEB4 = "198.51.100.7"
WEB6 = "2001:db8::7"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def make_random_file(path, size):
    """`size` random bytes at `path`; returns their sha256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 22))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


class Rig:
    """Runs shell scripts inside `askfirst exec` with a given profile."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.count = 0

    def write_profile(self, profile):
        # These tests pin the data path, not decisions: unless a test names
        # modes, nothing is judged (mode off passes everything, logged).
        profile = {"modes": {"default": "off"}, **profile}
        self.count += 1
        path = os.path.join(self.workdir, f"profile-{self.count}.json")
        with open(path, "w") as out:
            json.dump(profile, out)
        return path

    def command(self, profile, script):
        # A name of its own: askfirstd refuses to start beside a live one of the same name.
        path = self.write_profile(profile)
        name = f"itest-{os.getpid()}-{self.count}-{os.path.basename(self.workdir)[:24]}"
        return [ASKFIRST, "exec", "--profile", path, "--name", name, "--", "sh", "-c", script]

    def run(self, profile, script, timeout=120):
        """Runs `script` in the sandbox; returns the CompletedProcess (text)."""
        return subprocess.run(self.command(profile, script), capture_output=True, text=True, timeout=timeout)

    def popen(self, profile, script, **kwargs):
        return subprocess.Popen(self.command(profile, script), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, **kwargs)


def askfirstd_pid_of(exec_pid, timeout=5.0):
    """The askfirstd that `askfirst exec` (pid exec_pid) started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(exec_pid)],
                                  capture_output=True, text=True).stdout.split("\n")
        for line in children:
            fields = line.split()
            if len(fields) == 2 and fields[1] == "askfirstd" and "--tap-fd" in cmdline_of(fields[0]):
                return int(fields[0])  # the daemon, not exec's short `askfirstd --help` probe
        time.sleep(0.05)
    raise RuntimeError(f"no askfirstd child of askfirst exec pid {exec_pid}")


def cmdline_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@pytest.fixture(scope="session", autouse=True)
def private_askfirst_dirs(tmp_path_factory):
    """askfirstd keeps its CA, audit log and control socket under the XDG dirs:
    give this test session its own, so it neither reads nor disturbs the user's."""
    home = tmp_path_factory.mktemp("xdg")
    for variable, folder in (("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (home / folder).mkdir(mode=0o700)
        os.environ[variable] = str(home / folder)
    return home


@pytest.fixture(scope="session")
def exec_works():
    for binary in (ASKFIRST, ASKFIRSTD):
        if not os.access(binary, os.X_OK):
            pytest.fail(f"{binary} is not built (set ASKFIRST_BUILD_DIR or build {BUILD})")
    probe = subprocess.run([ASKFIRST, "exec", "--", "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"askfirst exec cannot run here: {probe.stderr.strip()}")
    return True


@pytest.fixture
def rig(exec_works, tmp_path):
    return Rig(str(tmp_path))


@pytest.fixture(scope="session")
def web_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("webroot")
    with open(root / "small.txt", "w") as out:
        out.write("hello from nginx on loopback\n")
    return str(root)


@pytest.fixture(scope="session")
def nginx(tmp_path_factory, web_root):
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed (tools/setup.sh installs nginx-light)")
    server = servers.Nginx(str(tmp_path_factory.mktemp("nginx")), web_root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def async_servers():
    hosted = servers.AsyncServers()
    yield hosted
    hosted.stop()


@pytest.fixture(scope="session")
def echo_port(async_servers):
    return async_servers.start(servers.echo_handler)


@pytest.fixture(scope="session")
def digest_port(async_servers):
    return async_servers.start(servers.digest_handler)


@pytest.fixture
def web_profile(nginx):
    """web.test → WEB4/WEB6, both mapped to nginx on loopback, port 80."""
    return {
        "name": "itest",
        "dns": {"hosts": {"web.test": [WEB4, WEB6], "web4.test": WEB4, "web6.test": WEB6}},
        "upstream": {"map": {f"{WEB4}:80": f"127.0.0.1:{nginx.port}", f"[{WEB6}]:80": f"[::1]:{nginx.port}"}},
        "consent": {"listener_grace_s": 0},  # nobody listens here: consent.no_ui answers at once
    }


def kill_quietly(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
