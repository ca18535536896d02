"""Fixtures for the end-to-end tests: a real QEMU guest (the demo guest,
TCG unless KVM really works) behind a real askfirstd, started by the real
askfirst-vm wrapper, against real HTTPS origins on loopback.

Names the guest uses are mapped by the profile: dns.hosts gives them
documentation addresses (RFC 5737 / RFC 3849) that askfirstd never dials,
and upstream.map sends those flows to the loopback origins.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("ASKFIRST_BUILD_DIR", REPO / "build")).resolve()
ASKFIRSTD = BUILD / "src" / "askfirstd"
ASKFIRST = BUILD / "askfirst"
ASKFIRST_VM = REPO / "tools" / "askfirst-vm"
sys.path.insert(0, str(REPO / "tools"))

from askfirst_tools import control  # noqa: E402

API_HOST, API_ADDRESS = "api.example.test", "198.51.100.7"
V6_HOST, V6_ADDRESS = "v6.example.test", "2001:db8::7"
VM_SECONDS = 240  # one guest run: boot (~4 s under TCG) plus its script, with room for a loaded machine


def run(*command, **kwargs):
    return subprocess.run([str(part) for part in command], check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="session")
def e2e_home(tmp_path_factory):
    """Private XDG data/state/runtime dirs for every askfirstd of the session."""
    if not ASKFIRSTD.exists():
        pytest.skip(f"askfirstd is not built at {ASKFIRSTD}")
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("qemu-system-x86_64 is missing: run tools/setup.sh")
    home = tmp_path_factory.mktemp("e2e-home")
    for variable, folder in (("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
        (home / folder).mkdir(mode=0o700)
        os.environ[variable] = str(home / folder)
    return home


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    """A test CA and a certificate for the origins' names (as a real service would have)."""
    folder = tmp_path_factory.mktemp("test-ca")
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2", "-subj", "/CN=askfirst e2e test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "origin.key", "-out", folder / "origin.csr", "-subj", f"/CN={API_HOST}")
    (folder / "ext").write_text(f"subjectAltName=DNS:{API_HOST},DNS:{V6_HOST}\n")
    run("openssl", "x509", "-req", "-in", folder / "origin.csr", "-CA", folder / "ca.pem", "-CAkey", folder / "ca.key",
        "-CAcreateserial", "-out", folder / "origin.pem", "-days", "2", "-extfile", folder / "ext")
    return folder


class Origin:
    def __init__(self, folder: Path, test_ca: Path, ipv6: bool, extra: list[str] | None = None):
        self.log = folder / "requests.jsonl"
        port_file = folder / "port"
        command = [sys.executable, str(Path(__file__).parent / "origin.py"), "--cert", str(test_ca / "origin.pem"),
                   "--key", str(test_ca / "origin.key"), "--port-file", str(port_file), "--log", str(self.log)]
        self.process = subprocess.Popen(command + (["--ipv6"] if ipv6 else []) + (extra or []))
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text()):
            assert time.monotonic() < deadline and self.process.poll() is None, "origin server did not start"
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def requests(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=5)


@pytest.fixture(scope="session")
def origin(tmp_path_factory, test_ca):
    server = Origin(tmp_path_factory.mktemp("origin"), test_ca, ipv6=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def origin6(tmp_path_factory, test_ca):
    server = Origin(tmp_path_factory.mktemp("origin6"), test_ca, ipv6=True)
    yield server
    server.stop()


def base_profile(test_ca: Path, origin: Origin, mode: str, origin6: Origin | None = None) -> dict:
    profile = {
        "name": "e2e",
        "modes": {"default": mode},
        "dns": {"hosts": {API_HOST: API_ADDRESS, V6_HOST: V6_ADDRESS}},
        "upstream": {"map": {f"{API_ADDRESS}:443": f"127.0.0.1:{origin.port}"}},
        "tls": {"extra_ca": [str(test_ca / "ca.pem")]},
        # grace 0: a test without an answerer gets consent.no_ui at once, as before the grace existed
        "consent": {"timeout_s": 60, "listener_grace_s": 0},
    }
    if origin6 is not None:
        profile["upstream"]["map"][f"[{V6_ADDRESS}]:8443"] = f"[::1]:{origin6.port}"
    return profile


class Answerer(threading.Thread):
    """Subscribes to a VM's control socket and answers every question."""

    def __init__(self, name: str, answer: str, delay: float = 0.0):
        super().__init__(daemon=True)
        self.name_of_vm, self.answer, self.delay = name, answer, delay
        self.questions: list[dict] = []
        self.stop_flag = threading.Event()
        self.subscribed = threading.Event()

    def run(self):
        deadline = time.monotonic() + 30
        while not self.stop_flag.is_set() and time.monotonic() < deadline:
            try:
                client = control.ControlClient.for_name(self.name_of_vm, wait_seconds=0.2)
                break
            except control.ControlError:
                time.sleep(0.05)
        else:
            return
        with client:
            for question in client.subscribe():
                self.respond(client, question)
            self.subscribed.set()
            while not self.stop_flag.is_set():
                try:
                    for event in client.events(timeout=0.3):
                        if event.get("event") == "question":
                            self.respond(client, event["question"])
                except control.ControlError:
                    return

    def respond(self, client, question):
        self.questions.append(question)
        time.sleep(self.delay)
        client.request("answer", question=question["id"], answer=self.answer)


class GuestRun:
    def __init__(self, returncode: int, console: str, stderr: str):
        self.returncode, self.console, self.stderr = returncode, console, stderr

    def results(self) -> dict[str, str]:
        """RESULT <name> <value> lines the guest script printed."""
        found = {}
        for line in self.console.splitlines():
            parts = line.strip().split(" ", 2)
            if len(parts) >= 3 and parts[0] == "RESULT":
                found[parts[1]] = parts[2]
        return found


@pytest.fixture
def guest(e2e_home, tmp_path, request):
    """guest(profile, script, answer=None) boots the demo guest behind askfirstd and runs `script`
    (env: variables added to askfirst-vm's, so askfirstd's, environment)."""
    counter = iter(range(1000))

    def boot(profile: dict, script: str, answer: str | None = None, extra: list[str] | None = None,
             answer_delay: float = 0.0, env: dict | None = None) -> GuestRun:
        index = next(counter)
        name = f"e2e-{request.node.name[:40]}-{index}".replace("[", "-").replace("]", "")
        profile_path, script_path = tmp_path / f"profile-{index}.json", tmp_path / f"run-{index}.sh"
        console = tmp_path / f"console-{index}.log"
        profile_path.write_text(json.dumps(profile))
        script_path.write_text("#!/bin/sh\n" + script)
        answerer = Answerer(name, answer, answer_delay) if answer else None
        if answerer:
            answerer.start()
        daemon_log = tmp_path / f"askfirstd-{index}.log"
        command = [sys.executable, str(ASKFIRST_VM), "--demo-guest", "--run", str(script_path), "--name", name,
                   "--profile", str(profile_path), "--console-log", str(console), "--askfirstd", str(ASKFIRSTD),
                   "--askfirstd-log", str(daemon_log)]
        completed = subprocess.run(command + (extra or []), capture_output=True, text=True, timeout=VM_SECONDS,
                                   env=dict(os.environ, **(env or {})))
        if answerer:
            answerer.stop_flag.set()
            answerer.join(timeout=5)
        text = console.read_text(errors="replace") if console.exists() else ""
        daemon = daemon_log.read_text(errors="replace") if daemon_log.exists() else ""
        daemon = "\n".join(line for line in daemon.splitlines() if "frame_dropped" not in line)
        run_result = GuestRun(completed.returncode, text, completed.stderr + "\n--- askfirstd ---\n" + daemon)
        run_result.questions = answerer.questions if answerer else []
        return run_result

    return boot
