"""askfirst's CA on disk, through the real CLI and askfirstd: created on
first use with the key 0600 in a 0700 directory under $XDG_DATA_HOME,
reused across restarts (the leaf a guest sees still chains to the exported
certificate), and replaced by `askfirst ca rotate` (new fingerprint, and
askfirstd signs with the new one after a restart).
"""
import os
import stat
import subprocess

import tls_rig
from tls_fixtures import profile, test_ca, tls_nginx, tls_web_root  # noqa: F401

HOST = tls_rig.GOOD[0]


def fingerprint(pem_text):
    return subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem_text,
                          capture_output=True, text=True, check=True).stdout.strip()


def served_issuer_fingerprint_check(runner, config, ca_file):
    """curl in the sandbox trusting only `ca_file`: 0 when askfirstd signs with that CA."""
    done = runner.run(config, f"curl -sS --max-time 60 --cacert {ca_file} -o /dev/null https://{HOST}/small.txt; "
                              "echo exit=$?")
    return done.stdout.strip().splitlines()[-1]


def test_the_ca_is_private_reused_and_rotated(exec_works, tmp_path, profile):
    home = tls_rig.XdgHome(str(tmp_path / "home"))
    runner = tls_rig.TlsExec(home, str(tmp_path))
    path = home.askfirst("ca", "path")
    assert path.returncode == 0, path.stderr
    certificate_file = path.stdout.strip()
    folder = os.path.dirname(certificate_file)
    assert folder.startswith(home.env["XDG_DATA_HOME"] + "/askfirst/ca")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    key_files = [name for name in os.listdir(folder) if "key" in name]
    assert key_files, os.listdir(folder)
    for name in key_files:
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
    first = home.askfirst("ca", "export", "--pem").stdout
    assert fingerprint(first) == fingerprint(open(certificate_file).read())

    # Reused: a second export and an askfirstd run both keep the same CA.
    first_file = tmp_path / "first-ca.pem"
    first_file.write_text(first)
    assert served_issuer_fingerprint_check(runner, profile(), first_file) == "exit=0"
    assert fingerprint(home.askfirst("ca", "export", "--pem").stdout) == fingerprint(first)

    rotated = home.askfirst("ca", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    second = home.askfirst("ca", "export", "--pem").stdout
    assert fingerprint(second) != fingerprint(first)
    assert fingerprint(second).split("=")[1].replace(":", "").lower() in rotated.stdout.replace(":", "").lower()
    for name in key_files:
        assert stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode) == 0o600, name
    # A restarted askfirstd signs with the new CA: the old certificate no longer verifies its leaf.
    second_file = tmp_path / "second-ca.pem"
    second_file.write_text(second)
    assert served_issuer_fingerprint_check(runner, profile(), second_file) == "exit=0"
    assert served_issuer_fingerprint_check(runner, profile(), first_file) == "exit=60"


def test_an_unreadable_ca_is_a_startup_error_not_a_new_ca(exec_works, tmp_path, profile):
    home = tls_rig.XdgHome(str(tmp_path / "home"))
    certificate_file = home.askfirst("ca", "path").stdout.strip()
    before = open(certificate_file).read()
    with open(certificate_file, "w") as out:
        out.write("not a certificate\n")
    done = tls_rig.TlsExec(home, str(tmp_path)).run(profile(), "echo ran")
    assert done.returncode != 0 and "ran" not in done.stdout, done.stdout + done.stderr
    assert open(certificate_file).read() == "not a certificate\n"  # nothing silently replaced it
    assert before != "not a certificate\n"
