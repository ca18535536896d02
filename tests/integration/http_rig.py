"""The rig of the HTTP decision-point tests (tests/integration/test_http_*.py):
the loopback HTTPS origin of http_origin.py with its openssl-made test CA
(given to askfirstd as tls.extra_ca), askfirst's own CA exported for the
clients in the sandbox, and `HttpSandbox.run(mode, script)`: one
`askfirst exec --name UNIQUE` whose profile maps every test name to the
origin, returning what the client printed, the audit records of that run
and the requests that reached the origin during it. askfirstd's CA, audit
logs and control sockets live in the session's private XDG dirs
(conftest.private_askfirst_dirs, autouse).

Test modules import the fixtures: `from http_rig import *  # noqa`.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ASKFIRST
from http_origin import ALL_HOSTS, GUEST_ADDRESS, HttpsOrigin, make_test_ca

__all__ = ["test_ca", "origin", "askfirst_ca", "sandbox", "HttpSandbox", "SandboxRun",
           "read_audit", "audit_path"]


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("http-test-ca"))


@pytest.fixture(scope="module")
def origin(test_ca, tmp_path_factory):
    git_root = tmp_path_factory.mktemp("git-root")
    server = HttpsOrigin(test_ca, git_root)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def askfirst_ca(private_askfirst_dirs, tmp_path_factory) -> Path:
    """askfirst's CA certificate (PEM), what a client in the sandbox must trust; the CA itself
    is in the session's private XDG_DATA_HOME (conftest.private_askfirst_dirs)."""
    done = subprocess.run([ASKFIRST, "ca", "export", "--pem"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    path = tmp_path_factory.mktemp("askfirst-ca") / "askfirst-ca.pem"
    path.write_text(done.stdout)
    return path


def audit_path(name: str) -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "askfirst" / "audit" / f"{name}.jsonl"


def read_audit(name: str) -> tuple[list[dict], list[bytes]]:
    """(records, torn): the reader's rule of consent/audit_log.h — a line counts
    only when it ends with '\\n' and parses as a JSON object; anything else is torn."""
    path = audit_path(name)
    if not path.exists():
        return [], []
    records, torn = [], []
    for line in path.read_bytes().split(b"\n")[:-1]:
        try:
            value = json.loads(line)
            (records if isinstance(value, dict) else torn).append(value if isinstance(value, dict) else line)
        except ValueError:
            torn.append(line)
    tail = path.read_bytes().rsplit(b"\n", 1)[-1]
    if tail:
        torn.append(tail)
    return records, torn


@dataclass
class SandboxRun:
    returncode: int
    stdout: str
    stderr: str
    name: str
    audit: list[dict]
    torn: list[bytes]
    received: list[dict] = field(default_factory=list)  # what reached the origin during the run

    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]


class HttpSandbox:
    counter = 0

    def __init__(self, tmp_path: Path, origin: HttpsOrigin, test_ca: Path, askfirst_ca: Path):
        self.tmp_path, self.origin, self.test_ca, self.askfirst_ca = tmp_path, origin, test_ca, askfirst_ca

    def profile(self, name: str, mode: str, modes: dict | None = None, extra: dict | None = None) -> dict:
        profile = {"name": name, "modes": {"default": mode, **(modes or {})},
                   "dns": {"hosts": {host: GUEST_ADDRESS for host in ALL_HOSTS}},
                   "upstream": {"map": {f"{GUEST_ADDRESS}:443": f"127.0.0.1:{self.origin.port}"}},
                   "tls": {"extra_ca": [str(self.test_ca / "ca.pem")]},
                   # grace 0: with nobody listening, consent.no_ui answers at once (test_consent.py pins the grace)
                   "consent": {"timeout_s": 30, "no_ui": "deny", "listener_grace_s": 0}}
        profile.update(extra or {})
        return profile

    def new_name(self) -> str:
        HttpSandbox.counter += 1
        return f"http-{os.getpid()}-{HttpSandbox.counter}"

    def command(self, name: str, profile: dict, script: str) -> list[str]:
        path = self.tmp_path / f"{name}.json"
        path.write_text(json.dumps(profile))
        return [ASKFIRST, "exec", "--profile", str(path), "--name", name, "--", "sh", "-c", script]

    def run(self, mode: str, script: str, modes: dict | None = None, extra: dict | None = None,
            timeout: float = 120) -> SandboxRun:
        name = self.new_name()
        before = len(self.origin.requests())
        done = subprocess.run(self.command(name, self.profile(name, mode, modes, extra), script),
                              capture_output=True, text=True, timeout=timeout, env=self.client_env())
        records, torn = read_audit(name)
        return SandboxRun(done.returncode, done.stdout, done.stderr, name, records, torn,
                          self.origin.requests()[before:])

    def client_env(self) -> dict:
        """The environment of the sandboxed clients: askfirst's CA for curl and python, dummy AWS keys."""
        env = dict(os.environ)
        env.update({"CURL_CA_BUNDLE": str(self.askfirst_ca), "SSL_CERT_FILE": str(self.askfirst_ca),
                    "AWS_CA_BUNDLE": str(self.askfirst_ca), "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard", "AWS_PAGER": "",
                    "HOME": str(self.tmp_path)})
        return env


@pytest.fixture
def sandbox(exec_works, origin, test_ca, askfirst_ca, tmp_path):
    return HttpSandbox(tmp_path, origin, test_ca, askfirst_ca)
