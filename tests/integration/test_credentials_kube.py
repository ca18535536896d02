"""The credential broker for Kubernetes client certificates (issue 13): the
host's kubeconfig holds a real client certificate and key, the sandbox of
`askfirst exec` sees a stub kubeconfig (a self-signed stub pair askfirstd
minted, the server URL kept), and askfirstd presents the REAL certificate and
key in its own TLS handshake with the cluster, for the entry's hosts only.

The cluster is a loopback HTTPS server (the K8S routes of http_origin.py)
that REQUIRES a client certificate signed by the client CA made here, so a
handshake without the real certificate fails and kubectl cannot list pods.
Real kubectl; `kubectl delete` under block-destructive is refused. The real
key is looked for in everything askfirstd wrote and the sandbox printed.
"""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from core_dump import core_dump_once_done, skip_unless_core_dumps_can_be_scanned
from http_origin import K8S_HOST, HttpsOrigin, OriginHandler, run as openssl_run
from http_rig import *  # noqa: F401,F403 (fixtures)
from http_rig import HttpSandbox, audit_path

REAL_CLIENT_CN = "real-kube-user"


def make_client_pki(folder: Path) -> dict[str, Path]:
    """A client CA (what the cluster trusts for client certificates) and a real client pair it signed
    (EC P-256, as k3s makes them; rsa_client_pki adds an RSA one, as kubeadm makes them)."""
    openssl_run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", folder / "client-ca.key", "-out", folder / "client-ca.pem", "-days", "2",
                "-subj", "/CN=kube test client CA")
    openssl_run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", folder / "real-client.key", "-out", folder / "real-client.csr",
                "-subj", f"/O=system:masters/CN={REAL_CLIENT_CN}")
    (folder / "client-ext").write_text("extendedKeyUsage=clientAuth\n")
    openssl_run("openssl", "x509", "-req", "-in", folder / "real-client.csr", "-CA", folder / "client-ca.pem",
                "-CAkey", folder / "client-ca.key", "-CAcreateserial", "-out", folder / "real-client.pem",
                "-days", "2", "-extfile", folder / "client-ext")
    os.chmod(folder / "real-client.key", 0o600)
    return {"ca": folder / "client-ca.pem", "cert": folder / "real-client.pem", "key": folder / "real-client.key"}


class ClientCertificateHandler(OriginHandler):
    """The origin's handler, noting the client certificate's CN of the connection for each request."""

    def handle_any(self) -> None:
        subject = dict(part[0] for part in (self.connection.getpeercert() or {}).get("subject", ()))
        self.server.origin.current.client_cn = subject.get("commonName", "")
        super().handle_any()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


class ClusterOrigin(HttpsOrigin):
    """A loopback "cluster": HTTPS that requires a client certificate from the client CA."""

    def __init__(self, test_ca: Path, client_ca: Path):
        self.current = threading.local()
        super().__init__(test_ca, handler=ClientCertificateHandler, client_ca=client_ca)

    def record(self, request: dict) -> None:
        request["client_cn"] = getattr(self.current, "client_cn", "")
        super().record(request)


@pytest.fixture(scope="module")
def client_pki(tmp_path_factory):
    return make_client_pki(tmp_path_factory.mktemp("kube-client-pki"))


@pytest.fixture(scope="module")
def rsa_client_pki(client_pki):
    """A second real pair, RSA, signed by the same client CA (the cluster trusts it too)."""
    folder = client_pki["ca"].parent
    openssl_run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", folder / "rsa-client.key",
                "-out", folder / "rsa-client.csr", "-subj", f"/O=system:masters/CN={REAL_CLIENT_CN}")
    openssl_run("openssl", "x509", "-req", "-in", folder / "rsa-client.csr", "-CA", folder / "client-ca.pem",
                "-CAkey", folder / "client-ca.key", "-CAcreateserial", "-out", folder / "rsa-client.pem",
                "-days", "2", "-extfile", folder / "client-ext")
    os.chmod(folder / "rsa-client.key", 0o600)
    return {"ca": client_pki["ca"], "cert": folder / "rsa-client.pem", "key": folder / "rsa-client.key"}


@pytest.fixture(scope="module")
def cluster(test_ca, client_pki):
    server = ClusterOrigin(test_ca, client_pki["ca"])
    yield server
    server.stop()


@pytest.fixture
def kube_sandbox(exec_works, cluster, test_ca, askfirst_ca, tmp_path, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return HttpSandbox(tmp_path, cluster, test_ca, askfirst_ca)


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_real_kubeconfig(home: Path, test_ca: Path, pki: dict[str, Path]) -> Path:
    """The host's kubeconfig as kubeadm writes one: the real pair inline, the cluster's CA inline."""
    (home / ".kube").mkdir(exist_ok=True)
    path = home / ".kube" / "config"
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {b64(test_ca / "ca.pem")}
    server: https://{K8S_HOST}
  name: test
contexts:
- context:
    cluster: test
    namespace: default
    user: admin
  name: admin@test
current-context: admin@test
preferences: {{}}
users:
- name: admin
  user:
    client-certificate-data: {b64(pki["cert"])}
    client-key-data: {b64(pki["key"])}
""")
    os.chmod(path, 0o600)
    return path


def kube_entry(pki: dict[str, Path]) -> dict:
    return {"name": "cluster", "kind": "kube", "hosts": [K8S_HOST],
            "source": {"file": str(pki["cert"]), "key_file": str(pki["key"])}}


def secret_forms(pki: dict[str, Path]) -> list[str]:
    """The real key as text, as one base64 line (kubeconfig's -data), and its PEM body lines."""
    key = pki["key"].read_text()
    body = [line for line in key.splitlines() if line and not line.startswith("-----")]
    return [b64(pki["key"])] + body


@pytest.mark.parametrize("algorithm", ["ec", "rsa"])
def test_kubectl_with_the_stub_kubeconfig_reaches_the_cluster_with_the_real_client_certificate(
        kube_sandbox, test_ca, request, algorithm, tmp_path):
    client_pki = request.getfixturevalue("client_pki" if algorithm == "ec" else "rsa_client_pki")
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (tools/setup.sh)")
    write_real_kubeconfig(tmp_path, test_ca, client_pki)
    k = f"kubectl --cache-dir {tmp_path}/kcache --request-timeout 30s"
    script = (f"cat $HOME/.kube/config; echo; {k} get pods; echo get=$?; {k} delete pod x; echo delete=$?")
    run = kube_sandbox.run("block-destructive", script, extra={"credentials": [kube_entry(client_pki)]})
    out = run.stdout + run.stderr
    assert "get=0" in run.stdout, out
    assert "\nx " in run.stdout, out  # the pod's name in the listing
    # The cluster saw the real client certificate on every request that reached it.
    assert run.received, out
    assert {r["client_cn"] for r in run.received} == {REAL_CLIENT_CN}, run.received
    # block-destructive: the delete never reached the cluster; kubectl read the Status refusal.
    assert "delete=0" not in run.stdout and "delete=" in run.stdout, out
    assert all(r["method"] != "DELETE" for r in run.received), run.received
    assert "Error from server (Forbidden): askfirst refused" in run.stderr, run.stderr
    # The sandbox's kubeconfig: server kept, a stub pair, askfirst's bundle as the CA.
    assert f"https://{K8S_HOST}" in run.stdout
    assert "client-certificate-data" in run.stdout and "client-key-data" in run.stdout
    assert b64(client_pki["cert"]) not in run.stdout, "the real certificate is in the sandbox's kubeconfig"
    audit_text = audit_path(run.name).read_text()
    for form in secret_forms(client_pki):
        assert form not in run.stdout, "the real client key reached the sandbox"
        assert form not in run.stderr, "the real client key is in askfirstd's log"
        assert form not in audit_text, "the real client key is in the audit log"


def test_the_client_certificate_goes_to_the_entry_hosts_only(kube_sandbox, test_ca, client_pki, tmp_path):
    """The same cluster reached under a name the entry does not list: no client certificate, the
    cluster refuses the handshake, the request fails (502) and nothing reaches the handlers."""
    other = dict(kube_entry(client_pki), hosts=["other-cluster.http.test"])
    before = len(kube_sandbox.origin.requests())
    script = (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' https://{K8S_HOST}/api/v1/namespaces")
    run = kube_sandbox.run("off", script, extra={"credentials": [other]})
    assert run.lines() == ["502"], run.stdout + run.stderr
    assert len(kube_sandbox.origin.requests()) == before
    assert "kubeconfig" not in run.stderr  # no kubeconfig on the host: nothing to say about one


def test_a_client_key_readable_by_others_stops_startup(kube_sandbox, client_pki, tmp_path):
    loose = tmp_path / "loose.key"
    loose.write_bytes(client_pki["key"].read_bytes())
    os.chmod(loose, 0o644)
    entry = dict(kube_entry(client_pki), source={"file": str(client_pki["cert"]), "key_file": str(loose)})
    run = kube_sandbox.run("off", "echo started", extra={"credentials": [entry]})
    assert "started" not in run.stdout
    assert "can be read by group or others" in run.stderr and "chmod 600" in run.stderr, run.stderr


def test_a_key_that_is_not_the_certificate_s_stops_startup(kube_sandbox, client_pki, tmp_path):
    other_key = tmp_path / "other.key"
    openssl_run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", other_key)
    os.chmod(other_key, 0o600)
    entry = dict(kube_entry(client_pki), source={"file": str(client_pki["cert"]), "key_file": str(other_key)})
    run = kube_sandbox.run("off", "echo started", extra={"credentials": [entry]})
    assert "started" not in run.stdout
    assert 'credentials "cluster": its client key is not the key of its certificate' in run.stderr, run.stderr


def private_scalar(key: Path) -> bytes:
    """The EC key's private scalar d, big-endian (from openssl's text dump)."""
    text = openssl_run("openssl", "ec", "-in", key, "-noout", "-text").stdout
    lines = text.split("priv:")[1].split("pub:")[0].split()
    return bytes.fromhex("".join(lines).replace(":", "")).rjust(32, b"\0")[-32:]


def test_a_core_dump_of_askfirstd_holds_no_form_of_the_real_client_key(kube_sandbox, test_ca, client_pki, tmp_path):
    """After kubectl went through (the key signed the upstream handshake), gcore's dump of askfirstd:
    neither the key's PEM text, nor its DER, nor its private scalar (as mbedTLS's limbs hold it,
    little-endian, or big-endian) is in it."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (tools/setup.sh)")
    skip_unless_core_dumps_can_be_scanned()
    write_real_kubeconfig(tmp_path, test_ca, client_pki)
    done = tmp_path / "done"
    script = f"kubectl --cache-dir {tmp_path}/kcache --request-timeout 30s get pods; touch {done}; sleep 30"
    name = kube_sandbox.new_name()
    profile = kube_sandbox.profile(name, "off", extra={"credentials": [kube_entry(client_pki)]})
    process = subprocess.Popen(kube_sandbox.command(name, profile, script), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=kube_sandbox.client_env())
    image, out, err = core_dump_once_done(process, done, tmp_path, "kubectl")
    assert kube_sandbox.origin.requests() and kube_sandbox.origin.requests()[-1]["client_cn"] == REAL_CLIENT_CN, err
    scalar = private_scalar(client_pki["key"])
    for form in secret_forms(client_pki):
        assert form.encode() not in image, "the real key's PEM text is in askfirstd's core dump"
    assert scalar not in image, "the real key's scalar (big-endian) is in askfirstd's core dump"
    assert scalar[::-1] not in image, "the real key's scalar (mbedTLS limbs) is in askfirstd's core dump"


REAL_KUBE_TOKEN = "k8s-real-token-on-the-host-" + "0123456789abcdef"


def test_a_kube_bearer_token_in_the_host_kubeconfig_becomes_the_stub_and_the_cluster_sees_the_real_one(
        sandbox, test_ca, tmp_path, monkeypatch):
    """A kube entry with a token source: the sandbox's kubeconfig holds the stub token, askfirstd puts
    the real one in the Authorization header (the plain origin of http_origin.py, no client certificate).
    A user no entry covers keeps no credentials at all inside."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (tools/setup.sh)")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(f"""apiVersion: v1
kind: Config
clusters:
- {{name: test, cluster: {{server: "https://{K8S_HOST}", certificate-authority-data: {b64(test_ca / "ca.pem")}}}}}
- {{name: elsewhere, cluster: {{server: "https://unlisted.http.test:6443", insecure-skip-tls-verify: true}}}}
users:
- {{name: admin, user: {{token: "{REAL_KUBE_TOKEN}"}}}}
- {{name: other, user: {{token: "other-real-token-0123456789", exec: {{command: /bin/leak}}}}}}
contexts:
- {{name: test, context: {{cluster: test, user: admin, namespace: default}}}}
- {{name: other, context: {{cluster: elsewhere, user: other}}}}
current-context: test
""")
    token_file = tmp_path / "kube-token"
    token_file.write_text(REAL_KUBE_TOKEN + "\n")
    os.chmod(token_file, 0o600)
    entry = {"name": "cluster-token", "kind": "kube", "hosts": [K8S_HOST], "source": {"file": str(token_file)}}
    k = f"kubectl --cache-dir {tmp_path}/kcache --request-timeout 30s"
    run = sandbox.run("off", f"cat $HOME/.kube/config; cat {token_file}; echo; {k} get pods; echo get=$?",
                      extra={"credentials": [entry]})
    out = run.stdout + run.stderr
    assert "get=0" in run.stdout, out
    assert run.received and all(r["headers"].get("authorization", "").startswith("Bearer ") for r in run.received)
    assert {r["headers"]["authorization"] for r in run.received} == {f"Bearer {REAL_KUBE_TOKEN}"}, run.received
    for secret in (REAL_KUBE_TOKEN, "other-real-token", "/bin/leak", "insecure-skip-tls-verify"):
        assert secret not in run.stdout, f"{secret} is in the sandbox"
    assert REAL_KUBE_TOKEN not in run.stderr and REAL_KUBE_TOKEN not in audit_path(run.name).read_text()
    assert "https://unlisted.http.test:6443" in run.stdout  # servers kept


def kubeconfig_parts(test_ca: Path, pki: dict[str, Path]) -> tuple[str, str]:
    """A kubeconfig split in two as $KUBECONFIG lists often are: the user with the real pair in
    one file, the cluster and the context using that user in the other."""
    users = f"""apiVersion: v1
kind: Config
users:
- name: admin
  user: {{client-certificate-data: {b64(pki["cert"])}, client-key-data: {b64(pki["key"])}}}
"""
    clusters = f"""apiVersion: v1
kind: Config
clusters:
- {{name: test, cluster: {{server: "https://{K8S_HOST}", certificate-authority-data: {b64(test_ca / "ca.pem")}}}}}
contexts:
- {{name: admin@test, context: {{cluster: test, user: admin, namespace: default}}}}
current-context: admin@test
"""
    return users, clusters


def test_kubeconfigs_named_by_kubeconfig_or_by_a_kubeconfig_flag_are_stubs_inside(
        kube_sandbox, test_ca, client_pki, tmp_path, monkeypatch):
    """Kubeconfigs outside ~/.kube: a $KUBECONFIG list of the exec'd environment (a user in one file,
    the context that says which cluster it talks to in the other) and a file CMD names with
    --kubeconfig. Each is bound over with its stub in the sandbox: kubectl reaches the cluster,
    which sees the real client certificate, and no form of the real key can be read inside."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (tools/setup.sh)")
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    users_text, clusters_text = kubeconfig_parts(test_ca, client_pki)
    users, clusters, solo = folder / "users.yaml", folder / "clusters.yaml", folder / "solo.yaml"
    users.write_text(users_text)
    clusters.write_text(clusters_text)
    solo.write_text(clusters_text + users_text.split("kind: Config\n", 1)[1])
    for path in (users, clusters, solo):
        os.chmod(path, 0o600)
    monkeypatch.setenv("KUBECONFIG", f"{users}:{clusters}")
    k = f"kubectl --cache-dir {tmp_path}/kcache --request-timeout 30s"
    readme = folder / "README"
    readme.write_text("kubectl --kubeconfig takes a file\n")
    script = (f"cat {users} {clusters}; echo; {k} get pods; echo listed=$?; cat {readme}; echo --kubeconfig {readme}; "
              f"cat {solo}; echo; env -u KUBECONFIG {k} --kubeconfig {solo} get pods; echo flag=$?; "
              f"env -u KUBECONFIG {k} --kubeconfig={solo} get pods; echo flag_equals=$?")
    run = kube_sandbox.run("off", script, extra={"credentials": [kube_entry(client_pki)]})
    out = run.stdout + run.stderr
    for step in ("listed", "flag", "flag_equals"):
        assert f"{step}=0" in run.stdout, out
    assert run.received and {r["client_cn"] for r in run.received} == {REAL_CLIENT_CN}, run.received
    assert len(run.received) >= 3, run.received
    assert b64(client_pki["cert"]) not in run.stdout, "the real certificate is in a kubeconfig inside"
    audit_text = audit_path(run.name).read_text()
    for form in secret_forms(client_pki):
        assert form not in run.stdout, "the real client key reached the sandbox"
        assert form not in run.stderr and form not in audit_text
    assert "kubectl --kubeconfig takes a file" in run.stdout, out  # named after the flag, not a kubeconfig: kept
    # Outside the sandbox the files are untouched.
    assert users.read_text() == users_text and solo.read_text().endswith(users_text.split("kind: Config\n", 1)[1])
