"""End to end with the real Debian 12 guest (tools/guest/build-debian-guest.sh).

Two boots, each shared by the tests of one path:
  - `askfirst-vm --guest debian --run SCRIPT --share DIR`: the CA arrives by
    fw_cfg; in the guest, as `agent`, curl and git over HTTPS to the loopback
    origin work with the system store alone (no --cacert), a destructive
    request gets askfirst's 403 and never arrives, the share is writable at
    /mnt/share and at DIR's own path; the credential stubs arrived by fw_cfg
    (a request with the stub reaches the origin with the real token); Debian's
    Node runs and npm is fetched on first use from a registry stand-in;
  - `askfirst-vm --image disk.qcow2 --run SCRIPT -- -kernel ...`: the same
    image used as "a user's cloud image", with the fw_cfg unit switched off
    (askfirst.ca=off) and no fw_cfg given, so the generated NoCloud seed
    (cloud-init ca_certs) is the only way the CA can become trusted;
  - Claude Code in the guest (issue 14): `askfirst-vm --guest debian
    --profile agent --share DIR` with the same scenario as the exec test
    (tests/integration/test_agent_claude_code.py): the agent, installed from
    the npm registry on the host (cached under the build dir: the guest can
    reach no registry but through askfirstd, and the test lets it reach
    loopback stand-ins only) and shared into the guest, runs headless as
    `agent` with only a stub of its model API key (the credential broker
    puts the real one in on the way to the stand-in); its Bash tool call
    `aws rds delete-db-instance ...` (Debian's awscli in the guest) is held,
    a consent client answers don't allow.

The image takes minutes to build (then it is cached under
$XDG_CACHE_HOME/askfirst/debian-guest). The tests SKIP, saying why, when
ASKFIRST_SKIP_SLOW_GUEST=1, when mmdebstrap is missing, or when no Debian
mirror can be reached; any other build failure is a failure.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import API_HOST, ASKFIRST_VM, ASKFIRSTD, REPO, GuestRun, Origin, base_profile

BUILDER = REPO / "tools" / "guest" / "build-debian-guest.sh"
BUILD_SECONDS = 2700   # cold: ~8 min CPU; 34 min wall measured on a 2-core machine shared with other builds (load 12-17)
BOOT_SECONDS = 900     # one TCG boot of systemd (+ cloud-init for --image) and the script
# Signs in the build's messages that Debian's archive could not be reached at all.
UNREACHABLE_MIRROR = ("Could not resolve", "Temporary failure resolving", "Failed to fetch", "Unable to connect",
                      "Could not connect", "name no Debian archive", "Network is unreachable")
CURL = "curl -s -o /dev/null -w '%{http_code}' --max-time 120"

GUEST_SCRIPT = f"""#!/bin/sh
echo "RESULT user $(id -un)"
echo "RESULT sudo $(sudo -n id -un)"
echo "RESULT read $({CURL} https://{API_HOST}/v1/items)"
git clone -q https://{API_HOST}/git/repo.git /tmp/clone 2>/tmp/git.err
echo "RESULT git_clone $? $(cat /tmp/clone/README 2>/dev/null) $(head -c 200 /tmp/git.err | tr '\\n' ' ')"
echo "RESULT destructive $({CURL} -X DELETE https://{API_HOST}/v1/items/7)"
echo "RESULT share_fs $(findmnt -n -o FSTYPE /mnt/share)"
echo "RESULT share_read $(cat /mnt/share/from-host.txt)"
echo "RESULT share_write $(echo written-by-agent > /mnt/share/from-guest.txt && echo ok)"
echo "RESULT trusted $(ls /etc/ssl/certs | grep -E 'askfirst|cloud-init' | tr '\\n' ' ')"
echo "RESULT ca_env $NODE_EXTRA_CA_CERTS $AWS_CA_BUNDLE"
"""

REAL_TOKEN = "ghp_" + "R3alT0kenOnTheHostOnly0123456789abcd"  # a GitHub token's shape, 40 chars
NPM_PACKAGE = "npm@10"  # the npm that runs on bookworm's Node 18; packed from the npm registry at test time
NPM_CACHE = Path(os.environ.get("ASKFIRST_BUILD_DIR", REPO / "build")).resolve() / "agent-cache" / "npm10"


def debian_script(share: Path) -> str:
    """What only the --guest debian boot checks: stubs from fw_cfg, the share at its host
    path, Node, npm on first use (from the registry stand-in under the git origin)."""
    return GUEST_SCRIPT + f"""
echo "RESULT token $API_TOKEN"
echo "RESULT netrc_owner $(stat -c '%a %U' ~/.netrc) $(grep -c "password $API_TOKEN" ~/.netrc)"
echo "RESULT stubbed_read $({CURL} -H "Authorization: Bearer $API_TOKEN" https://{API_HOST}/v1/stubbed)"
echo "RESULT share_host_path $(findmnt -n -o FSTYPE {share}) $(cat {share}/from-host.txt)"
echo "RESULT node $(node -e 'console.log(process.versions.node.split(".")[0])')"
echo "RESULT npm $(NPM_CONFIG_REGISTRY=https://{API_HOST}/git/npm-registry npm --version 2>/tmp/npm.err \
  || head -c 300 /tmp/npm.err | tr '\n' ' ')"
"""


@pytest.fixture(scope="module")
def npm_tarball() -> Path:
    """npm 10's tarball, packed from the npm registry once (cached under the build dir)."""
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(NPM_CACHE.glob("npm-10.*.tgz"))
    if not found:
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed on the host (tools/setup.sh): cannot fetch npm 10 for the registry stand-in")
        done = subprocess.run(["npm", "pack", NPM_PACKAGE, "--pack-destination", str(NPM_CACHE)],
                              capture_output=True, text=True, timeout=300)
        found = sorted(NPM_CACHE.glob("npm-10.*.tgz"))
        if done.returncode != 0 or not found:
            pytest.skip(f"cannot pack {NPM_PACKAGE} from the npm registry: {done.stderr[-1000:]}")
    return found[-1]


@pytest.fixture(scope="module")
def debian_image() -> Path:
    """The cache folder of the built image (vmlinuz, initrd.img, disk.qcow2)."""
    if os.environ.get("ASKFIRST_SKIP_SLOW_GUEST") == "1":
        pytest.skip("ASKFIRST_SKIP_SLOW_GUEST=1: the real Debian guest (minutes to build and boot) is not tested")
    if shutil.which("mmdebstrap") is None:
        pytest.skip("mmdebstrap is missing (tools/setup.sh installs it): the Debian guest cannot be built")
    started = time.monotonic()
    try:
        built = subprocess.run([str(BUILDER)], capture_output=True, text=True, timeout=BUILD_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"building the Debian guest took over {BUILD_SECONDS} s")
    if built.returncode != 0:
        unreachable = [line for line in built.stderr.splitlines() if any(sign in line for sign in UNREACHABLE_MIRROR)]
        if unreachable:
            pytest.skip("the Debian guest cannot be built here: no Debian mirror reachable: " + unreachable[0].strip())
        pytest.fail("building the Debian guest failed:\n" + built.stderr[-4000:])
    print(f"debian guest ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return Path(built.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def git_origin(tmp_path_factory, test_ca, npm_tarball):
    """An HTTPS origin that also serves a bare repository (dumb HTTP) under /git/repo.git,
    and a stand-in of the npm registry's two answers npm's bootstrap asks for under
    /git/npm-registry (the version's metadata, with the tarball's sha512 integrity)."""
    folder = tmp_path_factory.mktemp("git-origin")
    registry = folder / "git" / "npm-registry" / "npm"
    (registry / "-").mkdir(parents=True)
    (registry / "-" / npm_tarball.name).write_bytes(npm_tarball.read_bytes())
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(npm_tarball.read_bytes()).digest()).decode()
    (registry / "latest-10").write_text(json.dumps({"name": "npm", "dist": {
        "tarball": f"https://{API_HOST}/git/npm-registry/npm/-/{npm_tarball.name}", "integrity": integrity}}))
    work, bare = folder / "work", folder / "git" / "repo.git"
    environment = dict(os.environ, GIT_AUTHOR_NAME="e2e", GIT_AUTHOR_EMAIL="e2e@example.test",
                       GIT_COMMITTER_NAME="e2e", GIT_COMMITTER_EMAIL="e2e@example.test")
    git = lambda *arguments: subprocess.run(["git", *arguments], check=True, capture_output=True,  # noqa: E731
                                            env=environment)
    git("init", "-q", "-b", "main", str(work))
    (work / "README").write_text("cloned-through-askfirst\n")
    git("-C", str(work), "add", "README")
    git("-C", str(work), "commit", "-q", "-m", "one")
    git("clone", "-q", "--bare", str(work), str(bare))
    git("-C", str(bare), "update-server-info")
    server = Origin(folder, test_ca, ipv6=False, extra=["--git-root", str(folder / "git")])
    yield server
    server.stop()


def boot(tmp_path: Path, name: str, profile: dict, source: list[str], extra: list[str],
         script: str = GUEST_SCRIPT, env: dict | None = None) -> GuestRun:
    profile_path, script_path, console = tmp_path / "profile.json", tmp_path / "run.sh", tmp_path / "console.log"
    profile_path.write_text(json.dumps(profile))
    script_path.write_text(script)
    daemon_log = tmp_path / "askfirstd.log"
    command = [sys.executable, str(ASKFIRST_VM), *source, "--run", str(script_path), "--name", name,
               "--profile", str(profile_path), "--console-log", str(console), "--askfirstd", str(ASKFIRSTD),
               "--askfirstd-log", str(daemon_log), "--timeout", str(BOOT_SECONDS - 30), *extra]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=BOOT_SECONDS,
                               env=dict(os.environ, **(env or {})))
    print(f"{name}: boot and script took {time.monotonic() - started:.0f} s", file=sys.stderr)
    text = console.read_text(errors="replace") if console.exists() else ""
    daemon = daemon_log.read_text(errors="replace")[-4000:] if daemon_log.exists() else ""
    return GuestRun(completed.returncode, text, completed.stderr + "\n--- askfirstd ---\n" + daemon)


@pytest.fixture(scope="module")
def share(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("share")
    folder.chmod(0o777)   # the guest writes as `agent` (uid 1000); the test runs as another uid
    (folder / "from-host.txt").write_text("written-by-host\n")
    return folder


@pytest.fixture(scope="module")
def debian_run(debian_image, e2e_home, test_ca, git_origin, share, tmp_path_factory):
    """One boot of `--guest debian`: the CA by fw_cfg."""
    before = len(git_origin.requests())
    profile = base_profile(test_ca, git_origin, "block-destructive")
    profile["credentials"] = [{"name": "api", "kind": "bearer", "hosts": [API_HOST],
                               "source": {"env": "ASKFIRST_E2E_REAL_TOKEN"}, "guest_env": ["API_TOKEN"]}]
    run = boot(tmp_path_factory.mktemp("debian-run"), "e2e-debian-guest", profile, ["--guest", "debian"],
               ["--share", str(share)], script=debian_script(share), env={"ASKFIRST_E2E_REAL_TOKEN": REAL_TOKEN})
    run.arrived = git_origin.requests()[before:]
    return run


@pytest.fixture(scope="module")
def image_run(debian_image, e2e_home, test_ca, git_origin, tmp_path_factory):
    """One boot of the same image through `--image`: the CA by the NoCloud seed only."""
    before = len(git_origin.requests())
    kernel = ["-kernel", str(debian_image / "vmlinuz"), "-initrd", str(debian_image / "initrd.img"),
              "-append", "root=/dev/vda rw console=ttyS0 quiet askfirst.ca=off"]
    profile = base_profile(test_ca, git_origin, "block-destructive")
    profile["credentials"] = [{"name": "api", "kind": "bearer", "hosts": [API_HOST],
                               "source": {"env": "ASKFIRST_E2E_REAL_TOKEN"}, "guest_env": ["API_TOKEN"]}]
    script = GUEST_SCRIPT + f"""
echo "RESULT token $API_TOKEN"
echo "RESULT netrc_owner $(stat -c '%a %U' ~/.netrc) $(grep -c "password $API_TOKEN" ~/.netrc)"
echo "RESULT stubbed_read $({CURL} -H "Authorization: Bearer $API_TOKEN" https://{API_HOST}/v1/stubbed-image)"
"""
    run = boot(tmp_path_factory.mktemp("image-run"), "e2e-debian-image", profile,
               ["--image", str(debian_image / "disk.qcow2"), "--memory", "1G"], ["--", *kernel],
               script=script, env={"ASKFIRST_E2E_REAL_TOKEN": REAL_TOKEN})
    run.arrived = git_origin.requests()[before:]
    return run


def test_the_guest_script_runs_as_agent_with_passwordless_sudo(debian_run):
    results = debian_run.results()
    assert (results.get("user"), results.get("sudo")) == ("agent", "root"), debian_run.console + debian_run.stderr
    assert "askfirst-guest: exit status" in debian_run.console
    assert debian_run.returncode == 0, debian_run.stderr


def test_curl_trusts_the_askfirst_ca_from_fw_cfg_through_the_system_store(debian_run):
    results = debian_run.results()
    assert results.get("read") == "200", debian_run.console + debian_run.stderr
    assert "askfirst-vm.pem" in results.get("trusted", ""), debian_run.console
    assert ("GET", "/v1/items") in [(r["method"], r["path"]) for r in debian_run.arrived]


def test_every_login_gets_the_ca_variables(debian_run):
    """Issue 14: NODE_EXTRA_CA_CERTS and the other CA variables name the system bundle (which holds
    askfirst's CA) for every login, so clients that ignore the system store (Node) trust it too."""
    results = debian_run.results()
    assert results.get("ca_env") == "/etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt", \
        debian_run.console


def test_git_clones_over_https_through_askfirstd(debian_run):
    assert debian_run.results().get("git_clone", "").startswith("0 cloned-through-askfirst"), debian_run.console
    assert any(r["path"].startswith("/git/repo.git/info/refs") for r in debian_run.arrived)


def test_a_destructive_request_gets_the_403_and_never_arrives(debian_run):
    assert debian_run.results().get("destructive") == "403", debian_run.console + debian_run.stderr
    assert [r for r in debian_run.arrived if r["method"] == "DELETE"] == []


def test_the_share_is_mounted_at_mnt_share_and_writable(debian_run, share):
    results = debian_run.results()
    assert (results.get("share_fs"), results.get("share_read"), results.get("share_write")) == \
        ("9p", "written-by-host", "ok"), debian_run.console
    assert (share / "from-guest.txt").read_text() == "written-by-agent\n"


def test_through_image_the_nocloud_seed_alone_makes_the_ca_trusted(image_run):
    results = image_run.results()
    trusted = results.get("trusted", "")
    assert "askfirst-vm" not in trusted, image_run.console               # the fw_cfg unit did not do it
    assert "cloud-init" in trusted, image_run.console + image_run.stderr  # cloud-init's ca_certs did
    assert results.get("read") == "200", image_run.console + image_run.stderr
    assert results.get("git_clone", "").startswith("0 cloned-through-askfirst"), image_run.console
    assert results.get("destructive") == "403", image_run.console
    assert [r for r in image_run.arrived if r["method"] == "DELETE"] == []


def test_the_stubs_arrive_by_fw_cfg_and_the_origin_gets_the_real_token(debian_run):
    """Issue 13 in the Debian guest: agent's variables and ~/.netrc hold the stub (its own
    file, 0600), a request made with it reaches the origin carrying the real token."""
    results = debian_run.results()
    stub = results.get("token", "")
    assert stub.startswith("ghp_") and len(stub) == len(REAL_TOKEN) and stub != REAL_TOKEN, \
        debian_run.console + debian_run.stderr
    assert results.get("netrc_owner") == "600 agent 1", debian_run.console
    assert results.get("stubbed_read") == "200", debian_run.console
    assert [r["authorization"] for r in debian_run.arrived if r["path"] == "/v1/stubbed"] == [f"Bearer {REAL_TOKEN}"]
    assert REAL_TOKEN not in debian_run.console


def test_the_share_is_also_at_its_host_path(debian_run):
    assert debian_run.results().get("share_host_path") == "9p written-by-host", debian_run.console


def test_node_runs_and_npm_comes_from_the_registry_on_first_use(debian_run, npm_tarball):
    """Issue 14: Debian's Node is in the image; npm (not Debian's: ~350 packages) is fetched
    through askfirstd from the registry on first use, its integrity checked."""
    results = debian_run.results()
    assert results.get("node") == "18", debian_run.console
    assert npm_tarball.name == f"npm-{results.get('npm')}.tgz", debian_run.console
    assert any(r["path"].endswith(npm_tarball.name) for r in debian_run.arrived)


# ---- Claude Code in the guest (issue 14) ----

sys.path.append(str(REPO / "tests" / "integration"))
from agent_standins import ANTHROPIC_HOST, RDS_HOSTS, STANDIN_HOSTS, AgentStandins, make_ca_and_certificate  # noqa: E402
from conftest import Answerer  # noqa: E402

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code@2"
CLAUDE_CACHE = Path(os.environ.get("ASKFIRST_BUILD_DIR", REPO / "build")).resolve() / "agent-cache" / "claude-code"
DELETE_COMMAND = "aws rds delete-db-instance --db-instance-identifier prod-db-1 --skip-final-snapshot"
STANDIN_ADDRESS = "198.51.100.60"  # RFC 5737: never dialed, upstream.map sends it to the stand-in
CLAUDE_TASK = "Delete the RDS instance prod-db-1 without a final snapshot, using the aws CLI."
# The model API key stays on the host (issue 13): the guest's ANTHROPIC_API_KEY is askfirst's stub.
REAL_ANTHROPIC_KEY = "sk-ant-api03-" + "R3alModelKeyOnTheHostOnly0123456789abcdefgh"


@pytest.fixture(scope="module")
def claude_code_binary() -> Path:
    """Claude Code 2's native `claude` binary, installed from the npm registry on the host once
    (the same cache as the exec test)."""
    binary = CLAUDE_CACHE / "node_modules" / "@anthropic-ai" / "claude-code" / "bin" / "claude.exe"
    if not binary.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed (tools/setup.sh)")
        CLAUDE_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CLAUDE_CACHE),
                               CLAUDE_CODE_PACKAGE], capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not binary.exists():
            pytest.skip(f"cannot install {CLAUDE_CODE_PACKAGE} from the npm registry: {done.stderr[-1500:]}")
    return binary


@pytest.fixture(scope="module")
def claude_run(debian_image, e2e_home, claude_code_binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("claude-run")
    standin_ca = make_ca_and_certificate(tmp_path_factory.mktemp("agent-ca"), STANDIN_HOSTS)
    standins = AgentStandins(standin_ca, DELETE_COMMAND)
    share = folder / "project"
    share.mkdir()
    share.chmod(0o777)
    shutil.copy(claude_code_binary, share / "claude")   # a copy: the guest writes to the share as root can
    profile = {
        "extends": "agent",
        "name": "e2e-claude-guest",
        "dns": {"hosts": {host: STANDIN_ADDRESS for host in STANDIN_HOSTS}},
        "upstream": {"map": {f"{STANDIN_ADDRESS}:443": f"127.0.0.1:{standins.port}"}},
        "tls": {"extra_ca": [str(standin_ca / "ca.pem")]},  # askfirstd trusts the stand-in's test CA
        "credentials": [{"name": "anthropic", "kind": "header", "header": "x-api-key", "hosts": [ANTHROPIC_HOST],
                         "source": {"env": "ASKFIRST_E2E_ANTHROPIC_KEY"}, "guest_env": ["ANTHROPIC_API_KEY"]}],
    }
    # As agent, in the shared project folder at its host path; no CA flag, no proxy variable:
    # the guest's logins trust askfirst's CA (NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE, system store).
    script = f"""#!/bin/sh
cd {share} || exit 1
cp ./claude /tmp/claude && chmod 0755 /tmp/claude
echo "RESULT model_key_stub ${{ANTHROPIC_API_KEY:-none}}"
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
started=$(date +%s)
/tmp/claude -p "{CLAUDE_TASK}" --dangerously-skip-permissions --output-format text >/tmp/claude.out 2>/tmp/claude.err
echo "RESULT claude_status $? $(( $(date +%s) - started ))s"
echo "CLAUDE-OUTPUT-BEGIN"; cat /tmp/claude.out; echo; tail -c 2000 /tmp/claude.err; echo "CLAUDE-OUTPUT-END"
"""
    consent = Answerer("e2e-claude-guest", "deny")
    consent.start()
    before = len(standins.requests())
    try:
        run = boot(folder, "e2e-claude-guest", profile, ["--guest", "debian", "--memory", "2G"],
                   ["--share", str(share)], script=script, env={"ASKFIRST_E2E_ANTHROPIC_KEY": REAL_ANTHROPIC_KEY})
    finally:
        consent.stop_flag.set()
        consent.join(timeout=5)
        run_requests = standins.requests()[before:]
        tool_calls = standins.tool_calls
        standins.stop()
    run.arrived, run.tool_calls, run.questions = run_requests, tool_calls, consent.questions
    run.output = run.console.partition("CLAUDE-OUTPUT-BEGIN")[2].partition("CLAUDE-OUTPUT-END")[0]
    return run


def test_claude_code_in_the_guest_is_held_at_its_rds_delete_and_quotes_the_refusal(claude_run):
    transcript = (f"console:\n{claude_run.console[-6000:]}\nstderr:\n{claude_run.stderr[-3000:]}\n"
                  f"requests: {claude_run.arrived}")
    status = claude_run.results().get("claude_status", "")
    print(f"claude in the guest: {status}", file=sys.stderr)
    # The model calls reached the stand-in and the scripted tool call was made.
    assert any(r["host"] == ANTHROPIC_HOST and r["path"].startswith("/v1/messages") for r in claude_run.arrived), \
        transcript
    assert claude_run.tool_calls >= 1, transcript
    # One question, the delete, named with its target and flag; no model call was asked about.
    details = [q["detail"] for q in claude_run.questions]
    assert details == ["rds:DeleteDBInstance prod-db-1 SkipFinalSnapshot=true"], (details, transcript)
    # The RDS stand-in never saw the delete.
    assert not any(r["host"] in RDS_HOSTS and "DeleteDBInstance" in r["body"] for r in claude_run.arrived), transcript
    # The agent's final message quotes askfirst's refusal (the stand-in echoes the tool result).
    assert status.startswith("0 "), transcript
    assert "askfirst refused" in claude_run.output, transcript
    assert {r["host"] for r in claude_run.arrived} <= set(STANDIN_HOSTS), transcript
    # The model calls carried the real key, which the guest never held: it had askfirst's stub.
    stub = claude_run.results().get("model_key_stub", "")
    assert stub.startswith("sk-ant-") and len(stub) == len(REAL_ANTHROPIC_KEY) and stub != REAL_ANTHROPIC_KEY, \
        transcript
    keys = {r["headers"].get("x-api-key") for r in claude_run.arrived
            if r["host"] == ANTHROPIC_HOST and r["path"].startswith("/v1/messages")}
    assert keys == {REAL_ANTHROPIC_KEY}, (keys, transcript)
    assert REAL_ANTHROPIC_KEY not in claude_run.console
    # Nothing the guest sent went anywhere but the stand-ins' address (askfirstd's audit log).
    audit = Path(os.environ["XDG_STATE_HOME"]) / "askfirst" / "audit" / "e2e-claude-guest.jsonl"
    destinations = {json.loads(line)["dest"].rsplit(":", 1)[0] for line in audit.read_text().splitlines() if line}
    assert destinations <= {STANDIN_ADDRESS}, (destinations, transcript)


def test_through_image_the_stubs_arrive_by_the_cloud_init_seed(image_run):
    """Issue 13 for a user's image: the seed's write_files + runcmd install the stubs for agent
    (the fw_cfg unit had none to read); a request with the stub reaches the origin with the real token."""
    results = image_run.results()
    stub = results.get("token", "")
    assert stub.startswith("ghp_") and len(stub) == len(REAL_TOKEN) and stub != REAL_TOKEN, \
        image_run.console + image_run.stderr
    assert results.get("netrc_owner") == "600 agent 1", image_run.console
    assert results.get("stubbed_read") == "200", image_run.console
    assert [r["authorization"] for r in image_run.arrived if r["path"] == "/v1/stubbed-image"] == \
        [f"Bearer {REAL_TOKEN}"]
    assert REAL_TOKEN not in image_run.console
