"""End to end: a real QEMU guest whose only network is askfirstd.

Each test boots the demo guest with `askfirst-vm --demo-guest --run SCRIPT`;
the script runs real curl inside the guest and prints `RESULT name value`
lines on the serial console. The checks look at what the guest saw AND at
what the loopback origin received, so a request that slipped through is
caught even if the guest was told otherwise.
"""
from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import API_HOST, ASKFIRST_VM, ASKFIRSTD, V6_HOST, base_profile

# curl inside the guest: status code only, generous timeouts for TCG.
CURL = "curl -s -o /dev/null -w '%{http_code}' --max-time 60"


def result_lines(*steps: tuple[str, str]) -> str:
    """A guest script: each step is (name, shell command printing a value)."""
    return "sleep 1\n" + "".join(f'echo "RESULT {name} $({command})"\n' for name, command in steps)


def test_a_read_passes_and_a_write_is_refused_under_block_writes(guest, test_ca, origin):
    before = len(origin.requests())
    run = guest(base_profile(test_ca, origin, "block-writes"), result_lines(
        ("read", f"{CURL} https://{API_HOST}/v1/items"),
        ("write", f"{CURL} -X POST -d name=x https://{API_HOST}/v1/items"),
    ))
    assert run.results() == {"read": "200", "write": "403"}, run.console + run.stderr
    arrived = origin.requests()[before:]
    assert [(r["method"], r["path"]) for r in arrived] == [("GET", "/v1/items")]


def test_a_held_write_answered_on_the_host_passes_with_its_body_intact(guest, test_ca, origin):
    body = os.urandom(48 * 1024).hex()  # 96 KiB of text, sent from a file in the guest
    digest = hashlib.sha256(body.encode()).hexdigest()
    before = len(origin.requests())
    script = f"printf '%s' '{body}' > /tmp/body\n" + result_lines(
        ("held", f"{CURL} -X PUT --data-binary @/tmp/body https://{API_HOST}/v1/blob"))
    run = guest(base_profile(test_ca, origin, "prompt-writes"), script, answer="once", answer_delay=2.0)
    assert run.results() == {"held": "200"}, run.console + run.stderr
    assert len(run.questions) == 1 and run.questions[0]["tier"] == "write"
    arrived = origin.requests()[before:]
    assert [(r["method"], r["sha256"]) for r in arrived] == [("PUT", digest)]


def test_a_denied_write_gets_the_403_and_nothing_arrives(guest, test_ca, origin):
    before = len(origin.requests())
    run = guest(base_profile(test_ca, origin, "prompt-writes"), result_lines(
        ("denied", f"curl -s --max-time 60 -X DELETE https://{API_HOST}/v1/items/7"),
    ), answer="deny")
    denial = json.loads(run.results()["denied"])
    assert denial["error"] == "askfirst_denied" and denial["tier"] == "destructive", run.console
    assert origin.requests()[before:] == []


def test_proxy_variables_in_the_guest_change_nothing(guest, test_ca, origin):
    before = len(origin.requests())
    proxy = f"https_proxy=http://{API_HOST}:443 HTTPS_PROXY=http://{API_HOST}:443"
    run = guest(base_profile(test_ca, origin, "block-destructive"), result_lines(
        # no_proxy for the host: curl goes direct, and is judged as ever.
        ("direct", f"no_proxy={API_HOST} {proxy} {CURL} -X DELETE https://{API_HOST}/v1/items/1"),
        # through a "proxy": the CONNECT is refused, so the DELETE never leaves.
        ("via_proxy", f"{proxy} {CURL} -X DELETE https://{API_HOST}/v1/items/2 || true"),
    ))
    results = run.results()
    assert results["direct"] == "403", run.console
    assert results["via_proxy"] != "200", run.console
    assert [r for r in origin.requests()[before:] if r["method"] == "DELETE"] == []


def test_an_ipv6_flow_to_an_odd_port_is_judged_too(guest, test_ca, origin, origin6):
    before = len(origin6.requests())
    run = guest(base_profile(test_ca, origin, "block-destructive", origin6), result_lines(
        ("v6_read", f"{CURL} -6 https://{V6_HOST}:8443/v1/items"),
        ("v6_delete", f"{CURL} -6 -X DELETE https://{V6_HOST}:8443/v1/items/3"),
    ))
    assert run.results() == {"v6_read": "200", "v6_delete": "403"}, run.console + run.stderr
    assert [r["method"] for r in origin6.requests()[before:]] == ["GET"]


def test_udp_443_gets_nowhere(guest, test_ca, origin, tmp_path):
    import socket
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    port = receiver.getsockname()[1]
    profile = base_profile(test_ca, origin, "off")
    # The gateway address is how a guest would reach a host service; UDP to it,
    # and UDP/443 anywhere (QUIC), must not leave.
    run = guest(profile, result_lines(
        ("udp_gateway", f"echo ping | nc -u -w 2 10.0.2.2 {port} >/dev/null 2>&1; echo sent"),
        ("udp_443", "echo ping | nc -u -w 2 198.51.100.7 443 >/dev/null 2>&1; echo sent"),
    ))
    assert run.results() == {"udp_gateway": "sent", "udp_443": "sent"}, run.console
    with pytest.raises(socket.timeout):
        receiver.recvfrom(100)
    receiver.close()


def test_the_gateway_reaches_a_host_service_only_when_listed(guest, test_ca, origin, tmp_path):
    import http.server
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        unlisted = guest(base_profile(test_ca, origin, "off"),
                         result_lines(("gateway", f"curl -s -o /dev/null -w '%{{http_code}}' --max-time 10 "
                                                  f"http://10.0.2.2:{port}/ || true")))
        listed_profile = base_profile(test_ca, origin, "off")
        listed_profile["host_services"] = {f"10.0.2.2:{port}": f"127.0.0.1:{port}"}
        listed = guest(listed_profile, result_lines(("gateway", f"{CURL} http://10.0.2.2:{port}/")))
    finally:
        server.shutdown()
    assert unlisted.results()["gateway"] in ("000", ""), unlisted.console
    assert listed.results()["gateway"] == "200", listed.console


def test_killing_askfirstd_leaves_the_guest_without_network(e2e_home, test_ca, origin, tmp_path):
    """The guest polls the origin; askfirstd is killed; no request arrives after that."""
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(base_profile(test_ca, origin, "off")))
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\nwhile true; do "
                      f"echo \"RESULT poll $({CURL} https://{API_HOST}/poll)\"; sleep 0.5; done\n")
    console = tmp_path / "console.log"
    name = "e2e-kill"
    wrapper = subprocess.Popen([sys.executable, str(ASKFIRST_VM), "--demo-guest", "--run", str(script),
                                "--name", name, "--profile", str(profile), "--console-log", str(console),
                                "--askfirstd", str(ASKFIRSTD)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 120
        while "RESULT poll 200" not in (console.read_text(errors="replace") if console.exists() else ""):
            assert time.monotonic() < deadline and wrapper.poll() is None, "the guest never reached the origin"
            time.sleep(0.2)
        pid = int(subprocess.run(["pgrep", "-f", f"askfirstd --socket .* --name {name}"], capture_output=True,
                                 text=True).stdout.split()[0])
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        _, stderr = wrapper.communicate(timeout=60)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    assert wrapper.returncode != 0
    assert "no network" in stderr
    late = [r for r in origin.requests() if r["path"] == "/poll" and r["time"] > killed_at + 0.05]
    assert late == []


def test_disk_writes_are_gone_after_the_next_launch_and_no_temp_files_remain(guest, test_ca, origin, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"\0" * (1 << 20))
    digest = hashlib.sha256(disk.read_bytes()).hexdigest()
    temp_before = set(glob.glob(os.path.join(tempfile.gettempdir(), "askfirst-vm-*")))
    profile = base_profile(test_ca, origin, "off")
    first = guest(profile, "echo persistent-marker > /dev/vda; sync\n" + result_lines(
        ("wrote", "head -c 17 /dev/vda")), extra=["--disk", str(disk)])
    second = guest(profile, result_lines(("read", "head -c 17 /dev/vda | tr -d '\\0'; echo .")),
                   extra=["--disk", str(disk)])
    assert first.results()["wrote"] == "persistent-marker", first.console
    assert second.results()["read"] == ".", second.console
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == digest
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "askfirst-vm-*"))) == temp_before


@pytest.mark.parametrize("answer", ["deny", "once"])
def test_the_demo_plays_the_story_non_interactively(e2e_home, answer):
    completed = subprocess.run([sys.executable, str(ASKFIRST_VM), "--demo", "--auto-answer", answer,
                                "--name", f"e2e-demo-{answer}", "--askfirstd", str(ASKFIRSTD)],
                               capture_output=True, text=True, timeout=300)
    transcript = completed.stdout
    assert completed.returncode == 0, transcript + completed.stderr
    assert "the story ran as told" in transcript
    assert "asked on the host: destructive on railway: volumeDelete vol_prod_7f3a91" in transcript
    assert "rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true" in transcript
    if answer == "deny":
        assert "the production volume still exists" in transcript
    else:
        assert "the production volume is GONE" in transcript


REAL_TOKEN = "ghp_" + "R3alT0kenOnTheHostOnly0123456789abcd"  # a GitHub token's shape, 40 chars


def test_the_guest_holds_stubs_and_askfirstd_sends_the_real_secret(guest, test_ca, origin, tmp_path):
    """Issue 13, stubs into the VM: askfirst-vm puts the same stub variables and files as
    `askfirst exec` into the guest (here the demo guest, through its initramfs); a request
    made with the stub arrives at the loopback origin carrying the real secret, which the
    guest never saw."""
    process = tmp_path / "aws-process.json"
    process.write_text(json.dumps({"Version": 1, "AccessKeyId": "AKIA" + "REALHOSTKEY00042",
                                   "SecretAccessKey": "realSecretOnTheHost/0123456789abcdefghij"}))
    profile = base_profile(test_ca, origin, "block-writes")
    profile["credentials"] = [
        {"name": "api", "kind": "bearer", "hosts": [API_HOST], "source": {"env": "ASKFIRST_E2E_REAL_TOKEN"},
         "guest_env": ["API_TOKEN"]},
        {"name": "aws-prod", "kind": "aws-sigv4", "hosts": ["*.amazonaws.com"],
         "source": {"command": ["cat", str(process)]}},
    ]
    before = len(origin.requests())
    run = guest(profile, result_lines(
        ("token", "echo $API_TOKEN"),
        ("netrc", "cat ~/.netrc | tr '\\n' ' '"),
        ("netrc_mode", "stat -c '%a %U' ~/.netrc"),
        ("aws_env", "echo $AWS_ACCESS_KEY_ID"),
        ("aws_file", "grep -m1 aws_access_key_id ~/.aws/credentials | awk '{print $3}'"),
        ("read", f"{CURL} -H \"Authorization: Bearer $API_TOKEN\" https://{API_HOST}/v1/items"),
    ), env={"ASKFIRST_E2E_REAL_TOKEN": REAL_TOKEN})
    results = run.results()
    stub = results.get("token", "")
    assert stub.startswith("ghp_") and len(stub) == len(REAL_TOKEN) and stub != REAL_TOKEN, run.console + run.stderr
    assert f"machine {API_HOST} login x-access-token password {stub}" in results.get("netrc", ""), run.console
    assert results.get("netrc_mode") == "600 root", run.console
    aws_stub = results.get("aws_env", "")
    assert aws_stub.startswith("AKIA") and aws_stub != "AKIAREALHOSTKEY00042", run.console
    assert results.get("aws_file") == aws_stub, run.console
    assert results.get("read") == "200", run.console + run.stderr
    arrived = origin.requests()[before:]
    assert [(r["path"], r["authorization"]) for r in arrived] == [("/v1/items", f"Bearer {REAL_TOKEN}")]
    assert REAL_TOKEN not in run.console and "REALHOSTKEY" not in run.console


REAL_KUBE_TOKEN = "kube-" + "RealClusterTokenOnTheHostOnly0123456789"


def test_the_guest_gets_a_stub_kubeconfig_and_the_cluster_sees_the_real_token(guest, test_ca, origin, tmp_path):
    """Issue 13, Kubernetes in a VM: the host's kubeconfig (here named by $KUBECONFIG, a list
    whose second file holds the contexts) becomes the guest's ~/.kube/config: the server kept,
    the user holding the kube entry's stub token, askfirst's CA inline. A request the guest makes
    with that stub token, trusting only the kubeconfig's CA, reaches the loopback API stand-in
    with the real token; no real value of the host's kubeconfig is in the guest."""
    host_ca = base64.b64encode((test_ca / "ca.pem").read_bytes()).decode()
    users, contexts = tmp_path / "kube-users.yaml", tmp_path / "kube-contexts.yaml"
    users.write_text(f"""apiVersion: v1
kind: Config
users:
- {{name: admin, user: {{token: "{REAL_KUBE_TOKEN}"}}}}
- {{name: plugin, user: {{exec: {{command: /usr/local/bin/real-secret-helper}}}}}}
""")
    contexts.write_text(f"""apiVersion: v1
kind: Config
clusters:
- {{name: prod, cluster: {{server: "https://{API_HOST}", certificate-authority-data: {host_ca}}}}}
- {{name: other, cluster: {{server: "https://other.example.org:6443", insecure-skip-tls-verify: true}}}}
contexts:
- {{name: prod, context: {{cluster: prod, user: admin, namespace: default}}}}
- {{name: other, context: {{cluster: other, user: plugin}}}}
current-context: prod
""")
    token_file = tmp_path / "kube-token"
    token_file.write_text(REAL_KUBE_TOKEN + "\n")
    token_file.chmod(0o600)
    profile = base_profile(test_ca, origin, "block-writes")
    profile["credentials"] = [{"name": "cluster", "kind": "kube", "hosts": [API_HOST], "source": {"file": str(token_file)}}]
    config_value = "sed -n 's/.*\"{key}\":[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p' ~/.kube/config | head -1"
    before = len(origin.requests())
    script = result_lines(
        ("kubeconfig", "tr -d '\\n\\t' < ~/.kube/config"),
        ("mode", "stat -c '%a %U' ~/.kube/config"),
        ("token", config_value.format(key="token")),
        ("ca", config_value.format(key="certificate-authority-data") + " | base64 -d > /tmp/kube-ca.pem"
               " && cmp -s /tmp/kube-ca.pem /askfirst/ca.pem && echo askfirst-ca"),
    ) + config_value.format(key="token") + " > /tmp/kube-token\n" + result_lines(
        ("get", f"{CURL} --cacert /tmp/kube-ca.pem -H \"Authorization: Bearer $(cat /tmp/kube-token)\""
                f" https://{API_HOST}/api/v1/namespaces/default/pods"),
    )
    run = guest(profile, script, env={"KUBECONFIG": f"{users}:{contexts}"})
    results = run.results()
    stub = results.get("token", "")
    assert len(stub) == len(REAL_KUBE_TOKEN) and stub != REAL_KUBE_TOKEN, \
        run.console + run.stderr
    assert results.get("mode") == "600 root", run.console
    assert results.get("ca") == "askfirst-ca", run.console
    kubeconfig = results.get("kubeconfig", "")
    for kept in (f'"server":"https://{API_HOST}"', '"server":"https://other.example.org:6443"', '"namespace":"default"',
                 '"current-context":"prod"'):
        assert kept in kubeconfig.replace(" ", ""), kubeconfig
    assert '"user":{}' in kubeconfig.replace(" ", ""), kubeconfig  # the plugin user: no entry covers other.example.org
    for real in (REAL_KUBE_TOKEN, host_ca[60:120],  # the cluster CA past the PEM header
                 "real-secret-helper", "insecure-skip-tls-verify"):
        assert real not in run.console, f"{real} is in the guest"
    assert results.get("get") == "200", run.console + run.stderr
    arrived = origin.requests()[before:]
    assert [(r["path"], r["authorization"]) for r in arrived] == \
        [("/api/v1/namespaces/default/pods", f"Bearer {REAL_KUBE_TOKEN}")], arrived


@pytest.mark.parametrize("host_path, guest_path", [
    ("/home/alice/project", "/home/alice/project"),
    ("/tmp/pytest-of-root/share0", "/tmp/pytest-of-root/share0"),
    ("/root/work/", "/root/work"),
    ("/work/wt/agent", "/work/wt/agent"),
    ("/home/agent/project", "/home/agent/project"),
    ("/", None), ("/home", None), ("/home/agent", None), ("/mnt", None), ("/mnt/share", None), ("/tmp", None),
    ("/root", None), ("/usr/src/project", None), ("/etc", None), ("/var/lib/x", None), ("/proc/1", None),
])
def test_the_share_appears_at_its_host_path_unless_that_would_hide_the_guests_own_folders(host_path, guest_path):
    sys.path.insert(0, str(ASKFIRST_VM.parent))
    from askfirst_tools import guest_boot
    assert guest_boot.guest_share_path(host_path) == guest_path


def test_the_cloud_init_seed_installs_the_stubs_before_the_run_script():
    sys.path.insert(0, str(ASKFIRST_VM.parent))
    from askfirst_tools import cloud_seed
    text = cloud_seed.user_data("-----BEGIN CERTIFICATE-----\n", b"#!/bin/sh\ntrue\n", b"tar bytes")
    config = json.loads(text.split("\n", 1)[1])
    assert [entry["path"] for entry in config["write_files"]] == [
        cloud_seed.STUBS_PATH, cloud_seed.INSTALLER_PATH, cloud_seed.SCRIPT_PATH]
    assert cloud_seed.INSTALLER_PATH in config["runcmd"][0][2] and "runuser" in config["runcmd"][1][2]
