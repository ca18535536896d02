"""Requests judged as the server reads them, on real traffic: curl in an
`askfirst exec` sandbox, through askfirstd's MITM, to the loopback origin,
under block-destructive. Each sends a destructive request in a shape the
server runs but a classifier once judged a write (passed under
block-destructive): a GraphQL mutation sent as text/plain or url-encoded, a
mutation in the URL of a POST whose JSON body reads (express-graphql takes
the URL's). Each must be refused with a 403 and never reach the origin.
"""
from __future__ import annotations

import json

from http_origin import API_HOST
from http_rig import *  # noqa: F401,F403 (fixtures)

MUTATION = '{"query":"mutation { deleteProject(id: 1) { id } }"}'
URL_MUTATION = "query=mutation%7BdeleteProject(id%3A1)%7Bid%7D%7D"

# (name, curl arguments after the URL's scheme and host)
CASES = [
    ("graphql as text/plain", f"-H 'Content-Type: text/plain' --data '{MUTATION}' https://{API_HOST}/graphql"),
    ("graphql url-encoded", f"--data '{URL_MUTATION}' https://{API_HOST}/graphql"),
    ("graphql mutation in the URL of a read POST",
     f"-H 'Content-Type: application/json' --data '{{\"query\":\"{{ projects {{ id }} }}\"}}' "
     f"'https://{API_HOST}/graphql?{URL_MUTATION}'"),
]


def test_destructive_requests_in_server_shapes_are_refused(sandbox):
    script = "\n".join(f"rm -f /tmp/body.$$; curl -sS --max-time 30 -o /tmp/body.$$ -w '%{{http_code}} ' {args}; cat /tmp/body.$$; echo"
                       for _name, args in CASES)
    run = sandbox.run("block-destructive", script)
    assert run.returncode == 0, run.stderr
    lines = run.lines()
    assert len(lines) == len(CASES), run.stdout + run.stderr
    for (name, _args), line in zip(CASES, lines):
        status, _, body = line.partition(" ")
        assert status == "403", (name, line, run.stderr)
        refusal = json.loads(body)  # GraphQL's own error shape
        assert "deleteProject" in refusal["errors"][0]["message"], (name, refusal)
    assert run.received == [], run.received
    assert [(r["tier"], r["decision"]) for r in run.audit] == [("destructive", "block")] * len(CASES), run.audit


# gRPC-Web and Connect name the method as gRPC does; a front end (Envoy, a
# Connect server) runs it. Judged only as a generic POST, a DeleteTopic was
# a write and passed block-destructive.
RPC_TYPES = ["application/grpc-web+proto", "application/grpc-web-text", "application/connect+proto",
             "application/proto"]


def test_grpc_web_and_connect_calls_are_judged_by_their_method(sandbox):
    script = "\n".join(f"curl -sS --http1.1 --max-time 30 -o /dev/null -w '%{{http_code}}\\n' -H 'Content-Type: {t}' "
                       f"--data-binary x https://{API_HOST}/acme.pubsub.v1.Publisher/DeleteTopic" for t in RPC_TYPES)
    run = sandbox.run("block-destructive", script)
    assert run.returncode == 0, run.stderr
    assert run.received == [], run.received
    assert [(r["tier"], r["decision"]) for r in run.audit] == [("destructive", "block")] * len(RPC_TYPES), run.audit


# A field the classifiers read as one value, sent twice: the first copy was
# judged (a JSON-typed GraphQL read, a DescribeTable target) while a server
# taking the last runs another operation. Refused before it is judged, on
# HTTP/1.1 (400) and HTTP/2 (the stream reset).
def test_repeated_single_value_fields_are_refused(sandbox):
    doubled = [
        ("-H 'Content-Type: application/graphql' -H 'Content-Type: application/json' "
         f"--data '{MUTATION}' https://{API_HOST}/graphql"),
        ("-H 'X-Amz-Target: DynamoDB_20120810.DescribeTable' -H 'X-Amz-Target: DynamoDB_20120810.DeleteTable' "
         f"--data '{{}}' https://{API_HOST}/"),
    ]
    script = "\n".join(f"curl -sS {version} --max-time 30 -o /dev/null -w '%{{http_code}}\\n' {args}"
                       for version in ("--http1.1", "--http2") for args in doubled)
    run = sandbox.run("block-destructive", script)
    statuses = run.lines()
    assert statuses[:2] == ["400", "400"], run.stdout + run.stderr
    assert all(status != "200" for status in statuses[2:]), run.stdout + run.stderr
    assert run.received == [], run.received
