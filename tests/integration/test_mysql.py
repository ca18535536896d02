"""MySQL/MariaDB read on the wire: a real mariadb client in `askfirst exec`
against a real MariaDB on loopback (database_rig.py). The server speaks
first, so each connection is recognised by its greeting after the
who-speaks-first probe (3 s). Each test checks the server's own state over
its unix socket, not through askfirst.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from database_rig import *  # noqa: F401,F403

CLIENT = "mariadb -h db.test -P 3306 -u agent -pagentpw shop -N -B"


def test_block_destructive_passes_a_select_and_refuses_drop_table(mariadb_sandbox, mariadb):
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int); "
                "insert into shop.orders values (1), (2)")
    run = mariadb_sandbox.run("block-destructive",
                              f"{CLIENT} -e 'select count(*) from orders; drop table orders; select 7'; echo status=$?")
    assert run.stdout.splitlines()[0] == "2", run.stdout + run.stderr
    assert "ERROR 1142 (42000)" in run.stderr and "askfirst refused DROP TABLE" in run.stderr, run.stderr
    assert mariadb.sql("select count(*) from shop.orders") == "2"
    decisions = [(r["provider"], r["tier"], r["decision"]) for r in run.audit]
    assert ("mysql", "read", "pass") in decisions and ("mysql", "destructive", "block") in decisions


def test_the_connection_goes_on_after_a_refusal_and_prepared_statements_are_judged(mariadb_sandbox, mariadb):
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int); "
                "insert into shop.orders values (1), (2)")
    # --force: the client goes on after an error, on the same connection
    script = (f"printf 'delete from orders;\\nprepare wipe from \"truncate orders\";\\nexecute wipe;\\n"
              f"insert into orders values (3);\\nselect count(*) from orders;\\n' | {CLIENT} --force")
    run = mariadb_sandbox.run("block-destructive", script)
    assert run.stderr.count("ERROR 1142 (42000)") >= 2, run.stderr
    assert run.stdout.split()[-1] == "3", run.stdout + run.stderr
    assert mariadb.sql("select count(*) from shop.orders") == "3"


def test_a_listed_mysql_endpoint_is_dialed_at_once_instead_of_after_the_wait(mariadb_sandbox, mariadb):
    timed = f"start=$(date +%s%N); {CLIENT} -e 'select 5'; echo elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
    listed = mariadb_sandbox.run("block-destructive", timed,
                                 extra={"databases": [{"host": "db.test", "port": 3306, "protocol": "mysql"}]})
    unlisted = mariadb_sandbox.run("block-destructive", timed)
    elapsed = {name: int(run.stdout.split("elapsed_ms=")[1].split()[0]) for name, run in
               (("listed", listed), ("unlisted", unlisted))}
    assert listed.stdout.split()[0] == "5" and unlisted.stdout.split()[0] == "5", listed.stdout + listed.stderr
    assert elapsed["unlisted"] >= 3000 and elapsed["listed"] < 2500, elapsed


@pytest.mark.parametrize("scenario", ["pipelined_after_login", "failed_change_user_then_drop",
                                      "empty_packet_shifts_prepared_texts", "long_response_wraps_the_sequence"])
def test_wire_sequences_that_desynchronized_the_session_are_judged(mariadb_sandbox, mariadb, scenario):
    # While the server authenticated (the first login, or a COM_CHANGE_USER)
    # askfirst relayed the guest's packets unread: a DROP pipelined behind the
    # handshake response ran, and after a failed COM_CHANGE_USER (the server
    # keeps the connection and the old user) every later command ran unread.
    # An empty command packet, which the server answers, was relayed as if it
    # owed no answer: its answer was taken for the next prepare's, and the
    # statement ids of pipelined prepares were remembered with the wrong texts;
    # so were they after a response of more than 256 packets, whose sequence
    # id wraps to 1 where a new response seemed to begin.
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int)")
    client = Path(__file__).resolve().parent / "mysql_wire_client.py"
    run = mariadb_sandbox.run("block-destructive", f"python3 {client} {scenario}; echo status=$?")
    # refused as the DROP it is, or as the worst an unknown statement could be
    assert "drop table orders ff askfirst refused" in run.stdout, run.stdout + run.stderr
    assert mariadb.sql("show tables in shop") == "orders"
