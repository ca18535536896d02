"""Issue 11: certificates that strict verifiers accept.

askfirst's CA and leaves used to carry ecdsa-with-SHA256 with an explicit
NULL parameter (RFC 5758 §3.2 forbids it); rustls/webpki refused them, so
OpenAI's Codex CLI (a Rust binary) failed with alert 51 even when it
trusted askfirst's CA. Here the real Codex CLI, installed from the npm
registry at test time (cached under the build directory, never vendored),
trusts askfirst's CA through SSL_CERT_FILE/CODEX_CA_CERTIFICATE and talks
to a stand-in of the Responses API through `askfirst exec`, and Node's own
TLS stack (fetch) does the same. OpenSSL (curl), Python and Go (kubectl)
are covered by test_tls_clients.py and test_http_clients.py.

Skips, saying so, when the npm registry cannot be reached to install Codex.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ASKFIRST, BUILD
from model_api_standin import STANDIN_REPLY, ModelApiStandin, make_vendor_ca

CODEX_VERSION = "0.171.0"
OPENAI_HOST = "api.openai.com"
GUEST_ADDRESS = "198.51.100.40"  # RFC 5737: never dialed, upstream.map sends it to the stand-in


@pytest.fixture(scope="module")
def codex_binary() -> Path:
    """`codex` from the npm registry, installed once per build directory."""
    prefix = Path(BUILD) / "npm-agents" / f"codex-{CODEX_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "codex"
    if not binary.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed, so Codex CLI cannot be installed from the npm registry")
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                               f"@openai/codex@{CODEX_VERSION}"], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"cannot install @openai/codex from the npm registry: {done.stderr.strip()[-400:]}")
    return binary


@pytest.fixture(scope="module")
def vendor(tmp_path_factory):
    folder = make_vendor_ca(tmp_path_factory.mktemp("openai-ca"), [OPENAI_HOST])
    standin = ModelApiStandin(folder)
    yield folder, standin
    standin.stop()


def run_in_exec(tmp_path: Path, vendor_ca: Path, standin: ModelApiStandin, command: list[str], env: dict,
                timeout: int = 180) -> subprocess.CompletedProcess:
    name = f"strict-{os.getpid()}-{len(list(tmp_path.iterdir()))}"
    profile = {"name": name, "modes": {"default": "off"},
               "dns": {"hosts": {OPENAI_HOST: GUEST_ADDRESS}},
               "upstream": {"map": {f"{GUEST_ADDRESS}:443": f"127.0.0.1:{standin.port}"}},
               "tls": {"extra_ca": [str(vendor_ca / "ca.pem")]}}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(profile))
    return subprocess.run([ASKFIRST, "exec", "--profile", str(path), "--name", name, "--", *command],
                          capture_output=True, text=True, timeout=timeout, env=env)


def client_env(tmp_path: Path, askfirst_ca: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({"HOME": str(home), "CODEX_HOME": str(home / ".codex"), "OPENAI_API_KEY": "sk-standin-key",
                "SSL_CERT_FILE": str(askfirst_ca), "CODEX_CA_CERTIFICATE": str(askfirst_ca),
                "NODE_EXTRA_CA_CERTS": str(askfirst_ca), "NO_COLOR": "1"})
    (home / ".codex").mkdir(exist_ok=True)
    return env


@pytest.fixture
def askfirst_ca_file(exec_works, private_askfirst_dirs, tmp_path) -> Path:
    done = subprocess.run([ASKFIRST, "ca", "export", "--pem"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr  # a fresh CA needs no rotation
    path = tmp_path / "askfirst-ca.pem"
    path.write_text(done.stdout)
    return path


def test_codex_cli_rustls_accepts_askfirst_certificates(codex_binary, vendor, askfirst_ca_file, tmp_path):
    vendor_ca, standin = vendor
    before = len(standin.requests)
    done = run_in_exec(tmp_path, vendor_ca, standin,
                       [str(codex_binary), "exec", "--skip-git-repo-check", "say hello"],
                       client_env(tmp_path, askfirst_ca_file))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert STANDIN_REPLY in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert "UnsupportedSignatureAlgorithm" not in done.stderr, done.stderr[-2000:]
    posts = [r for r in standin.requests[before:] if r["method"] == "POST"]
    assert [r["path"] for r in posts] == ["/v1/responses"], standin.requests[before:]
    assert "say hello" in posts[0]["body"]


def test_node_fetch_accepts_askfirst_certificates(vendor, askfirst_ca_file, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    vendor_ca, standin = vendor
    before = len(standin.requests)
    script = (f"fetch('https://{OPENAI_HOST}/v1/models').then(r => console.log('status', r.status))"
              ".catch(e => { console.log('failed', e.cause ? e.cause.code : e.message); process.exit(1); })")
    done = run_in_exec(tmp_path, vendor_ca, standin, ["node", "-e", script], client_env(tmp_path, askfirst_ca_file))
    assert done.stdout.strip() == "status 404", done.stdout + done.stderr[-2000:]
    assert [r["path"] for r in standin.requests[before:]] == ["/v1/models"]
