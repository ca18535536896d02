"""Real clients through `askfirst exec`: awscli against "RDS", kubectl against
a "Kubernetes API server" and git pushing over smart HTTP, each through
askfirstd's TLS MITM to the loopback origin of http_origin.py (names mapped
by dns.hosts + upstream.map, the origin's test CA given as tls.extra_ca).
The origin only answers enough for the clients to finish; what is tested is
askfirst's decision: each test checks what reached the origin and the audit
line, not only what the client printed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from http_origin import API_HOST, GIT_HOST, K8S_HOST, RDS_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

# Debian's awscli (tools/setup.sh), not whatever `aws` comes first on PATH
AWS_CLI = "/usr/bin/aws"
AWS = f"{AWS_CLI} --endpoint-url https://{RDS_HOST} --output json"
DELETE_DB = f"{AWS} rds delete-db-instance --db-instance-identifier prod-db-1 --skip-final-snapshot"


def need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (tools/setup.sh)")


# --- awscli ---------------------------------------------------------------

def test_aws_rds_describe_passes(sandbox):
    need(AWS_CLI)
    run = sandbox.run("block-destructive", f"{AWS} rds describe-db-instances")
    assert run.returncode == 0, run.stderr
    assert "prod-db-1" in run.stdout
    assert len(run.received) == 1
    request = run.received[0]
    assert request["method"] == "POST" and request["host"] == RDS_HOST
    assert "Action=DescribeDBInstances" in request["body"]
    assert [(r["provider"], r["tier"], r["decision"]) for r in run.audit] == [("aws", "read", "pass")], run.audit
    assert "DescribeDBInstances" in run.audit[0]["operation"]


@pytest.mark.parametrize("mode, reason", [
    ("block-destructive", "refuses destructive"),
    ("prompt-writes", "no one is listening for questions"),  # no_ui = deny decides the question
])
def test_aws_rds_delete_is_refused_with_an_access_denied_awscli_prints_and_does_not_retry(sandbox, mode, reason):
    need(AWS_CLI)
    # The rig's AWS_MAX_ATTEMPTS=1 would hide retries: allow botocore its usual attempts here.
    run = sandbox.run(mode, f"AWS_MAX_ATTEMPTS=5 {DELETE_DB}")
    assert run.returncode != 0, run.stdout
    # awscli parsed the query protocol's ErrorResponse: code and askfirst's sentence, no parse error
    printed = "An error occurred (AccessDenied) when calling the DeleteDBInstance operation: askfirst refused"
    assert printed in run.stderr and reason in run.stderr, run.stderr[-3000:]
    assert "To allow it:" in run.stderr, run.stderr[-3000:]
    assert run.received == [], "the delete reached the server"
    # one decision: botocore did not retry the AccessDenied
    assert [(r["provider"], r["tier"], r["mode"], r["decision"]) for r in run.audit] == [
        ("aws", "destructive", mode, "block")], run.audit
    assert "DeleteDBInstance" in run.audit[0]["operation"]


# One refused call per AWS wire protocol (botocore's metadata.protocol), each sent to the
# rig's AWS name: the classifier knows the service by its SigV4 scope, and the 403 must
# be in the shape that protocol's parser reads, or awscli prints a parse error instead.
AWS_PROTOCOL_CALLS = {
    "query": ("rds delete-db-instance --db-instance-identifier prod-db-1 --skip-final-snapshot",
              "AccessDenied", "DeleteDBInstance"),
    "ec2": ("ec2 terminate-instances --instance-ids i-0123456789abcdef0", "AccessDenied", "TerminateInstances"),
    "json": ("dynamodb delete-table --table-name orders", "AccessDeniedException", "DeleteTable"),
    "rest-json": ("lambda delete-function --function-name billing", "AccessDeniedException", "DeleteFunction"),
    "rest-xml (S3)": ("s3api delete-bucket --bucket backups", "AccessDenied", "DeleteBucket"),
    "rest-xml": ("route53 delete-hosted-zone --id Z0123456789", "AccessDenied", "DeleteHostedZone"),
}


@pytest.mark.parametrize("protocol", list(AWS_PROTOCOL_CALLS))
def test_each_aws_protocol_gets_a_refusal_its_parser_reads(sandbox, protocol):
    need(AWS_CLI)
    command, code, operation = AWS_PROTOCOL_CALLS[protocol]
    run = sandbox.run("block-writes", f"AWS_MAX_ATTEMPTS=5 {AWS} {command}")
    assert run.returncode != 0, run.stdout
    printed = f"An error occurred ({code}) when calling the {operation} operation: askfirst refused"
    assert printed in run.stderr, run.stderr[-3000:]
    assert run.received == [], "the call reached the server"
    assert [(r["provider"], r["decision"]) for r in run.audit] == [("aws", "block")], run.audit  # no retry


def test_aws_signature_and_keys_never_reach_the_audit_log(sandbox):
    need(AWS_CLI)
    run = sandbox.run("off", f"{AWS} rds describe-db-instances; {DELETE_DB}")
    assert len(run.received) == 2 and len(run.audit) == 2
    signed = run.received[0]["headers"]["authorization"]
    assert signed.startswith("AWS4-HMAC-SHA256")
    signature = signed.rsplit("Signature=", 1)[1]
    text = audit_path(run.name).read_text()
    for secret in (signature, "wJalrXUtnFEMI", "AWS4-HMAC-SHA256"):
        assert secret not in text


# --- kubectl --------------------------------------------------------------

def kubeconfig(folder: Path, ca: Path) -> Path:
    path = folder / "kubeconfig"
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {{server: "https://{K8S_HOST}", certificate-authority: "{ca}"}}
users:
- name: tester
  user: {{token: "k8s-secret-token-0123456789"}}
contexts:
- name: test
  context: {{cluster: test, user: tester, namespace: default}}
current-context: test
""")
    return path


def kubectl(sandbox, tmp_path: Path) -> str:
    return (f"kubectl --kubeconfig {kubeconfig(tmp_path, sandbox.askfirst_ca)} --cache-dir {tmp_path}/kcache "
            "--request-timeout 30s")


def test_kubectl_get_passes_and_delete_is_refused(sandbox, tmp_path):
    need("kubectl")
    k = kubectl(sandbox, tmp_path)
    run = sandbox.run("block-destructive", f"{k} get pods; echo get=$?; {k} delete pod x; echo delete=$?")
    assert "get=0" in run.stdout, run.stdout + run.stderr
    assert "x " in run.stdout or "\nx" in run.stdout  # the pod's name in the listing
    assert "delete=0" not in run.stdout
    assert "delete=" in run.stdout
    # kubectl parsed the Status object: its reason and askfirst's sentence
    assert "Error from server (Forbidden): askfirst refused" in run.stderr, run.stderr
    methods = [(r["method"], r["path"].split("?")[0]) for r in run.received]
    assert ("GET", "/api/v1/namespaces/default/pods") in methods
    assert all(method != "DELETE" for method, _ in methods), methods
    # kubectl's User-Agent is recognised (a /version probe is left out: the Google Cloud SDK's
    # "kubectl-dispatcher" build asks it with a plain Go User-Agent, judged generic, a read either way)
    assert {r["provider"] for r in run.audit if not r["path"].startswith("/version")} == {"kubernetes"}, run.audit
    deletes = [r for r in run.audit if r["method"] == "DELETE"]
    assert deletes and all(r["decision"] == "block" and r["tier"] == "destructive" for r in deletes), run.audit
    assert all(r["decision"] == "pass" for r in run.audit if r["method"] == "GET")
    assert "k8s-secret-token" not in audit_path(run.name).read_text()
    assert all(r["headers"].get("authorization") == "Bearer k8s-secret-token-0123456789" for r in run.received)


# --- git push over smart HTTP ---------------------------------------------

def bare_repo(root: Path, name: str) -> Path:
    repo = root / name
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "http.receivepack", "true"], check=True)
    seed = root / (name + "-seed")
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    subprocess.run(["git", "-C", str(seed), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "seed"], check=True)
    subprocess.run(["git", "-C", str(seed), "push", "-q", str(repo), "main"], check=True)
    return repo


def head_of(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True,
                          check=True).stdout.strip()


def push_script(sandbox, tmp_path: Path, name: str) -> str:
    work = tmp_path / "clone"
    return (f"export GIT_SSL_CAINFO={sandbox.askfirst_ca} GIT_TERMINAL_PROMPT=0; "
            f"git clone -q https://{GIT_HOST}/{name} {work} && echo cloned; "
            f"cd {work} && echo change > file && git add file && "
            f"git -c user.name=agent -c user.email=a@a commit -q -m change && "
            f"git push origin main; echo push=$?")


@pytest.mark.parametrize("mode, pushed", [("block-writes", False), ("off", True)])
def test_git_push_is_refused_under_block_writes(sandbox, origin, tmp_path, mode, pushed):
    need("git")
    name = f"repo-{tmp_path.name}.git"
    repo = bare_repo(origin.git_root, name)
    before = head_of(repo)
    run = sandbox.run(mode, push_script(sandbox, tmp_path, name))
    assert "cloned" in run.stdout, run.stdout + run.stderr  # fetching is a read in every mode
    receive_packs = [r for r in run.received if r["method"] == "POST" and r["path"].endswith("/git-receive-pack")]
    if pushed:  # the control: the same push through the same rig works when the mode allows it
        assert "push=0" in run.stdout, run.stderr
        assert head_of(repo) != before and len(receive_packs) == 1
    else:
        assert "push=0" not in run.stdout, run.stderr
        assert head_of(repo) == before, "the push changed the repository"
        assert receive_packs == [], "git-receive-pack reached the server"
        # git prints no body of a 403 to its POST: askfirst answers in receive-pack's own report
        # (src/http/git_push_refusal.h), which git shows as a remote message and a rejected ref
        assert "remote: askfirst refused git" in run.stderr, run.stderr
        assert "! [remote rejected] main -> main (askfirst refused" in run.stderr, run.stderr
        assert "RPC failed" not in run.stderr, run.stderr
        refused = [r for r in run.audit if r["decision"] == "block"]
        assert refused and all(r["tier"] in ("write", "destructive") for r in refused), run.audit
    assert run.torn == []


# --- GraphQL ----------------------------------------------------------------

def test_a_refused_graphql_mutation_answers_with_graphql_errors(sandbox):
    """A GraphQL client reads "errors"; gh-style clients read "message" of a non-2xx answer: the
    403 carries both, each with askfirst's sentence (src/http/http_responses.h, graphql_errors)."""
    need("curl")
    query = '{"query":"mutation { deleteProject(id: 7) { id } }"}'
    run = sandbox.run("block-writes", f"curl -s -w '\\nstatus=%{{http_code}}\\n' -H 'Content-Type: application/json' "
                                      f"--data '{query}' https://{API_HOST}/graphql")
    body, status = run.stdout.rsplit("\nstatus=", 1)
    assert status.strip() == "403", run.stdout + run.stderr
    answer = json.loads(body)
    assert answer["errors"][0]["message"].startswith("askfirst refused"), answer
    assert answer["message"] == answer["errors"][0]["message"]
    assert run.received == []
    assert [(r["path"], r["decision"]) for r in run.audit] == [("/graphql", "block")], run.audit
