"""The credential broker on real traffic (issue 13): the sandbox holds stubs,
askfirstd puts the real secret in only for the hosts its entry lists and only
after the request was decided; a stub sent anywhere else is refused and
quarantines the session; a real-looking credential askfirst did not issue is
asked about or refused as `unissued_credentials` says. Every test also greps
what askfirstd wrote (audit log, its stderr) for the real secret.

Clients are real (curl, awscli), the server is the loopback origin of
http_origin.py, which records the headers that reached it.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ASKFIRST, make_random_file
from core_dump import core_dump_once_done, skip_unless_core_dumps_can_be_scanned
from http_origin import API_HOST, GIT_HOST, GUEST_ADDRESS, RDS_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)
from http_rig import HttpSandbox, audit_path, read_audit
from sigv4_origin import RealKeys, Sigv4Origin

AWS_CLI = "/usr/bin/aws"  # Debian's awscli (python3-botocore), as the other AWS tests use
REAL_AWS = RealKeys("AKIA" + "REALHOSTKEY00042", "realSecretOnTheHost/0123456789abcdefghij",
                    "FwoGZXIvYXdzEReal" + "SessionToken" * 8 + "==")

REAL_TOKEN = "ghp_" + "R3alT0kenOnTheHostOnly0123456789abcd"  # the shape of a GitHub token, 40 chars
STUB_TOKEN = "ghp_" + "StubTokenInTheSandbox0123456789abcdef"
FOREIGN_TOKEN = "ghp_" + "N0tIssuedByAskfirst0123456789abcdefg"


def bearer_entry(**extra) -> dict:
    entry = {"name": "api", "kind": "bearer", "hosts": [API_HOST],
             "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"}, "stub": STUB_TOKEN}
    entry.update(extra)
    return entry


def aws_entry(tmp_path) -> dict:
    """An aws-sigv4 entry whose source is a command printing AWS's credential_process JSON."""
    process = tmp_path / "aws-process.json"
    process.write_text(json.dumps({"Version": 1, "AccessKeyId": REAL_AWS.access_key_id,
                                   "SecretAccessKey": REAL_AWS.secret_access_key,
                                   "SessionToken": REAL_AWS.session_token,
                                   "Expiration": "2099-01-01T00:00:00Z"}))
    return {"name": "aws-prod", "kind": "aws-sigv4", "hosts": ["*.amazonaws.com"],
            "source": {"command": ["cat", str(process)]}}


def curl(host: str, token: str, method: str = "GET", path: str = "/v1/things") -> str:
    return (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' -X {method} "
            f"-H 'Authorization: Bearer {token}' https://{host}{path}")


def run_with_credentials(sandbox, script: str, entries: list[dict], mode: str = "off", real: str = REAL_TOKEN,
                         **extra):
    os.environ["ASKFIRST_TEST_REAL_TOKEN"] = real  # askfirstd's own environment (inherited through exec)
    try:
        return sandbox.run(mode, script, extra={"credentials": entries, **extra})
    finally:
        del os.environ["ASKFIRST_TEST_REAL_TOKEN"]


def assert_real_secret_nowhere(run, secret: str = REAL_TOKEN) -> None:
    assert secret not in audit_path(run.name).read_text(), "the real secret is in the audit log"
    assert secret not in run.stderr, "the real secret is in askfirstd's log"
    assert secret not in run.stdout, "the real secret reached the guest"


def test_curl_with_the_stub_bearer_reaches_the_server_with_the_real_token(sandbox):
    run = run_with_credentials(sandbox, curl(API_HOST, STUB_TOKEN), [bearer_entry()])
    assert run.lines() == ["200"], run.stdout + run.stderr
    [request] = run.received
    assert request["headers"]["authorization"] == f"Bearer {REAL_TOKEN}"
    [record] = run.audit
    assert record["decision"] == "pass"
    assert_real_secret_nowhere(run)


def test_a_request_without_the_stub_goes_upstream_unchanged(sandbox):
    run = run_with_credentials(sandbox, curl(API_HOST, "not-a-credential-at-all"), [bearer_entry()])
    assert run.lines() == ["200"], run.stdout + run.stderr
    assert run.received[0]["headers"]["authorization"] == "Bearer not-a-credential-at-all"


def test_the_stub_sent_to_an_unlisted_host_is_refused_and_quarantines_the_session(sandbox):
    script = "; ".join([
        curl(GIT_HOST, STUB_TOKEN),                          # the leak
        curl(API_HOST, STUB_TOKEN, "POST", "/v1/things"),    # a write afterwards: quarantined
        curl(API_HOST, STUB_TOKEN, "GET", "/v1/things"),     # a read still passes
    ])
    run = run_with_credentials(sandbox, script, [bearer_entry()])
    assert run.lines() == ["403", "403", "200"], run.stdout + run.stderr
    assert [r["method"] for r in run.received] == ["GET"]  # only the read reached the origin
    leak, write, read = run.audit
    assert leak["decision"] == "refused" and leak["host"] == GIT_HOST
    assert "credential stub" in leak["reason"] and '"api"' in leak["reason"] and "does not list" in leak["reason"]
    assert STUB_TOKEN not in leak["reason"]
    assert write["decision"] == "refused" and "quarantined" in write["reason"]
    assert read["decision"] == "pass"
    assert "event=session_quarantined" in run.stderr
    assert_real_secret_nowhere(run)


def test_the_leak_refusal_body_says_a_stub_was_sent_to_an_unlisted_host(sandbox):
    script = (f"curl -sS --max-time 30 -H 'Authorization: Bearer {STUB_TOKEN}' https://{GIT_HOST}/x")
    run = run_with_credentials(sandbox, script, [bearer_entry()])
    assert "credential stub" in run.stdout and "does not list" in run.stdout, run.stdout + run.stderr
    assert '"api"' in run.stdout or "\\\"api\\\"" in run.stdout
    assert_real_secret_nowhere(run)


def test_an_unissued_github_token_is_refused_when_nobody_can_be_asked(sandbox):
    # Default: prompt on a listed host; with no one listening consent.no_ui (deny) answers.
    run = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()])
    assert run.lines() == ["403"], run.stdout + run.stderr
    assert run.received == []
    [record] = run.audit
    assert record["decision"] == "refused" and "does not hold" in record["reason"]
    assert FOREIGN_TOKEN not in audit_path(run.name).read_text()


def test_unissued_credentials_block_and_allow(sandbox):
    blocked = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()],
                                   unissued_credentials="block")
    assert blocked.lines() == ["403"] and blocked.received == []
    assert '"block"' in blocked.audit[0]["reason"]
    allowed = run_with_credentials(sandbox, curl(API_HOST, FOREIGN_TOKEN), [bearer_entry()],
                                   unissued_credentials="allow")
    assert allowed.lines() == ["200"], allowed.stdout + allowed.stderr
    assert allowed.received[0]["headers"]["authorization"] == f"Bearer {FOREIGN_TOKEN}"


def test_an_unissued_token_on_a_host_no_entry_lists_passes_by_default(sandbox):
    run = run_with_credentials(sandbox, curl(GIT_HOST, FOREIGN_TOKEN), [bearer_entry()])
    assert run.lines() == ["404"], run.stdout + run.stderr  # the git origin's own answer: it got there
    assert run.received[0]["headers"]["authorization"] == f"Bearer {FOREIGN_TOKEN}"


def test_a_source_that_fails_stops_askfirstd_with_the_entrys_name(sandbox):
    entry = bearer_entry(source={"env": "ASKFIRST_TEST_UNSET_VARIABLE"})
    run = sandbox.run("off", "true", extra={"credentials": [entry]})
    assert run.returncode != 0
    assert 'credentials "api"' in run.stderr and "ASKFIRST_TEST_UNSET_VARIABLE" in run.stderr


# ---- askfirst exec: stubs in the environment and over the real files ----

def test_inside_exec_the_files_and_environment_hold_only_stubs(sandbox, tmp_path):
    (tmp_path / ".aws").mkdir()
    real_file = tmp_path / ".aws" / "credentials"
    real_file.write_text(f"[default]\naws_access_key_id = {REAL_AWS.access_key_id}\n"
                         f"aws_secret_access_key = {REAL_AWS.secret_access_key}\n")
    (tmp_path / ".aws" / "config").write_text("[default]\nregion = eu-west-3\ncredential_process = /bin/false\n")
    (tmp_path / ".git-credentials").write_text(f"https://x-access-token:{REAL_TOKEN}@{API_HOST}\n")
    token_file = tmp_path / "api-token"
    token_file.write_text(REAL_TOKEN + "\n")
    token_file.chmod(0o600)
    entries = [aws_entry(tmp_path),
               {"name": "api", "kind": "bearer", "hosts": [API_HOST], "source": {"file": str(token_file)},
                "guest_env": ["GITHUB_TOKEN", "GH_TOKEN"]},
               bearer_entry(name="api-env", hosts=["other.http.test"], stub=None, guest_env=["OTHER_TOKEN"])]
    entries[2].pop("stub")
    script = ("cat ~/.aws/credentials ~/.aws/config ~/.git-credentials " + str(token_file) + "; echo @@@@; env; echo @@@@; "
              + curl(API_HOST, "$GITHUB_TOKEN").replace("'Authorization: Bearer $GITHUB_TOKEN'",
                                                      "\"Authorization: Bearer $GITHUB_TOKEN\""))
    run = run_with_credentials(sandbox, script, entries)
    files, environment, status = run.stdout.split("@@@@\n")
    for secret in (REAL_AWS.access_key_id, REAL_AWS.secret_access_key, REAL_TOKEN):
        assert secret not in run.stdout, "a real secret is readable inside the sandbox"
    assert "aws_access_key_id = AKIA" in files and "region = eu-west-3" in files
    assert "credential_process" not in files
    env = dict(line.split("=", 1) for line in environment.splitlines() if "=" in line)
    assert "ASKFIRST_TEST_REAL_TOKEN" not in env  # the source variable does not reach the command
    assert env["GITHUB_TOKEN"] == env["GH_TOKEN"] and env["GITHUB_TOKEN"] in files  # the file source's stub
    generated = env["OTHER_TOKEN"]
    assert generated.startswith("ghp_") and len(generated) == len(REAL_TOKEN) and generated != REAL_TOKEN
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20
    assert env["AWS_ACCESS_KEY_ID"] != REAL_AWS.access_key_id
    assert len(env["AWS_SECRET_ACCESS_KEY"]) == 40 and len(env["AWS_SESSION_TOKEN"]) == len(REAL_AWS.session_token)
    assert status.strip() == "200", run.stdout + run.stderr
    assert run.received[-1]["headers"]["authorization"] == f"Bearer {REAL_TOKEN}"
    assert real_file.read_text().startswith("[default]\naws_access_key_id = " + REAL_AWS.access_key_id)  # untouched
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)


# ---- AWS SigV4: the guest signs with stubs, the origin verifies with the real key (botocore) ----

@pytest.fixture
def aws_origin(test_ca):
    server = Sigv4Origin(test_ca, REAL_AWS)
    yield server
    server.stop()


def run_aws(sandbox, aws_origin, tmp_path, script: str):
    extra = {"upstream": {"map": {f"{GUEST_ADDRESS}:443": f"127.0.0.1:{aws_origin.port}"}}}
    before = len(aws_origin.requests())
    run = run_with_credentials(sandbox, script, [aws_entry(tmp_path)], **extra)
    return run, aws_origin.requests()[before:]


def need_aws_cli():
    if not os.access(AWS_CLI, os.X_OK):
        pytest.skip(f"{AWS_CLI} (Debian's awscli) is not installed; tools/setup.sh installs it")


def test_awscli_with_only_stubs_is_re_signed_with_the_real_key(sandbox, aws_origin, tmp_path):
    need_aws_cli()
    run, received = run_aws(sandbox, aws_origin, tmp_path,
                            f"{AWS_CLI} --endpoint-url https://{RDS_HOST} --output json rds describe-db-instances")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "prod-db-1" in run.stdout
    [request] = received
    assert request["verified"], request["problem"]
    assert request["headers"]["x-amz-security-token"] == REAL_AWS.session_token
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)
    assert_real_secret_nowhere(run, REAL_AWS.session_token)


def test_aws_s3_cp_of_64_mib_arrives_intact_and_verified(sandbox, aws_origin, tmp_path):
    need_aws_cli()
    source = tmp_path / "upload.bin"
    digest = make_random_file(source, 64 << 20)
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n"
                      "  multipart_threshold = 128MB\n")
    run, received = run_aws(sandbox, aws_origin, tmp_path,
                            f"AWS_CONFIG_FILE={config} {AWS_CLI} --endpoint-url https://{RDS_HOST} "
                            f"s3 cp {source} s3://bucket/upload.bin")
    assert run.returncode == 0, run.stdout + run.stderr
    puts = [r for r in received if r["method"] == "PUT"]
    assert len(puts) == 1 and puts[0]["verified"], received
    assert puts[0]["sha256"] == digest and puts[0]["length"] == 64 << 20
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)


SIGN_AND_SEND = """
import os, ssl, sys, urllib.error, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                          os.environ.get("AWS_SESSION_TOKEN"))
request = AWSRequest(method="POST", url="https://%s/", data=b"Action=DescribeDBInstances&Version=2014-10-31",
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(credentials, "rds", "us-east-1").add_auth(request)
body = request.body
if sys.argv[1] == "alter":  # the body changed after it was signed
    body = b"Action=DescribeDBInstances&Version=2014-10-31&MaxRecords=20"
sent = urllib.request.Request(request.url, data=body, headers=dict(request.headers), method="POST")
context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
try:
    print(urllib.request.urlopen(sent, context=context).status)
except urllib.error.HTTPError as error:
    print(error.code)
""" % RDS_HOST


def test_a_request_whose_signature_was_altered_is_refused(sandbox, aws_origin, tmp_path):
    (tmp_path / "sign.py").write_text(SIGN_AND_SEND)
    forged = (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' -H 'X-Amz-Date: 20260101T000000Z' "
              f"-H \"Authorization: AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/20260101/us-east-1/rds/"
              f"aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}\" https://{RDS_HOST}/")
    script = f"/usr/bin/python3 {tmp_path}/sign.py keep; /usr/bin/python3 {tmp_path}/sign.py alter; {forged}"
    run, received = run_aws(sandbox, aws_origin, tmp_path, script)
    assert run.lines() == ["200", "403", "403"], run.stdout + run.stderr
    [request] = received  # only the unaltered one reached the origin, re-signed
    assert request["verified"], request["problem"]
    refused = [r for r in run.audit if r["decision"] == "refused"]
    assert len(refused) == 2 and all("does not verify" in r["reason"] for r in refused)
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)


# ---- with a person answering: the unissued-credential question and the quarantine question ----

def test_unissued_token_is_asked_about_and_a_person_lifts_the_quarantine(sandbox, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    from askfirst_tools import control  # noqa: E402

    subscribed, lifted = tmp_path / "subscribed", tmp_path / "lifted"
    wait_for = "while [ ! -e {0} ]; do sleep 0.05; done"
    script = "; ".join([
        wait_for.format(subscribed),
        curl(API_HOST, FOREIGN_TOKEN),                        # held: a credential askfirst does not hold
        curl(GIT_HOST, STUB_TOKEN),                           # the leak: 403, quarantine asked
        curl(API_HOST, STUB_TOKEN, "POST", "/v1/quarantined"),  # 403: quarantined
        wait_for.format(lifted),
        curl(API_HOST, STUB_TOKEN, "POST", "/v1/after"),      # passes: a person lifted it
    ])
    name = sandbox.new_name()
    profile = sandbox.profile(name, "off", extra={"credentials": [bearer_entry()]})
    os.environ["ASKFIRST_TEST_REAL_TOKEN"] = REAL_TOKEN
    try:
        process = subprocess.Popen(sandbox.command(name, profile, script), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=sandbox.client_env())
    finally:
        del os.environ["ASKFIRST_TEST_REAL_TOKEN"]
    try:
        client = control.ControlClient.for_name(name, wait_seconds=20)
        client.subscribe()
        subscribed.touch()
        unissued = next(e["question"] for e in client.events(timeout=60) if e.get("event") == "question")
        assert "unissued credential sha256:" in unissued["provider"] and "does not hold" in unissued["detail"]
        assert FOREIGN_TOKEN not in json.dumps(unissued)
        client.request("answer", question=unissued["id"], answer="once")
        quarantine = next(e["question"] for e in client.events(timeout=60) if e.get("event") == "question")
        assert quarantine["operation"] == "quarantine this session?"
        deadline = time.monotonic() + 60
        while len(read_audit(name)[0]) < 3 and time.monotonic() < deadline:  # the quarantined write was refused
            time.sleep(0.05)
        client.request("answer", question=quarantine["id"], answer="deny")  # "don't allow": lift it
        time.sleep(0.2)
        lifted.touch()
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert out.split() == ["200", "403", "403", "200"], out + err
    records = read_audit(name)[0]
    assert [r["decision"] for r in records] == ["pass", "refused", "refused", "pass"]
    assert "quarantined" in records[2]["reason"]
    assert "event=quarantine_lifted by=user" in err
    assert REAL_TOKEN not in audit_path(name).read_text() and REAL_TOKEN not in err and REAL_TOKEN not in out


def test_a_core_dump_of_askfirstd_holds_no_real_secret(sandbox, tmp_path):
    """After real traffic (the secret was put in and sent), gcore's dump of askfirstd: the secret's
    pages are MADV_DONTDUMP and every copy askfirstd made on the way was wiped."""
    skip_unless_core_dumps_can_be_scanned()
    done = tmp_path / "done"
    script = "; ".join([curl(API_HOST, STUB_TOKEN), curl(API_HOST, STUB_TOKEN, "POST"),
                        f"touch {done}", "sleep 30"])
    name = sandbox.new_name()
    profile = sandbox.profile(name, "off", extra={"credentials": [bearer_entry()]})
    os.environ["ASKFIRST_TEST_REAL_TOKEN"] = REAL_TOKEN
    try:
        process = subprocess.Popen(sandbox.command(name, profile, script), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=sandbox.client_env())
    finally:
        del os.environ["ASKFIRST_TEST_REAL_TOKEN"]
    image, out, err = core_dump_once_done(process, done, tmp_path, "the requests")
    assert REAL_TOKEN.encode() not in image, "the real secret is in askfirstd's core dump"
    assert sandbox.origin.requests()[-1]["headers"]["authorization"] == f"Bearer {REAL_TOKEN}"  # it was used


def test_askfirst_credentials_lists_entries_and_whether_each_source_resolves_never_a_value(tmp_path):
    readable = tmp_path / "world-readable-token"
    readable.write_text(REAL_TOKEN)
    readable.chmod(0o644)
    private = tmp_path / "private-token"
    private.write_text(REAL_TOKEN)
    private.chmod(0o600)
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"credentials": [
        bearer_entry(),
        bearer_entry(name="from-file", source={"file": str(private)}),
        bearer_entry(name="readable-file", source={"file": str(readable)}),
        bearer_entry(name="failing-command", source={"command": ["false"]}),
    ]}))
    env = dict(os.environ, ASKFIRST_TEST_REAL_TOKEN=REAL_TOKEN)
    done = subprocess.run([ASKFIRST, "credentials", "--profile", str(profile), "--json"], capture_output=True,
                          text=True, timeout=30, env=env)
    assert done.returncode == 1, done.stderr  # one source does not resolve
    listed = {entry["name"]: entry for entry in json.loads(done.stdout)}
    assert listed["api"]["resolved"] and listed["api"]["hosts"] == [API_HOST]
    assert listed["api"]["source"] == "env ASKFIRST_TEST_REAL_TOKEN"
    assert listed["from-file"]["resolved"]
    assert not listed["readable-file"]["resolved"] and "group or others" in listed["readable-file"]["error"]
    assert not listed["failing-command"]["resolved"] and "exit status 1" in listed["failing-command"]["error"]
    assert REAL_TOKEN not in done.stdout + done.stderr
    text = subprocess.run([ASKFIRST, "credentials", "--profile", str(profile)], capture_output=True, text=True,
                          timeout=30, env=env)
    assert "api  bearer  hosts=api.http.test" in text.stdout and "NOT RESOLVED" in text.stdout
    assert REAL_TOKEN not in text.stdout + text.stderr


def test_no_real_secret_goes_into_plain_http_where_the_guest_chose_address_and_host(sandbox, tmp_path):
    """Over plain HTTP nothing proves the server is the listed host: the guest dials any address and
    writes any Host. A request that would get the real secret is refused; nothing reaches the origin."""
    port_file, log = tmp_path / "port", tmp_path / "requests.jsonl"
    origin = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parents[2] / "tests" / "e2e" / "origin.py"),
                               "--plain", "--port-file", str(port_file), "--log", str(log)])
    try:
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text())
        host, address = "plain.cred.test", "198.51.100.31"
        script = (f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' "
                  f"-H 'Authorization: Bearer {STUB_TOKEN}' http://{host}/v1/things")
        run = run_with_credentials(sandbox, script, [bearer_entry(hosts=[host])],
                                   dns={"hosts": {host: address}},
                                   upstream={"map": {f"{address}:80": f"127.0.0.1:{port}"}})
    finally:
        origin.terminate()
        origin.wait(timeout=10)
    assert run.lines() == ["403"], run.stdout + run.stderr
    assert not log.exists() or log.read_text() == ""
    [record] = run.audit
    assert record["decision"] == "refused" and "plain HTTP" in record["reason"]
    assert_real_secret_nowhere(run)


def test_git_over_https_with_the_stub_git_credentials_reaches_the_forge_with_the_real_password(
        sandbox, origin, tmp_path):
    """A basic entry: the host's ~/.git-credentials holds the real pair; inside exec git's store helper
    reads the stub file bound over it, answers the forge's 401 with the stub, and the forge sees the real
    pair. The git clone really completes."""
    from test_http_clients import bare_repo  # noqa: E402 (the same bare-repository helper)

    name = f"private/cred-{os.getpid()}-{HttpSandbox.counter}.git"
    bare_repo(origin.git_root, name)
    real_pair = "alice:" + REAL_TOKEN
    (tmp_path / ".git-credentials").write_text(f"https://{real_pair}@{GIT_HOST}\n")
    (tmp_path / ".git-credentials").chmod(0o600)
    clone = tmp_path / "clone"
    script = (f"export GIT_SSL_CAINFO={sandbox.askfirst_ca} GIT_TERMINAL_PROMPT=0; cat ~/.git-credentials; "
              f"git -c credential.helper=store clone -q https://{GIT_HOST}/{name} {clone} && echo cloned")
    entry = {"name": "forge", "kind": "basic", "hosts": [GIT_HOST], "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"}}
    run = run_with_credentials(sandbox, script, [entry], real=real_pair)
    assert "cloned" in run.stdout, run.stdout + run.stderr
    assert REAL_TOKEN not in run.stdout  # the file inside held the stub
    authorized = [r for r in run.received if "authorization" in r["headers"]]
    assert authorized, "git never sent credentials"
    expected = "Basic " + base64.b64encode(real_pair.encode()).decode()
    assert all(r["headers"]["authorization"] == expected for r in authorized)
    assert_real_secret_nowhere(run)


def test_a_basic_stub_password_in_the_request_path_is_never_replaced_by_the_real_one(sandbox):
    """No client sends userinfo in a request target (RFC 9110 §4.2.4), but askfirst put the real password
    in place of ":<stub>@" anywhere in it: a guest asking a listed host for /anything/:<stub>@ had the real
    password written into the path, where servers log it and echo it back (404 pages, redirects)."""
    real_pair = "alice:" + REAL_TOKEN
    entry = {"name": "forge", "kind": "basic", "hosts": [API_HOST], "source": {"env": "ASKFIRST_TEST_REAL_TOKEN"},
             "stub": STUB_TOKEN}
    script = f"curl -sS --max-time 30 -o /dev/null -w '%{{http_code}}\\n' 'https://{API_HOST}/echo/:{STUB_TOKEN}@x'"
    run = run_with_credentials(sandbox, script, [entry], real=real_pair)
    assert run.lines() == ["200"], run.stdout + run.stderr
    [request] = run.received
    assert REAL_TOKEN not in request["path"], "the real password reached the server in the request path"
    assert_real_secret_nowhere(run)


CHUNKED_UPLOAD = """
import base64, hashlib, hmac, os, ssl, sys, urllib.error, urllib.request, zlib
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
payload = open(sys.argv[2], "rb").read()
CHUNK = 65536
chunks = [payload[i:i + CHUNK] for i in range(0, len(payload), CHUNK)] + [b""]
trailer = sys.argv[1] in ("trailer", "alter-trailer")  # signed trailers: a CRC32 after the last chunk
checksum = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
trailer_lines = "x-amz-checksum-crc32:" + checksum + "\\r\\n"
length = sum(len(("%x;chunk-signature=" % len(c)).encode()) + 64 + 2 + len(c) + 2 for c in chunks)
if trailer:
    length += -2 + len(trailer_lines) + len("x-amz-trailer-signature:") + 64 + 4
headers = {"Content-Type": "application/octet-stream", "Content-Encoding": "aws-chunked",
           "X-Amz-Decoded-Content-Length": str(len(payload)), "Content-Length": str(length),
           "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")}
if trailer:
    headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
request = AWSRequest(method="PUT", url="https://RDS_HOST/bucket/chunked.bin", data=b"", headers=headers)
secret = os.environ["AWS_SECRET_ACCESS_KEY"]
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], secret, os.environ.get("AWS_SESSION_TOKEN")),
          "s3", "us-east-1").add_auth(request)
amz_date = request.headers["X-Amz-Date"]
scope = amz_date[:8] + "/us-east-1/s3/aws4_request"
key = ("AWS4" + secret).encode()
for part in (amz_date[:8], "us-east-1", "s3", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
body = b""
for number, chunk in enumerate(chunks):
    to_sign = "\\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, hashlib.sha256(b"").hexdigest(),
                         hashlib.sha256(chunk).hexdigest()])
    previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if sys.argv[1] == "alter" and number == len(chunks) - 2:  # the last data chunk: the client has sent the rest
        chunk = b"X" + chunk[1:]  # changed after it was signed
    body += ("%x;chunk-signature=" % len(chunk)).encode() + previous.encode() + b"\\r\\n" + chunk
    body += b"\\r\\n" if chunk or not trailer else b""
if trailer:
    to_sign = "\\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                         hashlib.sha256(trailer_lines.replace("\\r\\n", "\\n").encode()).hexdigest()])
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if sys.argv[1] == "alter-trailer":  # the checksum changed after the trailer was signed
        trailer_lines = "x-amz-checksum-crc32:AAAAAA==\\r\\n"
    body += (trailer_lines + "x-amz-trailer-signature:" + signature + "\\r\\n\\r\\n").encode()
assert len(body) == length, (len(body), length)
if len(sys.argv) > 3 and sys.argv[3] == "h2":  # curl over HTTP/2: prints the status and the HTTP version
    import subprocess, tempfile
    with tempfile.NamedTemporaryFile(suffix=".body") as body_file:
        body_file.write(body)
        body_file.flush()
        command = ["curl", "-sS", "--http2", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
                   "-X", "PUT", "--data-binary", "@" + body_file.name, "-H", "Expect:"]
        for name, value in request.headers.items():
            if name.lower() != "content-length":
                command += ["-H", name + ": " + value]
        print(subprocess.run(command + [request.url], capture_output=True, text=True).stdout)
    sys.exit(0)
sent = urllib.request.Request(request.url, data=body, method="PUT",
                              headers={k: v for k, v in request.headers.items() if k.lower() != "content-length"})
try:
    print(urllib.request.urlopen(sent, context=ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])).status)
except urllib.error.HTTPError as error:
    print(error.code)
except Exception as error:
    print("failed", type(error).__name__)
""".replace("RDS_HOST", RDS_HOST)


def test_an_aws_chunked_upload_is_re_signed_chunk_by_chunk_and_an_altered_chunk_never_arrives(
        sandbox, aws_origin, tmp_path):
    (tmp_path / "chunked.py").write_text(CHUNKED_UPLOAD)
    source = tmp_path / "payload.bin"
    # Under 256 KiB: larger uploads through the session stack stall now and then, with or without
    # credentials (upstream gets 256 KiB, then nothing); reported, not this test's subject.
    digest = make_random_file(source, (200 << 10) + 12345)
    script = (f"/usr/bin/python3 {tmp_path}/chunked.py keep {source}; "
              f"/usr/bin/python3 {tmp_path}/chunked.py alter {source}")
    run, received = run_aws(sandbox, aws_origin, tmp_path, script)
    kept, altered = run.lines()
    assert kept == "200", run.stdout + run.stderr
    assert altered != "200", run.stdout + run.stderr
    verified = [r for r in received if r["verified"]]
    assert len(verified) == 1 and verified[0]["sha256"] == digest  # every chunk re-signed, the payload intact
    assert all(not r["verified"] for r in received[1:])  # the altered upload never completed upstream
    assert "aws-chunked chunk signature does not verify" in run.stderr
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)


def test_an_aws_chunked_upload_over_http2_is_re_signed_and_an_altered_chunk_never_arrives(
        sandbox, aws_origin, tmp_path):
    """The same upload from curl over HTTP/2 (the session's HTTP/2 stream, HTTP/1.1 to the origin):
    every chunk re-signed as it streams, the origin verifies it with the real key; a chunk changed
    after signing is answered 502 with the reason and the upload never completes upstream."""
    (tmp_path / "chunked.py").write_text(CHUNKED_UPLOAD)
    source = tmp_path / "payload.bin"
    digest = make_random_file(source, (200 << 10) + 4321)
    # One sandbox each: within one askfirstd, the second connection to this HTTP/1.1 origin would
    # be offered HTTP/1.1 (tls/upstream_alpn_memory.h), and this test is about the h2 guest leg.
    kept_run, kept_received = run_aws(sandbox, aws_origin, tmp_path,
                                      f"/usr/bin/python3 {tmp_path}/chunked.py keep {source} h2")
    altered_run, altered_received = run_aws(sandbox, aws_origin, tmp_path,
                                            f"/usr/bin/python3 {tmp_path}/chunked.py alter {source} h2")
    assert kept_run.lines() == ["200 2"], kept_run.stdout + kept_run.stderr + str(kept_received) + str(kept_run.audit)
    assert altered_run.lines() == ["502 2"], altered_run.stdout + altered_run.stderr
    verified = [r for r in kept_received if r["verified"]]
    assert len(verified) == 1 and verified[0]["sha256"] == digest, kept_received
    assert all(not r["verified"] for r in altered_received)  # the altered upload never completed upstream
    assert "aws-chunked chunk signature does not verify" in altered_run.stderr
    for run in (kept_run, altered_run):
        assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)


def test_an_aws_chunked_upload_with_signed_trailers_is_re_signed_and_an_altered_trailer_never_arrives(
        sandbox, aws_origin, tmp_path):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the chunks and the trailer signature (over a CRC32
    checksum) are checked with the stub key and signed again with the real one; the origin verifies
    all of it with the real key and the checksum against the payload. A checksum changed after signing
    is refused and the upload never completes upstream."""
    (tmp_path / "chunked.py").write_text(CHUNKED_UPLOAD)
    source = tmp_path / "payload.bin"
    digest = make_random_file(source, (150 << 10) + 321)
    script = (f"/usr/bin/python3 {tmp_path}/chunked.py trailer {source}; "
              f"/usr/bin/python3 {tmp_path}/chunked.py alter-trailer {source}")
    run, received = run_aws(sandbox, aws_origin, tmp_path, script)
    kept, altered = run.lines()
    assert kept == "200", run.stdout + run.stderr
    assert altered != "200", run.stdout + run.stderr
    verified = [r for r in received if r["verified"]]
    assert len(verified) == 1 and verified[0]["sha256"] == digest, received
    assert verified[0]["trailers"] == ["x-amz-checksum-crc32"], verified[0]
    assert all(not r["verified"] for r in received[1:])
    assert "trailer signature does not verify" in run.stderr, run.stderr
    assert_real_secret_nowhere(run, REAL_AWS.secret_access_key)
