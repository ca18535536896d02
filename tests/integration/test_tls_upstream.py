"""The upstream side and the edges of TLS interception, through `askfirst
exec` against loopback nginx: upstream certificates that must not be
trusted (expired, wrong name, self-signed) give the guest a 502 whose JSON
says why and relay nothing; a client offering only h2 gets http/1.1 or a
clean failure in bounded time; passthrough hosts (listed, or learned from a
client that refused askfirst's certificate when tls.learn_passthrough is on)
reach nginx with nginx's own certificate and are judged as opaque writes.
"""
import json
import os
import time

import pytest

import tls_rig
from tls_fixtures import guest_file, profile, test_ca, tls_exec, tls_home, tls_nginx, tls_web_root  # noqa: F401

CURL = "curl -sS --max-time 60"


def audit_of_last_run(tls_home):
    """Audit records of the last TlsExec run (its name is tls-PID-COUNTER)."""
    name = f"tls-{os.getpid()}-{tls_rig.TlsExec.counter}"
    path = os.path.join(tls_home.env["XDG_STATE_HOME"], "askfirst", "audit", f"{name}.jsonl")
    with open(path) as log:
        return [json.loads(line) for line in log if line.endswith("\n")]


@pytest.mark.parametrize("case, reason_words", [
    (tls_rig.EXPIRED, ["expired"]),
    (tls_rig.WRONG_NAME, ["wrong name"]),
    (tls_rig.SELF_SIGNED, ["self-signed"]),
])
def test_an_untrusted_upstream_certificate_gives_502_with_the_reason_and_relays_nothing(
        tls_exec, profile, tls_home, tls_nginx, case, reason_words):
    host, _, stem = case
    before = len(tls_nginx.requests(stem))
    script = (f"{CURL} --cacert {tls_home.askfirst_ca} -w '\\n%{{http_code}}\\n' "
              f"-X POST --data 'secret=1' https://{host}/upload/x")
    done = tls_exec.run(profile(), script)
    assert done.returncode == 0, done.stderr  # the guest's handshake with askfirst completed
    body, status = done.stdout.rsplit("\n", 2)[0], done.stdout.split("\n")[-2]
    assert status == "502", done.stdout
    answer = json.loads(body)
    assert answer["error"] == "askfirst_upstream_failed" and answer["host"] == host
    assert any(word in answer["reason"].lower() for word in reason_words), answer["reason"]
    assert tls_nginx.requests(stem)[before:] == []
    # The audit log says what the guest got: the decision's "pass", then "refused" by the upstream, with why.
    records = [r for r in audit_of_last_run(tls_home) if r["path"] == "/upload/x"]
    assert [(r["decision"], r["decided_by"]) for r in records] == [("pass", "policy"), ("refused", "upstream")], records
    assert any(word in records[-1]["reason"].lower() for word in reason_words), records[-1]
    assert "upstream certificate" in records[-1]["reason"], records[-1]


def test_a_client_offering_only_h2_gets_h2(tls_exec, profile, tls_home, tls_nginx, tmp_path):
    """askfirst speaks HTTP/2 to the guest (issue 16): a client that offers only h2 gets it."""
    host = tls_rig.GOOD[0]
    program = guest_file(tmp_path, "h2only.py", f"""
import socket, ssl, time
context = ssl.create_default_context(cafile="{tls_home.askfirst_ca}")
context.set_alpn_protocols(["h2"])
started = time.monotonic()
try:
    with socket.create_connection(("{host}", 443), timeout=20) as raw:
        with context.wrap_socket(raw, server_hostname="{host}") as tls:
            chosen = tls.selected_alpn_protocol()
            if chosen == "h2":
                print("h2 chosen")
            else:
                tls.sendall(b"GET /small.txt HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n")
                reply = b""
                while chunk := tls.recv(65536):
                    reply += chunk
                print("http/1.1", chosen, reply.split(b"\\r\\n")[0].decode())
except (ssl.SSLError, OSError) as error:
    print("clean failure", type(error).__name__, round(time.monotonic() - started))
""")
    done = tls_exec.run(profile(), f"/usr/bin/python3 {program}", timeout=90)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "h2 chosen", done.stdout + done.stderr


def passthrough_script(test_ca, host, path):
    """curl trusting only the test CA: succeeds only if it sees nginx's own certificate."""
    return (f"{CURL} --cacert {test_ca}/ca.pem -w '%{{http_code}} %{{ssl_verify_result}}\\n' -o /dev/null "
            f"-X POST --data 'x=1' https://{host}{path}; echo exit=$?")


def test_a_listed_passthrough_host_reaches_nginx_with_its_own_certificate(tls_exec, profile, test_ca, tls_nginx):
    host = tls_rig.PASS[0]
    before = len(tls_nginx.requests("good"))
    done = tls_exec.run(profile(passthrough=[host]), passthrough_script(test_ca, host, "/small.txt?pass=off"))
    # nginx answers a POST to a static file with 405: what matters is that it got it, over its own TLS.
    assert done.stdout.strip().endswith("exit=0"), done.stdout + done.stderr
    assert done.stdout.startswith("405 0"), done.stdout
    assert [entry["request"] for entry in tls_nginx.requests("good")[before:]] == ["POST /small.txt?pass=off HTTP/1.1"]


def test_a_passthrough_host_is_judged_as_an_opaque_write(tls_exec, profile, test_ca, tls_nginx):
    host = tls_rig.PASS[0]
    before = len(tls_nginx.requests("good"))
    done = tls_exec.run(profile(passthrough=[host], mode="block-writes"),
                        passthrough_script(test_ca, host, "/small.txt?pass=block"))
    assert not done.stdout.strip().endswith("exit=0"), done.stdout + done.stderr
    assert tls_nginx.requests("good")[before:] == []


@pytest.mark.parametrize("learn, second", [(False, "second=60"), (True, "second=0")])
def test_a_refused_certificate_makes_the_host_passthrough_only_with_learn_passthrough(tls_exec, profile, test_ca,
                                                                                     tls_nginx, learn, second):
    """Issue 11: by default a refusal changes nothing (the retry is refused again); with
    tls.learn_passthrough on, a host no provider claims is passed through from then on."""
    host = tls_rig.REFUSER[0]
    before = len(tls_nginx.requests("good"))
    # First: curl trusts only the test CA, so it refuses askfirst's leaf (exit 60) and nothing is relayed.
    script = (f"{CURL} --cacert {test_ca}/ca.pem -o /dev/null https://{host}/small.txt?try=1; echo first=$?; "
              f"sleep 1; {CURL} --cacert {test_ca}/ca.pem -o /dev/null https://{host}/small.txt?try=2; echo second=$?")
    base = profile()
    done = tls_exec.run(dict(base, tls=dict(base["tls"], learn_passthrough=learn)), script)
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["first=60", second], done.stdout + done.stderr
    reached = [entry["request"] for entry in tls_nginx.requests("good")[before:]]
    assert reached == (["GET /small.txt?try=2 HTTP/1.1"] if learn else []), reached


def test_bad_upstream_502_arrives_promptly(tls_exec, profile, tls_home):
    """A refused upstream answers at once, not after a timeout."""
    started = time.monotonic()
    done = tls_exec.run(profile(), f"{CURL} --cacert {tls_home.askfirst_ca} -o /dev/null -w '%{{http_code}}' "
                                   f"https://{tls_rig.EXPIRED[0]}/small.txt")
    assert done.stdout == "502", done.stdout + done.stderr
    assert time.monotonic() - started < 30
