"""Consent through the namespace rig: a real curl inside `askfirst exec`, a
real askfirstd holding its request, and the real `askfirst` CLI (or a raw
control-socket client) answering on the host. Each test checks what the
loopback origin received, not only what curl saw.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ASKFIRST

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
from askfirst_tools import control  # noqa: E402

HOST, ADDRESS = "api.consent.test", "198.51.100.9"
OTHER_HOST = "other.consent.test"  # a second unknown host on the same origin
OTHER_ADDRESS = "198.51.100.10"    # a second address of the same origin
CURL = "curl -s -o /dev/null -w '%{http_code}\\n' --max-time 90"


@pytest.fixture(scope="module")
def consent_home(private_askfirst_dirs):
    """The CA, audit log and control sockets of these tests: the session's
    private XDG dirs (conftest.private_askfirst_dirs)."""
    return private_askfirst_dirs


class PlainOrigin:
    def __init__(self, folder: Path):
        self.log = folder / "requests.jsonl"
        port_file = folder / "port"
        self.process = subprocess.Popen([sys.executable, str(REPO / "tests" / "e2e" / "origin.py"), "--plain",
                                         "--port-file", str(port_file), "--log", str(self.log)])
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text()):
            assert time.monotonic() < deadline, "origin did not start"
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def requests(self):
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture(scope="module")
def plain_origin(tmp_path_factory):
    origin = PlainOrigin(tmp_path_factory.mktemp("plain-origin"))
    yield origin
    origin.process.terminate()


class Session:
    """One `askfirst exec` running a script, with a named askfirstd."""

    counter = 0

    def __init__(self, tmp_path: Path, origin: PlainOrigin, script: str, mode: str = "prompt-writes",
                 consent: dict | None = None):
        Session.counter += 1
        self.name = f"consent-{os.getpid()}-{Session.counter}"
        profile = {"name": self.name, "modes": {"default": mode},
                   "dns": {"hosts": {HOST: ADDRESS, OTHER_HOST: ADDRESS}},
                   "upstream": {"map": {f"{ADDRESS}:80": f"127.0.0.1:{origin.port}",
                                        f"{OTHER_ADDRESS}:80": f"127.0.0.1:{origin.port}"}},
                   "consent": {"timeout_s": 120, **(consent or {})}}
        path = tmp_path / f"{self.name}.json"
        path.write_text(json.dumps(profile))
        self.process = subprocess.Popen([ASKFIRST, "exec", "--profile", str(path), "--name", self.name, "--",
                                         "sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def control(self) -> control.ControlClient:
        return control.ControlClient.for_name(self.name, wait_seconds=20)

    def finish(self, timeout=120):
        out, err = self.process.communicate(timeout=timeout)
        return out, err


def answer_with_cli(name: str, question_id: int, answer: str) -> str:
    done = subprocess.run([ASKFIRST, "answer", "--name", name, str(question_id), answer],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    return done.stdout


def questions_until_closed(client: control.ControlClient, timeout: float) -> list[dict]:
    """Questions asked from now until the daemon goes away or `timeout` passes."""
    asked = []
    try:
        for event in client.events(timeout=timeout):
            if event.get("event") == "question":
                asked.append(event["question"])
    except control.ControlError:
        pass  # the sandbox ended and its askfirstd with it
    return asked


def next_question(client: control.ControlClient, timeout: float = 60) -> dict:
    for event in client.events(timeout=timeout):
        if event.get("event") == "question":
            return event["question"]
    raise AssertionError("no question was asked")


@pytest.mark.parametrize("answer, second_asks, second_status", [
    ("once", True, "200"),       # once stores nothing: the next one asks again
    ("15m", False, "200"),       # a grant: the next one passes without a question
    ("session", False, "200"),
])
def test_an_answer_releases_the_held_request_and_decides_the_next(exec_works, consent_home, plain_origin,
                                                                    tmp_path, answer, second_asks, second_status):
    before = len(plain_origin.requests())
    script = f"sleep 1; {CURL} -X DELETE http://{HOST}/items/1; {CURL} -X DELETE http://{HOST}/items/2"
    session = Session(tmp_path, plain_origin, script)
    with session.control() as client:
        client.subscribe()
        first = next_question(client)
        assert first["tier"] == "destructive" and first["provider"] == "generic"
        assert "DELETE" in first["detail"]
        assert "1 request" in answer_with_cli(session.name, first["id"], answer)
        if second_asks:
            second = next_question(client)
            answer_with_cli(session.name, second["id"], "once")
        out, err = session.finish()
    assert out.split() == ["200", second_status], err
    paths = [r["path"] for r in plain_origin.requests()[before:]]
    assert paths == ["/items/1", "/items/2"]


def test_deny_refuses_now_and_for_a_minute_without_a_new_question(exec_works, consent_home, plain_origin, tmp_path):
    before = len(plain_origin.requests())
    script = f"sleep 1; curl -s --max-time 90 -X DELETE http://{HOST}/items/9; echo; {CURL} -X DELETE http://{HOST}/items/9"
    session = Session(tmp_path, plain_origin, script)
    with session.control() as client:
        client.subscribe()
        question = next_question(client)
        answer_with_cli(session.name, question["id"], "deny")
        asked_again = questions_until_closed(client, timeout=5)
        out, err = session.finish()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2, out + err
    denial = json.loads(lines[0])
    assert denial["error"] == "askfirst_denied" and "refused" in denial["reason"]
    assert lines[1] == "403"
    assert asked_again == []
    assert plain_origin.requests()[before:] == []


def test_a_held_body_arrives_intact_after_a_long_wait(exec_works, consent_home, plain_origin, tmp_path):
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(3 * 1024 * 1024))
    import hashlib
    digest = hashlib.sha256(payload.read_bytes()).hexdigest()
    before = len(plain_origin.requests())
    script = f"sleep 1; {CURL} -X PUT --data-binary @{payload} http://{HOST}/upload"
    session = Session(tmp_path, plain_origin, script)
    with session.control() as client:
        client.subscribe()
        question = next_question(client)
        time.sleep(8)  # the guest keeps sending while the person thinks
        answer_with_cli(session.name, question["id"], "once")
        out, err = session.finish()
    assert out.split() == ["200"], err
    arrived = plain_origin.requests()[before:]
    assert [(r["method"], r["length"], r["sha256"]) for r in arrived] == [("PUT", payload.stat().st_size, digest)]


def test_prompts_json_lists_pending_questions_with_their_waiting_time(exec_works, consent_home, plain_origin, tmp_path):
    session = Session(tmp_path, plain_origin, f"sleep 1; {CURL} -X POST -d x=1 http://{HOST}/jobs")
    with session.control() as client:
        client.subscribe()
        question = next_question(client)
        time.sleep(1.2)
        listed = subprocess.run([ASKFIRST, "prompts", "--json", "--name", session.name],
                                capture_output=True, text=True, timeout=20)
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        answer_with_cli(session.name, question["id"], "deny")
        session.finish()
    assert [row["id"] for row in rows] == [question["id"]]
    assert rows[0]["tier"] == "write" and rows[0]["waiting_s"] >= 1
    assert {"provider", "operation", "detail", "flags"} <= set(rows[0])


def test_malformed_control_input_gets_errors_and_the_daemon_goes_on(exec_works, consent_home, plain_origin, tmp_path):
    session = Session(tmp_path, plain_origin, "sleep 6")
    path = Path(os.environ["XDG_RUNTIME_DIR"]) / "askfirst" / f"{session.name}.sock"
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(str(path))
    raw.settimeout(10)
    raw.sendall(b"{not json\n" + b'{"cmd":"reboot"}\n' + b"x" * 70000 + b"\n" + b'{"id":3,"cmd":"status"}\n')
    replies = b""
    while replies.count(b"\n") < 4:
        chunk = raw.recv(65536)
        assert chunk, "the daemon closed the connection"
        replies += chunk
    raw.close()
    lines = [json.loads(line) for line in replies.splitlines()]
    assert [line["ok"] for line in lines] == [False, False, False, True]
    assert "not JSON" in lines[0]["error"] and "unknown command 'reboot'" in lines[1]["error"]
    assert "longer than" in lines[2]["error"] and lines[3]["re"] == 3
    status = subprocess.run([ASKFIRST, "status", "--name", session.name], capture_output=True, text=True, timeout=20)
    assert status.returncode == 0 and session.name in status.stdout
    session.finish()


def test_another_uid_is_refused_on_the_control_socket(exec_works, consent_home, plain_origin, tmp_path):
    if os.getuid() != 0:
        pytest.skip("needs root to run a client under another uid")
    # A runtime dir the other uid can traverse up to (pytest's tmp dirs are 0700).
    import tempfile
    runtime = tempfile.mkdtemp(prefix="askfirst-uid-test-", dir="/tmp")
    os.chmod(runtime, 0o711)
    saved_runtime = os.environ["XDG_RUNTIME_DIR"]
    os.environ["XDG_RUNTIME_DIR"] = runtime
    try:
        session = Session(tmp_path, plain_origin, "sleep 6")
    finally:
        os.environ["XDG_RUNTIME_DIR"] = saved_runtime
    path = Path(runtime) / "askfirst" / f"{session.name}.sock"
    deadline = time.monotonic() + 20
    while not path.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (path.stat().st_mode & 0o777) == 0o600 and (path.parent.stat().st_mode & 0o777) == 0o700
    # A client as nobody (uid 65534): let it past the file modes, so SO_PEERCRED is what refuses it.
    os.chmod(path.parent, 0o711)
    os.chmod(path, 0o666)
    probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);s.settimeout(5)\n"
             "try:\n s.sendall(b'{\"cmd\":\"status\"}\\n'); data=s.recv(100)\n"
             "except (BrokenPipeError, ConnectionResetError): data=b''\n"
             "print('reply' if data else 'closed')\n")
    other = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=20,
                           user=65534, group=65534)
    os.chmod(path.parent, 0o700)
    os.chmod(path, 0o600)
    out, err = session.finish()
    assert other.stdout.strip() == "closed", other.stderr
    assert "control=refused reason=other-uid peer_uid=65534" in err


def test_a_question_raised_2_s_before_the_listener_subscribes_is_still_asked(exec_works, consent_home, plain_origin,
                                                                            tmp_path):
    """consent.listener_grace_s (default 10): the agent's first request comes before the tray
    has connected; it waits for a listener instead of being answered by consent.no_ui."""
    before = len(plain_origin.requests())
    session = Session(tmp_path, plain_origin, f"{CURL} -X DELETE http://{HOST}/early")
    client = session.control()
    with client:
        deadline = time.monotonic() + 20
        while client.request("status").get("pending", 0) == 0:
            assert time.monotonic() < deadline, "no question was raised"
            time.sleep(0.05)
        time.sleep(2)  # the question is open, nobody listens yet
        pending = client.subscribe()
        assert [q["detail"] for q in pending] == [f"DELETE {HOST}/early"], pending
        answer_with_cli(session.name, pending[0]["id"], "once")
        out, err = session.finish()
    assert out.split() == ["200"], err
    assert [r["path"] for r in plain_origin.requests()[before:]] == ["/early"]


def test_with_no_listener_within_the_grace_no_ui_answers(exec_works, consent_home, plain_origin, tmp_path):
    """The grace is a window from askfirstd's start, not a delay per question: the first write
    waits it out, a later one (nobody listening still) is answered by consent.no_ui at once."""
    before = len(plain_origin.requests())
    timed = (f"start=$(date +%s%N); {CURL} -X DELETE http://{HOST}/unwatched; "
             "echo $(( ($(date +%s%N) - start) / 1000000 ))")
    # 4 s: askfirstd's start and curl's come out of the window first (over 1 s under ASan on a
    # busy machine), and at least 1 s of it must be left to see the wait.
    session = Session(tmp_path, plain_origin, f"{timed}; {timed}",
                      consent={"listener_grace_s": 4, "no_ui": "deny"})
    out, err = session.finish()
    assert "no consent client is listening yet: a question waits 4 s" in err, err
    assert f"askfirst prompts --name {session.name}" in err, err
    first_status, first_waited, second_status, second_waited = out.split()
    assert first_status == second_status == "403", err
    # It waited what was left of the window (opened when askfirstd started, just before the command).
    assert 1000 <= int(first_waited) < 10000, first_waited
    assert int(second_waited) < 1000, second_waited  # the window had closed: no second wait
    assert plain_origin.requests()[before:] == []


def test_the_grace_window_opens_again_when_the_last_listener_leaves(exec_works, consent_home, plain_origin,
                                                                    tmp_path):
    """A tray that restarts gets the grace again: a question raised just after the last listener
    left waits for the next one."""
    before = len(plain_origin.requests())
    session = Session(tmp_path, plain_origin,
                      f"sleep 4; {CURL} -X DELETE http://{HOST}/after-restart",
                      consent={"listener_grace_s": 3, "no_ui": "deny"})
    with session.control() as leaving:
        leaving.subscribe()
        time.sleep(3.5)  # past the window that opened at start; the listener leaves at 3.5 s
    time.sleep(1.5)  # the request (at 4 s) waits, within the window opened when the listener left
    with session.control() as client:
        pending = client.subscribe()
        assert [q["detail"] for q in pending] == [f"DELETE {HOST}/after-restart"], pending
        answer_with_cli(session.name, pending[0]["id"], "once")
        out, err = session.finish()
    assert out.split() == ["200"], err
    assert [r["path"] for r in plain_origin.requests()[before:]] == ["/after-restart"]


def test_a_session_grant_for_an_unknown_host_covers_that_host_only(exec_works, consent_home, plain_origin, tmp_path):
    """Over plain HTTP the Host header is the guest's word and the connection goes where it dialed:
    the grant is for that name at that address, so the same Host sent to another address asks again."""
    before = len(plain_origin.requests())
    script = (f"sleep 1; {CURL} -X POST -d a=1 http://{HOST}/one; {CURL} -X POST -d a=2 http://{HOST}/two; "
              f"{CURL} -X POST -d a=3 http://{OTHER_HOST}/three; "
              f"{CURL} --resolve {HOST}:80:{OTHER_ADDRESS} -X POST -d a=4 http://{HOST}/four")
    session = Session(tmp_path, plain_origin, script)
    with session.control() as client:
        client.subscribe()
        first = next_question(client)
        assert first["provider"] == "generic" and HOST in first["detail"]
        answer_with_cli(session.name, first["id"], "session")
        # /two passes on the grant; the other host is asked
        other = next_question(client)
        assert other["detail"] == f"POST {OTHER_HOST}/three", other
        grants = client.request("grants")["grants"]
        answer_with_cli(session.name, other["id"], "deny")
        elsewhere = next_question(client)
        assert elsewhere["detail"] == f"POST {HOST}/four", elsewhere
        answer_with_cli(session.name, elsewhere["id"], "deny")
        out, err = session.finish()
    assert out.split() == ["200", "200", "403", "403"], err
    assert [(g["provider"], g.get("scope")) for g in grants] == [("generic", f"{HOST} at {ADDRESS}:80")]
    assert [r["path"] for r in plain_origin.requests()[before:]] == ["/one", "/two"]
