"""Issue 11: no sequence of handshakes by the guest gets a request to a
known provider past askfirst unread.

A client that refused askfirst's certificate once used to make every later
flow to that host an unread splice: the retry of a client that trusts only
the real server's CA then carried `DeleteDBInstance ... SkipFinalSnapshot`
through block-destructive. Here that client (curl trusting only the
origin's test CA) refuses three times and then tries the destructive AWS
request and a GitHub DELETE: nothing reaches the origin, and the audit log
says why. A host a provider claims that the profile lists in
tls.passthrough is judged as that provider's destructive tier, so a DELETE
through it is refused under block-destructive.
"""
from __future__ import annotations

import pytest

from http_origin import GITHUB_HOST, RDS_HOST
from http_rig import *  # noqa: F401,F403

DELETE_DB = "Action=DeleteDBInstance&DBInstanceIdentifier=prod-db-1&SkipFinalSnapshot=true&Version=2014-10-31"


def refuse_then_retry_script(test_ca) -> str:
    """curl trusting only the origin's CA: three refused handshakes, then the two destructive requests."""
    curl = f"curl -sS --max-time 20 --cacert {test_ca}/ca.pem -o /dev/null -w '%{{http_code}}'"
    lines = [f"{curl} https://{RDS_HOST}/ ; echo \" attempt{n}=$?\"" for n in (1, 2, 3)]
    lines.append(f"{curl} -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data '{DELETE_DB}' "
                 f"https://{RDS_HOST}/ ; echo \" delete_db=$?\"")
    lines.append(f"{curl} -X DELETE https://{GITHUB_HOST}/repos/acme/prod ; echo \" delete_repo=$?\"")
    return "\n".join(lines)


@pytest.mark.parametrize("mode", ["block-destructive", "prompt-destructive"])
def test_refusing_askfirst_certificate_never_opens_an_unread_tunnel_to_a_provider(sandbox, test_ca, mode):
    run = sandbox.run(mode, refuse_then_retry_script(test_ca), timeout=180)
    outcomes = dict(word.split("=") for line in run.lines() for word in line.split() if "=" in word)
    # Every attempt failed the handshake (curl 60: askfirst's certificate is not trusted): no splice.
    assert outcomes == {"attempt1": "60", "attempt2": "60", "attempt3": "60", "delete_db": "60",
                        "delete_repo": "60"}, run.stdout + run.stderr
    assert run.received == [], run.received
    refusals = [r for r in run.audit if r["decided_by"] == "guest"]
    assert {r["provider"] for r in refusals} == {"aws", "github"}, run.audit
    assert len(refusals) == 5, refusals
    for record in refusals:
        assert record["decision"] == "refused"
        assert "did not accept askfirst's CA" in record["reason"] and "askfirst ca" in record["reason"], record
        assert "keeps reading" in record["reason"], record
    # Nothing was judged as an opaque "tcp" flow.
    assert not [r for r in run.audit if r["provider"] == "tcp"], run.audit


def test_the_same_client_succeeds_once_it_trusts_askfirst_and_is_then_judged(sandbox, test_ca):
    """The control: with askfirst's CA trusted the requests are read, so block-destructive refuses by operation."""
    curl = "curl -sS --max-time 20 -o /dev/null -w '%{http_code}'"
    script = (f"{curl} -X POST -H 'Content-Type: application/x-www-form-urlencoded' --data '{DELETE_DB}' "
              f"https://{RDS_HOST}/ ; echo \" delete_db=$?\"\n"
              f"{curl} -X DELETE https://{GITHUB_HOST}/repos/acme/prod ; echo \" delete_repo=$?\"")
    run = sandbox.run("block-destructive", script)
    assert run.lines() == ["403 delete_db=0", "403 delete_repo=0"], run.stdout + run.stderr
    assert run.received == []
    operations = {r["operation"] for r in run.audit if r["decision"] == "block"}
    assert "rds:DeleteDBInstance" in operations, run.audit


def test_a_provider_host_listed_in_passthrough_is_judged_as_its_destructive_tier(sandbox, test_ca):
    script = (f"curl -sS --max-time 20 --cacert {test_ca}/ca.pem -o /dev/null -w '%{{http_code}}' "
              f"-X DELETE https://{GITHUB_HOST}/repos/acme/prod ; echo \" delete_repo=$?\"")
    extra_tls = {"extra_ca": [str(test_ca / "ca.pem")], "passthrough": [GITHUB_HOST]}
    run = sandbox.run("block-destructive", script, extra={"tls": extra_tls})
    assert run.received == [], run.received
    assert "delete_repo=0" not in run.stdout, run.stdout
    [record] = [r for r in run.audit if r["provider"] == "github"]
    assert record["tier"] == "destructive" and record["decision"] == "block", record
    assert "cannot read" in record["reason"], record
    # The same listing passes a read-only profile's reads? No: it may carry anything, so
    # prompt-destructive asks (no listener: consent.no_ui deny refuses it).
    run = sandbox.run("prompt-destructive", script, extra={"tls": extra_tls})
    assert run.received == [], run.received
    [record] = [r for r in run.audit if r["provider"] == "github"]
    assert record["decision"] == "block" and "asks a person" in record["reason"], record


def test_passthrough_to_a_host_no_provider_claims_still_passes_under_block_destructive(sandbox, test_ca):
    """Unclaimed hosts keep today's rule (a tcp write), so pinned apps keep working."""
    script = (f"curl -sS --max-time 20 --cacert {test_ca}/ca.pem -o /dev/null -w '%{{http_code}}' "
              f"-X DELETE https://api.http.test/things/1 ; echo \" delete=$?\"")
    run = sandbox.run("block-destructive", script,
                      extra={"tls": {"extra_ca": [str(test_ca / "ca.pem")], "passthrough": ["api.http.test"]}})
    assert run.lines() == ["200 delete=0"], run.stdout + run.stderr
    assert [r["method"] for r in run.received] == ["DELETE"]
    [record] = [r for r in run.audit if r["provider"] == "tcp"]
    assert record["decision"] == "pass", record


def test_a_listed_sni_sent_to_an_address_not_resolved_for_it_is_not_passed_through(sandbox, test_ca):
    """The guest chooses its SNI. With api.http.test listed for passthrough, a client that
    dials an address without looking the listed name up through askfirst (curl --resolve: the
    address could be a cloud API's, typed in) and speaks to it with `Host: rds...` must not be
    spliced unread: the flow is intercepted, the client (trusting only the real CA) refuses it,
    and the DeleteDBInstance never reaches the origin."""
    address = sandbox.profile("x", "off")["dns"]["hosts"]["api.http.test"]
    script = (f"curl -sS --max-time 20 --cacert {test_ca}/ca.pem --resolve api.http.test:443:{address} "
              f"-o /dev/null -w '%{{http_code}}' -H 'Host: {RDS_HOST}' "
              f"-H 'Content-Type: application/x-www-form-urlencoded' --data '{DELETE_DB}' "
              f"https://api.http.test/ ; echo \" smuggled=$?\"")
    run = sandbox.run("block-destructive", script,
                      extra={"tls": {"extra_ca": [str(test_ca / "ca.pem")], "passthrough": ["api.http.test"]}})
    assert run.received == [], run.received
    assert "smuggled=60" in run.stdout, run.stdout + run.stderr
