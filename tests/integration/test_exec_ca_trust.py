"""askfirst's CA is trusted inside `askfirst exec` with no configuration
(issue 14, tools/exec_ca_trust.h): Node's fetch, Python's urllib, awscli,
git and curl each reach the loopback HTTPS origin of http_origin.py through
askfirstd's MITM with no CA flag and no CA variable in the caller's
environment. exec binds a bundle (host CAs + askfirst's) over the system
bundle file and sets NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE,
CURL_CA_BUNDLE, AWS_CA_BUNDLE and GIT_SSL_CAINFO; `--no-ca-env` leaves the
variables alone (the system bundle stays covered, so curl and git still
work and Node, which reads only its own roots and the variable, does not).
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from http_origin import API_HOST, GIT_HOST, RDS_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)
from test_http_clients import bare_repo

CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE",
                "GIT_SSL_CAINFO")


def need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (tools/setup.sh)")


def run_without_ca_configuration(sandbox, script: str, *exec_flags: str) -> SandboxRun:
    """Like sandbox.run, but the caller's environment names no CA at all."""
    name = sandbox.new_name()
    before = len(sandbox.origin.requests())
    command = sandbox.command(name, sandbox.profile(name, "prompt-writes"), script)
    command[2:2] = list(exec_flags)  # after "askfirst exec"
    env = {key: value for key, value in sandbox.client_env().items() if key not in CA_VARIABLES}
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    records, torn = read_audit(name)
    return SandboxRun(done.returncode, done.stdout, done.stderr, name, records, torn,
                      sandbox.origin.requests()[before:])


NODE_FETCH = f"""node -e 'fetch("https://{API_HOST}/from-node").then(r => r.json()).then(j => console.log("node", j.ok))
  .catch(e => {{ console.log("node failed", e.cause && e.cause.code); }})'"""
PYTHON_URLLIB = (f"python3 -c 'import urllib.request, json; "
                 f"print(\"python\", json.load(urllib.request.urlopen(\"https://{API_HOST}/from-python\"))[\"ok\"])'")
CURL = f"curl -sS --max-time 60 https://{API_HOST}/from-curl && echo"
AWS = f"/usr/bin/aws --endpoint-url https://{RDS_HOST} --output text rds describe-db-instances"


def test_node_python_awscli_git_and_curl_trust_askfirst_without_flags(sandbox, origin, tmp_path):
    for program in ("node", "python3", "/usr/bin/aws", "git", "curl"):
        need(program)
    repo = f"trust-{tmp_path.name}.git"
    bare_repo(origin.git_root, repo)
    script = "; ".join([
        "env | grep -E '^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|GIT_SSL_CAINFO|AWS_CA_BUNDLE)=' | sort",
        NODE_FETCH, PYTHON_URLLIB, CURL,
        f"{AWS} | grep -q prod-db-1 && echo aws ok",
        f"GIT_TERMINAL_PROMPT=0 git clone -q https://{GIT_HOST}/{repo} {tmp_path}/clone && echo git ok",
    ])
    run = run_without_ca_configuration(sandbox, script)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.lines()
    variables = dict(line.split("=", 1) for line in lines if "=" in line)
    assert sorted(variables) == ["AWS_CA_BUNDLE", "GIT_SSL_CAINFO", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"]
    assert len(set(variables.values())) == 1, variables  # one bundle
    for expected in ("node true", "python True", '{"ok": true, "method": "GET", "length": 0}', "aws ok", "git ok"):
        assert expected in lines, (expected, run.stdout, run.stderr[-3000:])
    paths = [request["path"] for request in run.received]
    assert {"/from-node", "/from-python", "/from-curl"} <= set(paths), paths
    assert any(request["host"] == RDS_HOST for request in run.received)
    assert any(request["host"] == GIT_HOST and "git-upload-pack" in request["path"] for request in run.received)


def test_no_ca_env_leaves_the_variables_unset_and_the_system_bundle_covered(sandbox):
    need("node")
    need("curl")
    script = "; ".join(["env | grep -cE '^(" + "|".join(CA_VARIABLES) + ")=' ; true", NODE_FETCH, CURL])
    run = run_without_ca_configuration(sandbox, script, "--no-ca-env")
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.lines()
    assert lines[0] == "0", run.stdout  # no CA variable was set
    # Node trusts only its own roots and NODE_EXTRA_CA_CERTS: without the variable it refuses askfirst's leaf
    assert any(line.startswith("node failed") for line in lines), run.stdout
    # curl reads the system bundle file, which the sandbox's mount namespace covers
    assert '{"ok": true, "method": "GET", "length": 0}' in lines, run.stdout + run.stderr[-2000:]
    assert [request["path"] for request in run.received] == ["/from-curl"]
