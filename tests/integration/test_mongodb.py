"""MongoDB read on the wire: a real client (Debian's python3-pymongo 3.11) in
`askfirst exec` against a loopback server.

The server is a STAND-IN (mongodb_standin.py), not mongod: Debian 12 has no
MongoDB server package. The stand-in speaks the wire protocol pymongo uses
(the OP_QUERY isMaster handshake, then OP_MSG commands) and records every
command it received, so each test checks what reached the server directly,
not through askfirst.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from database_rig import DatabaseSandbox, db_ca  # noqa: F401 (a fixture)
from http_rig import askfirst_ca  # noqa: F401 (a fixture)
from mongodb_standin import MongoStandin

MONGO_HOST, MONGO_ADDRESS = "mongo.test", "198.51.100.22"
PYTHON = "/usr/bin/python3"  # Debian's, with python3-pymongo (tools/setup.sh)

# The client: one MongoClient, each step printed on its own line; a refusal is
# printed with the code and message pymongo raised, and the connection is used
# again after it.
CLIENT = textwrap.dedent("""
    import os
    import sys
    import pymongo
    from pymongo.errors import OperationFailure
    client = pymongo.MongoClient(os.environ.get("MONGO_URI", "mongodb://mongo.test:27017/"),
                                 serverSelectionTimeoutMS=30000, connectTimeoutMS=30000, socketTimeoutMS=90000)
    orders = client.shop.orders
    for step in sys.argv[1:]:
        try:
            if step == "find":
                print("found", sorted(d["sku"] for d in orders.find({"sku": "A-1"})))
            elif step == "find_all":
                print("all", sorted(d["sku"] for d in orders.find({})))
            elif step == "drop":
                orders.drop()
                print("dropped")
            elif step == "delete_many":
                print("deleted", orders.delete_many({}).deleted_count)
            elif step == "ttl_index_0":
                orders.create_index("created", expireAfterSeconds=0)
                print("indexed")
            elif step == "ttl_index_30_days":
                orders.create_index("created", expireAfterSeconds=30 * 24 * 3600)
                print("indexed")
            elif step == "insert":
                orders.insert_one({"sku": "C-3", "note": "rush order"})
                print("inserted")
        except OperationFailure as error:
            print("refused", step, error.code, error.details.get("errmsg"))
        sys.stdout.flush()
""")


@pytest.fixture(scope="module")
def mongo_standin(db_ca):
    if subprocess.run([PYTHON, "-c", "import pymongo"], capture_output=True).returncode != 0:
        pytest.skip("python3-pymongo is not installed (tools/setup.sh installs it)")
    server = MongoStandin(tls_folder=db_ca)
    yield server
    server.stop()


@pytest.fixture
def mongo_sandbox(exec_works, mongo_standin, db_ca, tmp_path):
    """mongo.test:27017 mapped to the stand-in, :27018 to its TLS port; the client script in tmp_path."""
    (tmp_path / "client.py").write_text(CLIENT)

    class MongoSandbox(DatabaseSandbox):
        def profile(self, name, mode, extra=None):
            profile = {"name": name, "modes": {"default": "off", "mongodb": mode},
                       "dns": {"hosts": {MONGO_HOST: MONGO_ADDRESS}},
                       "upstream": {"map": {f"{MONGO_ADDRESS}:27017": f"127.0.0.1:{mongo_standin.port}",
                                            f"{MONGO_ADDRESS}:27018": f"127.0.0.1:{mongo_standin.tls_port}"}},
                       "tls": {"extra_ca": [str(db_ca / "ca.pem")]},
                       "consent": {"timeout_s": 60, "no_ui": "deny"}}
            profile.update(extra or {})
            return profile

        def client(self, *steps: str) -> str:
            return f"{PYTHON} {tmp_path / 'client.py'} {' '.join(steps)}"

    return MongoSandbox(tmp_path, None, None)


ORDERS = [{"sku": "A-1"}, {"sku": "B-2"}]


def test_block_destructive_refuses_drop_and_delete_many_with_code_13_and_find_passes(mongo_sandbox, mongo_standin):
    mongo_standin.reset("shop", "orders", ORDERS)
    run = mongo_sandbox.run("block-destructive", mongo_sandbox.client("find", "drop", "delete_many", "find_all"))
    lines = run.stdout.splitlines()
    assert lines[0] == "found ['A-1']", run.stdout + run.stderr
    assert lines[1].startswith("refused drop 13 askfirst refused drop ("), run.stdout
    assert "mode block-destructive" in lines[1], lines[1]
    assert lines[2].startswith("refused delete_many 13 askfirst refused delete ("), run.stdout
    assert lines[3] == "all ['A-1', 'B-2']", run.stdout  # the same connection goes on after the refusals
    # Neither destructive command reached the server; the collection is whole.
    received = mongo_standin.commands()
    assert "find" in received and "drop" not in received and "delete" not in received, received
    assert len(mongo_standin.documents("shop", "orders")) == 2
    blocked = [r for r in run.audit if r["decision"] == "block"]
    assert [(r["provider"], r["tier"]) for r in blocked] == [("mongodb", "destructive")] * 2, blocked
    assert blocked[0]["statement"].startswith('{"drop":"orders"'), blocked[0]
    # The audit line keeps field names and drops literals: the empty filter shows, no value does.
    assert '"q":{}' in blocked[1]["statement"] and '"limit":"$' in blocked[1]["statement"], blocked[1]


def test_block_destructive_lets_an_insert_through(mongo_sandbox, mongo_standin):
    mongo_standin.reset("shop", "orders", ORDERS)
    run = mongo_sandbox.run("block-destructive", mongo_sandbox.client("insert", "find_all"))
    assert run.stdout.splitlines() == ["inserted", "all ['A-1', 'B-2', 'C-3']"], run.stdout + run.stderr
    assert "insert" in mongo_standin.commands()


def test_prompt_writes_holds_an_insert_and_shows_it_with_its_literals(mongo_sandbox, mongo_standin):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    from askfirst_tools import control
    from test_consent import answer_with_cli, next_question
    mongo_standin.reset("shop", "orders", ORDERS)
    name, process = mongo_sandbox.popen("prompt-writes", "sleep 1; " + mongo_sandbox.client("find", "insert"))
    with control.ControlClient.for_name(name, wait_seconds=20) as client:
        client.subscribe()
        question = next_question(client)
        # held while the question is open: the read went through, the insert did not
        assert "find" in mongo_standin.commands() and "insert" not in mongo_standin.commands()
        answer_with_cli(name, question["id"], "once")
    out, err = process.communicate(timeout=90)
    assert question["provider"] == "mongodb" and question["tier"] == "write", question
    assert question["detail"].startswith('{ "insert" : "orders"'), question["detail"]
    assert '"sku" : "C-3"' in question["detail"] and "rush order" in question["detail"], question["detail"]
    assert "(database shop on mongo.test)" in question["detail"], question["detail"]
    assert out.splitlines() == ["found ['A-1']", "inserted"], out + err
    assert [d["sku"] for d in mongo_standin.documents("shop", "orders")] == ["A-1", "B-2", "C-3"]


def test_tls_is_read_command_by_command_inside_it(mongo_sandbox, mongo_standin, askfirst_ca):
    """tls=true: askfirst's leaf to the client (its CA given as tlsCAFile), the stand-in's
    certificate verified upstream against the test CA; drop refused inside TLS as in plaintext."""
    mongo_standin.reset("shop", "orders", ORDERS)
    uri = f"mongodb://mongo.test:27018/?tls=true&tlsCAFile={askfirst_ca}"
    run = mongo_sandbox.run("block-destructive", f"MONGO_URI='{uri}' " + mongo_sandbox.client("find", "drop", "find_all"))
    lines = run.stdout.splitlines()
    assert lines[0] == "found ['A-1']", run.stdout + run.stderr
    assert lines[1].startswith("refused drop 13 askfirst refused drop ("), run.stdout
    assert lines[2] == "all ['A-1', 'B-2']", run.stdout
    assert "find" in mongo_standin.commands() and "drop" not in mongo_standin.commands()


def test_a_listed_mongodb_endpoint_refuses_a_flow_that_is_not_mongodb_and_reads_one_that_is(mongo_sandbox, mongo_standin):
    """databases: [{"protocol": "mongodb"}]: first bytes that are no MongoDB message are reset,
    never relayed unread (operator log event=database_refused); pymongo goes on as before."""
    mongo_standin.reset("shop", "orders", ORDERS)
    listed = {"databases": [{"host": MONGO_HOST, "port": 27017, "protocol": "mongodb"}]}
    run = mongo_sandbox.run("block-destructive",
                            f"printf 'PING\\r\\n' | nc -w 5 {MONGO_HOST} 27017; echo nc=$?; "
                            + mongo_sandbox.client("find", "drop"), extra=listed)
    assert "event=database_refused" in run.stderr and "listed in the profile's databases as mongodb" in run.stderr, \
        run.stderr
    lines = [line for line in run.stdout.splitlines() if not line.startswith("nc=")]
    assert lines[0] == "found ['A-1']" and lines[1].startswith("refused drop 13 "), run.stdout + run.stderr
    assert "drop" not in mongo_standin.commands()


def test_a_client_that_offers_compression_is_read_uncompressed(mongo_sandbox, mongo_standin):
    """compressors=zlib: the stand-in, like mongod, agrees when offered; askfirst removes the offer
    from the handshake, so every command travels uncompressed and is read (an OP_COMPRESSED would
    be judged the worst: the find would be refused too)."""
    mongo_standin.reset("shop", "orders", ORDERS)
    uri = "mongodb://mongo.test:27017/?compressors=zlib"
    run = mongo_sandbox.run("block-destructive", f"MONGO_URI='{uri}' " + mongo_sandbox.client("find", "drop", "find_all"))
    lines = run.stdout.splitlines()
    assert lines[0] == "found ['A-1']", run.stdout + run.stderr
    assert lines[1].startswith("refused drop 13 askfirst refused drop ("), run.stdout
    assert lines[2] == "all ['A-1', 'B-2']", run.stdout
    assert mongo_standin.compressed_seen == 0 and "drop" not in mongo_standin.commands()


def test_a_ttl_index_that_expires_documents_now_is_refused_and_a_long_one_passes(mongo_sandbox, mongo_standin):
    """Red team 4: createIndexes with expireAfterSeconds 0 makes mongod's TTL monitor delete every dated
    document; it was an unlisted write that block-destructive passed. A 30-day TTL is a flagged write."""
    mongo_standin.reset("shop", "orders", ORDERS)
    run = mongo_sandbox.run("block-destructive", mongo_sandbox.client("ttl_index_0", "ttl_index_30_days"))
    lines = run.stdout.splitlines()
    assert lines[0].startswith("refused ttl_index_0 13 askfirst refused createIndexes ("), run.stdout + run.stderr
    assert lines[1] == "indexed", run.stdout
    assert mongo_standin.commands().count("createIndexes") == 1, mongo_standin.commands()
    blocked = [r for r in run.audit if r["decision"] == "block"]
    assert [(r["provider"], r["tier"]) for r in blocked] == [("mongodb", "destructive")], blocked
