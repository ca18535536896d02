"""TLS interception with real clients in `askfirst exec`: curl, openssl
s_client, python urllib and requests, git clone/push over HTTPS. Each client
trusts only askfirst's CA (exported from the test's private XDG dir); the
server (loopback nginx or a git http-backend bridge) has a certificate from a
test CA that askfirstd trusts through tls.extra_ca. Each test checks what the
server received, and the leaf tests check the certificate the guest saw.
"""
import json
import os
import subprocess
import sys
import time

import pytest

import tls_rig
from tls_fixtures import guest_file, profile, test_ca, tls_exec, tls_home, tls_nginx, tls_web_root  # noqa: F401

HOST = tls_rig.GOOD[0]
CURL = "curl -sS --max-time 60"


def test_curl_gets_a_page_through_the_mitm(tls_exec, profile, tls_home, tls_nginx):
    before = len(tls_nginx.requests("good"))
    done = tls_exec.run(profile(), f"{CURL} --cacert {tls_home.askfirst_ca} https://{HOST}/small.txt")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello over tls\n"
    arrived = tls_nginx.requests("good")[before:]
    assert [entry["request"] for entry in arrived] == ["GET /small.txt HTTP/1.1"]


def leaf_of(s_client_output):
    """The first PEM certificate in `openssl s_client -showcerts` output."""
    start = s_client_output.index("-----BEGIN CERTIFICATE-----")
    end = s_client_output.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return s_client_output[start:end] + "\n"


def x509(pem, *options):
    return subprocess.run(["openssl", "x509", "-noout", *options], input=pem, capture_output=True, text=True,
                          check=True).stdout


def test_s_client_sees_a_leaf_for_the_sni_that_chains_to_askfirst_ca_and_is_cached(tls_exec, profile, tls_home,
                                                                                  tmp_path):
    s_client = (f"openssl s_client -connect {HOST}:443 -servername {HOST} -CAfile {tls_home.askfirst_ca} "
                f"-verify_hostname {HOST} -showcerts </dev/null 2>&1")
    script = f"{s_client} > {tmp_path}/first.txt; {s_client} > {tmp_path}/second.txt"
    done = tls_exec.run(profile(), script)
    assert done.returncode == 0, done.stderr
    first, second = (open(f"{tmp_path}/{name}.txt").read() for name in ("first", "second"))
    assert "Verify return code: 0 (ok)" in first, first
    leaf = leaf_of(first)
    assert f"DNS:{HOST}" in x509(leaf, "-ext", "subjectAltName")
    ca_subject = x509(open(tls_home.askfirst_ca).read(), "-subject").strip()
    assert x509(leaf, "-issuer").strip().replace("issuer=", "") == ca_subject.replace("subject=", "")
    chain = guest_file(tmp_path, "leaf.pem", leaf)
    verified = subprocess.run(["openssl", "verify", "-CAfile", tls_home.askfirst_ca, chain], capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The second connection gets the cached leaf: same serial, same fingerprint.
    assert x509(leaf_of(second), "-serial", "-fingerprint", "-sha256") == x509(leaf, "-serial", "-fingerprint",
                                                                               "-sha256")


def test_python_urllib_and_requests_through_the_mitm(tls_exec, profile, tls_home, tls_nginx, tmp_path):
    program = guest_file(tmp_path, "clients.py", f"""
import urllib.request, requests
print(urllib.request.urlopen("https://{HOST}/small.txt", timeout=60).read().decode(), end="")
print(requests.get("https://{HOST}/small.txt?from=requests", timeout=60).text, end="")
""")
    before = len(tls_nginx.requests("good"))
    script = (f"SSL_CERT_FILE={tls_home.askfirst_ca} REQUESTS_CA_BUNDLE={tls_home.askfirst_ca} "
              f"/usr/bin/python3 {program}")
    done = tls_exec.run(profile(), script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello over tls\n" * 2
    assert [entry["request"] for entry in tls_nginx.requests("good")[before:]] == [
        "GET /small.txt HTTP/1.1", "GET /small.txt?from=requests HTTP/1.1"]


def test_python_refuses_askfirst_leaf_without_its_ca(tls_exec, profile, tmp_path):
    """The check above can fail: without askfirst's CA, the host's own store refuses the leaf.
    (askfirst exec trusts askfirst's CA by default, tools/exec_ca_trust.h: the client is given
    a copy of the host's bundle as it is outside the sandbox.)"""
    host_store = guest_file(tmp_path, "host-bundle.pem", open("/etc/ssl/certs/ca-certificates.crt").read())
    program = guest_file(tmp_path, "refuse.py", f"""
import ssl, urllib.request
try:
    context = ssl.create_default_context(cafile="{host_store}")
    urllib.request.urlopen("https://{HOST}/small.txt", timeout=60, context=context)
    print("accepted")
except Exception as error:
    print("refused", "CERTIFICATE_VERIFY_FAILED" in str(error))
""")
    done = tls_exec.run(profile(passthrough=[]), f"/usr/bin/python3 {program}")
    assert done.stdout.strip() == "refused True", done.stdout + done.stderr


@pytest.fixture(scope="module")
def git_server(tmp_path_factory, test_ca):
    folder = tmp_path_factory.mktemp("git-https")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(folder / "repo.git")], check=True)
    subprocess.run(["git", "-C", str(folder / "repo.git"), "config", "http.receivepack", "true"], check=True)
    seed = folder / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    (seed / "README").write_text("seeded on the host\n")
    identity = ["-c", "user.name=host", "-c", "user.email=host@example.invalid"]
    subprocess.run(["git", "-C", str(seed), "add", "README"], check=True)
    subprocess.run(["git", *identity, "-C", str(seed), "commit", "-q", "-m", "seed"], check=True)
    subprocess.run(["git", "-C", str(seed), "push", "-q", str(folder / "repo.git"), "main"], check=True)
    port_file, log = folder / "port", folder / "requests.jsonl"
    server = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "git_https_server.py"),
                               "--root", str(folder), "--cert", f"{test_ca}/good.pem", "--key", f"{test_ca}/good.key",
                               "--port-file", str(port_file), "--log", str(log)])
    deadline = time.monotonic() + 15
    while not (port_file.exists() and port_file.read_text()):
        assert time.monotonic() < deadline and server.poll() is None, "git https server did not start"
        time.sleep(0.05)
    server.port, server.log, server.folder = int(port_file.read_text()), log, folder
    yield server
    server.terminate()
    server.wait(10)


def test_git_clone_and_push_over_https(tls_exec, profile, tls_home, git_server, tmp_path):
    name, address, _ = tls_rig.GIT
    config = profile()
    config["dns"]["hosts"][name] = address
    config["upstream"]["map"][f"{address}:443"] = f"127.0.0.1:{git_server.port}"
    work = tmp_path / "clone"
    script = (f"set -e; export GIT_SSL_CAINFO={tls_home.askfirst_ca} GIT_TERMINAL_PROMPT=0; "
              f"git clone -q https://{name}/repo.git {work}; cd {work}; "
              "echo 'pushed from the guest' > guest.txt; git add guest.txt; "
              "git -c user.name=guest -c user.email=guest@example.invalid commit -q -m guest; "
              "git push -q origin main; cat README")
    done = tls_exec.run(config, script, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "seeded on the host\n"
    shown = subprocess.run(["git", "-C", str(git_server.folder / "repo.git"), "show", "main:guest.txt"],
                           capture_output=True, text=True)
    assert shown.stdout == "pushed from the guest\n", shown.stderr
    requests = [json.loads(line) for line in git_server.log.read_text().splitlines()]
    assert any(entry["path"].endswith("git-receive-pack") and entry["status"] == 200 for entry in requests)
