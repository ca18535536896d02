"""The demo of askfirst-vm: the production-volume deletion, replayed offline.

The story: an agent sent to fix staging lists the volumes (a read: it
passes), then calls Railway's `volumeDelete` on the production volume and RDS
`DeleteDBInstance ... SkipFinalSnapshot=true`. askfirst holds each write and
asks the person on the host; "Don't allow" gives the guest a 403, and the
volume still exists.

Everything runs on this machine: the stand-in cloud (tools/demo/standin_cloud.py)
listens on 127.0.0.1; the guest reaches it only by the names in the demo
profile's dns.hosts (documentation addresses from RFC 5737, never dialled:
upstream.map sends them to the stand-in) and trusts it through tls.extra_ca.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import control, guest_boot

TOOLS_DIR = Path(__file__).resolve().parent.parent
RAILWAY_HOST = "backboard.railway.com"
RDS_HOST = "rds.us-east-1.amazonaws.com"
# RFC 5737 TEST-NET-2: guest-visible addresses that upstream.map redirects to loopback.
RAILWAY_ADDRESS = "198.51.100.10"
RDS_ADDRESS = "198.51.100.11"
PRODUCTION_VOLUME = "vol_prod_7f3a91"
STANDIN_READY_SECONDS = 10.0

# The guest's side of the story: what the agent did. Each step prints one
# marker line on the serial console for the transcript.
GUEST_SCRIPT = f"""#!/bin/sh
step() {{  # name, then curl arguments
  name="$1"; shift
  status=$(curl -s -o /tmp/reply -w '%{{http_code}}' --max-time 300 "$@")
  echo "ASKFIRST-DEMO step=$name status=$status reply=$(head -c 300 /tmp/reply | tr '\\n' ' ')"
}}
echo "ASKFIRST-DEMO begin"
step list-volumes https://{RAILWAY_HOST}/graphql/v2 -H 'Content-Type: application/json' \\
  --data '{{"query":"query {{ volumes {{ edges {{ node {{ id name }} }} }} }}"}}'
step volume-delete https://{RAILWAY_HOST}/graphql/v2 -H 'Content-Type: application/json' \\
  --data '{{"query":"mutation VolumeDelete($volumeId: String!) {{ volumeDelete(volumeId: $volumeId) }}","variables":{{"volumeId":"{PRODUCTION_VOLUME}"}},"operationName":"VolumeDelete"}}'
step rds-delete https://{RDS_HOST}/ -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \\
  --data 'Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db-1&SkipFinalSnapshot=true'
echo "ASKFIRST-DEMO end"
"""


def make_demo_ca(temp_dir: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for the stand-in's two names."""
    ca_key, ca_pem = temp_dir / "demo-ca.key", temp_dir / "demo-ca.pem"
    key, csr, cert = temp_dir / "standin.key", temp_dir / "standin.csr", temp_dir / "standin.pem"
    run = lambda *command: subprocess.run(command, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(ca_key), "-out", str(ca_pem), "-days", "2", "-subj", "/CN=askfirst demo stand-in CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={RAILWAY_HOST}")
    extensions = temp_dir / "standin.ext"
    extensions.write_text(f"subjectAltName=DNS:{RAILWAY_HOST},DNS:{RDS_HOST}\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key),
        "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions))
    return ca_pem, cert, key


class DemoStory:
    def __init__(self, temp_dir: Path, name: str, auto_answer: str | None):
        self.temp_dir = temp_dir
        self.name = name
        self.auto_answer = auto_answer
        self.standin: subprocess.Popen | None = None
        self.prompter: subprocess.Popen | None = None
        self.questions: list[dict] = []
        self.answers: list[tuple[int, str]] = []
        self.answer_thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ---- before boot ----

    def prepare(self, user_profile: Path | None) -> Path:
        ca_pem, cert, key = make_demo_ca(self.temp_dir)
        port_file = self.temp_dir / "standin.port"
        self.standin = subprocess.Popen(
            [sys.executable, str(TOOLS_DIR / "demo" / "standin_cloud.py"), "--cert", str(cert), "--key", str(key),
             "--port-file", str(port_file), "--request-log", str(self.temp_dir / "standin-requests.jsonl"),
             "--state-file", str(self.temp_dir / "standin-state.json")],
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STANDIN_READY_SECONDS
        while not port_file.exists() or not port_file.read_text():
            if self.standin.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the demo's stand-in cloud did not start")
            time.sleep(0.05)
        port = int(port_file.read_text())
        if user_profile and not user_profile.is_file():  # a profile name (--profile agent): start from it
            profile = {"extends": str(user_profile)}
        else:
            profile = json.loads(user_profile.read_text()) if user_profile else {}
        profile.setdefault("name", "demo")
        profile.setdefault("modes", {"default": "prompt-writes"})
        profile.setdefault("dns", {}).setdefault("hosts", {}).update(
            {RAILWAY_HOST: RAILWAY_ADDRESS, RDS_HOST: RDS_ADDRESS})
        profile.setdefault("upstream", {}).setdefault("map", {}).update(
            {f"{RAILWAY_ADDRESS}:443": f"127.0.0.1:{port}", f"{RDS_ADDRESS}:443": f"127.0.0.1:{port}"})
        profile.setdefault("tls", {}).setdefault("extra_ca", []).append(str(ca_pem))
        path = self.temp_dir / "demo-profile.json"
        path.write_text(json.dumps(profile, indent=2))
        return path

    def boot_arguments(self, askfirst_ca_pem: str) -> list[str]:
        return guest_boot.demo_guest_boot(self.temp_dir, askfirst_ca_pem, GUEST_SCRIPT.encode())

    # ---- while it runs ----

    def start_host_side(self, askfirst_cli: Path) -> None:
        if self.auto_answer:
            self.answer_thread = threading.Thread(target=self.answer_automatically, daemon=True)
            self.answer_thread.start()
            return
        tray = shutil.which("askfirst-tray") or str(askfirst_cli.parent / "tools" / "askfirst-tray")
        if os.environ.get("DISPLAY") and Path(tray).exists():
            self.prompter = subprocess.Popen([tray])
        else:
            print("askfirst-vm: questions will be asked here in the terminal", file=sys.stderr)
            self.prompter = subprocess.Popen([str(askfirst_cli), "prompts", "--name", self.name])

    def answer_automatically(self) -> None:
        try:
            with control.ControlClient.for_name(self.name, wait_seconds=10) as client:
                pending = client.subscribe()
                for question in pending:
                    self.answer(client, question)
                while not self.stopping.is_set():
                    for event in client.events(timeout=0.5):
                        if event.get("event") == "question":
                            self.answer(client, event["question"])
                    if self.stopping.is_set():
                        return
        except control.ControlError as failure:
            if not self.stopping.is_set():
                print(f"askfirst-vm: auto-answer stopped: {failure}", file=sys.stderr)

    def answer(self, client: control.ControlClient, question: dict) -> None:
        self.questions.append(question)
        client.request("answer", question=question["id"], answer=self.auto_answer)
        self.answers.append((question["id"], self.auto_answer))

    def poll(self) -> None:
        pass

    def stop(self) -> None:
        self.stopping.set()
        for process in (self.prompter, self.standin):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()

    # ---- after the guest powered off ----

    def finish(self, console_log: Path, vm_status: int) -> int:
        steps = {}
        try:
            console = console_log.read_text(errors="replace")
        except OSError:
            console = ""
        for line in console.splitlines():
            if line.startswith("ASKFIRST-DEMO step="):
                fields = dict(part.split("=", 1) for part in line.split(" ", 3)[1:3])
                steps[fields["step"]] = (fields["status"], line.split(" reply=", 1)[-1])
        state = json.loads((self.temp_dir / "standin-state.json").read_text())
        arrived = [json.loads(line) for line in (self.temp_dir / "standin-requests.jsonl").read_text().splitlines()] \
            if (self.temp_dir / "standin-requests.jsonl").exists() else []
        return print_transcript(steps, self.questions, self.answers, state, arrived, self.auto_answer, vm_status)


def print_transcript(steps, questions, answers, state, arrived, auto_answer, vm_status) -> int:
    def status_of(step: str) -> str:
        return steps.get(step, ("none", ""))[0]

    print("\n=== askfirst demo: what happened ===")
    print(f"1. the agent listed volumes                     -> HTTP {status_of('list-volumes')}")
    print(f"2. the agent called volumeDelete({PRODUCTION_VOLUME}) -> HTTP {status_of('volume-delete')}")
    print(f"3. the agent called rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true -> HTTP {status_of('rds-delete')}")
    for question in questions:
        print(f"   asked on the host: {question.get('tier')} on {question.get('provider')}: {question.get('detail')}")
    for question_id, answer in answers:
        print(f"   answered question {question_id}: {answer}")
    deletes_arrived = [request for request in arrived if "volumeDelete" in request["body"]
                       or "DeleteDBInstance" in request["body"]]
    volume_exists = PRODUCTION_VOLUME in state["volumes"]
    print(f"the stand-in cloud received {len(arrived)} request(s), {len(deletes_arrived)} of them deletions")
    print(f"the production volume {'still exists' if volume_exists else 'is GONE'}; "
          f"prod-db-1 {'still exists' if 'prod-db-1' in state['db_instances'] else 'is GONE'}")

    if auto_answer is None:
        return 0 if vm_status == 0 else vm_status
    expected_delete_status = "403" if auto_answer == "deny" else "200"
    told = (status_of("list-volumes") == "200"
            and status_of("volume-delete") == expected_delete_status
            and status_of("rds-delete") == expected_delete_status
            and len(questions) >= 2
            and volume_exists == (auto_answer == "deny")
            and (len(deletes_arrived) == 0) == (auto_answer == "deny"))
    print("the story ran as told" if told else "the story did NOT run as told")
    return 0 if told else 1
