"""pytest fixtures of the TLS integration tests (imported by each
tests/integration/test_tls_*.py): the test CA, the TLS nginx on loopback,
private XDG dirs with askfirst's CA exported for the guest, and the runner.
"""
import os

import pytest

import tls_rig


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    return tls_rig.make_test_ca(str(tmp_path_factory.mktemp("tls-test-ca")))


@pytest.fixture(scope="module")
def tls_web_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("tls-webroot")
    (root / "small.txt").write_text("hello over tls\n")
    return str(root)


@pytest.fixture(scope="module")
def tls_nginx(tmp_path_factory, tls_web_root, test_ca):
    server = tls_rig.TlsNginx(str(tmp_path_factory.mktemp("tls-nginx")), tls_web_root, test_ca)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_home(tmp_path_factory):
    home = tls_rig.XdgHome(str(tmp_path_factory.mktemp("tls-home")))
    home.askfirst_ca = home.ca_pem_file()
    return home


@pytest.fixture
def tls_exec(exec_works, tls_home, tmp_path):
    return tls_rig.TlsExec(tls_home, str(tmp_path))


@pytest.fixture
def profile(test_ca, tls_nginx):
    return lambda **options: tls_rig.tls_profile("tls", test_ca, tls_nginx, **options)


def guest_file(tmp_path, name, text):
    """A file the guest script can read (the namespace shares the host's file system)."""
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as out:
        out.write(text)
    return path
