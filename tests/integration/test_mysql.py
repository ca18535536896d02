"""MySQL/MariaDB read on the wire: a real mariadb client in `askfirst exec`
against a real MariaDB on loopback (database_rig.py). The server speaks
first, so each connection is recognised by its greeting after the
who-speaks-first probe (tls::kServerSpeaksFirstTimeout of guest silence). Each test checks the server's own state over
its unix socket, not through askfirst.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from database_rig import *  # noqa: F401,F403
from http_rig import askfirst_ca  # noqa: F401

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


# From the guest's connect to the server's greeting, measured in the sandbox.
GREETING_TIME = ("python3 -c \"import socket, time; start = time.monotonic(); "
                 "s = socket.create_connection(('db.test', 3306)); greeting = s.recv(1024); "
                 "print('greeting_ms=%d version=%d' % ((time.monotonic() - start) * 1000, greeting[4]))\"")


def greeting_ms(run) -> int:
    assert "version=10" in run.stdout, run.stdout + run.stderr  # a HandshakeV10 reached the guest
    return int(run.stdout.split("greeting_ms=")[1].split()[0])


def test_an_unlisted_mysql_server_greets_the_guest_within_a_second(mariadb_sandbox, mariadb):
    """The server speaks first: askfirstd learns that only once it dials (the who-speaks-first
    probe after tls::kServerSpeaksFirstTimeout of guest silence). It used to wait 3 s per connection."""
    elapsed = greeting_ms(mariadb_sandbox.run("block-destructive", GREETING_TIME))
    assert elapsed < 1000, elapsed


def test_a_listed_mysql_endpoint_is_dialed_at_once(mariadb_sandbox, mariadb):
    listed = mariadb_sandbox.run("block-destructive", GREETING_TIME + f"; {CLIENT} -e 'select 5'",
                                 extra={"databases": [{"host": "db.test", "port": 3306, "protocol": "mysql"}]})
    assert greeting_ms(listed) < 1000
    assert listed.stdout.split()[-1] == "5", listed.stdout + listed.stderr


def test_tls_with_askfirsts_ca_verified_reads_pass_and_drop_table_is_refused_inside(mariadb_sandbox, mariadb,
                                                                                     askfirst_ca):
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int); "
                "insert into shop.orders values (1), (2)")
    tls = f"--ssl --ssl-ca={askfirst_ca} --ssl-verify-server-cert"
    # Ssl_cipher is the server's view of its session: askfirstd's connection to it is TLS too
    script = (f"{CLIENT} {tls} -e \"show session status like 'Ssl_cipher'; "
              f"select count(*) from orders; drop table orders; select 7\"; echo status=$?")
    run = mariadb_sandbox.run("block-destructive", script)
    assert "Ssl_cipher\t" in run.stdout and "Ssl_cipher\t\n" not in run.stdout + "\n", run.stdout + run.stderr
    assert run.stdout.splitlines()[1] == "2", run.stdout + run.stderr
    assert "ERROR 1142 (42000)" in run.stderr and "askfirst refused DROP TABLE" in run.stderr, run.stderr
    assert mariadb.sql("select count(*) from shop.orders") == "2"
    decisions = [(r["provider"], r["tier"], r["decision"]) for r in run.audit]
    assert ("mysql", "read", "pass") in decisions and ("mysql", "destructive", "block") in decisions


def test_tls_to_a_server_askfirst_cannot_verify_is_not_relayed(mariadb_sandbox, mariadb, askfirst_ca):
    """The upstream's certificate is checked as for HTTPS: without the test CA in tls.extra_ca the
    connection ends before the client's credentials reach the server."""
    tls = f"--ssl --ssl-ca={askfirst_ca} --ssl-verify-server-cert"
    run = mariadb_sandbox.run("block-destructive", f"{CLIENT} {tls} -e 'select 5'; echo status=$?",
                              extra={"tls": {"extra_ca": []}})
    assert "status=0" not in run.stdout and not run.stdout.startswith("5"), run.stdout + run.stderr
    # askfirstd's operator line says why (the client reports a failed handshake in its own words)
    assert "upstream_tls_failed host=db.test:3306" in run.stderr and "is not valid" in run.stderr, run.stderr


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


def test_a_login_sent_blind_before_the_greeting_is_not_relayed_unread(mariadb_sandbox, mariadb):
    """A guest that speaks first on MySQL's port (db.test:3306, not listed in the profile): its
    handshake response and a DROP arrive before the server's greeting, so first-bytes detection
    sees no protocol it reads. Relayed as an opaque "tcp" write (which block-destructive passes),
    the server took them as the login and the first command, and the DROP ran. On MySQL's own
    port such a flow is reset."""
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int); "
                "drop user if exists blind@'%'; create user blind@'%'; grant all on shop.* to blind@'%'")
    client = Path(__file__).resolve().parent / "mysql_wire_client.py"
    run = mariadb_sandbox.run("block-destructive", f"python3 {client} blind_login_then_drop; echo status=$?")
    assert "drop table orders 00" not in run.stdout, run.stdout + run.stderr
    # Which comes first is a race: the blind bytes (then the flow is reset as
    # not MySQL) or the server's greeting (then the session reads the blind
    # login and refuses the DROP). Either way askfirst said why.
    assert ("event=database_refused" in run.stderr or
            "drop table orders ff askfirst refused" in run.stdout), run.stdout + run.stderr
    assert mariadb.sql("show tables in shop") == "orders"


# MariaDB statements that run a DROP inside another statement's words: the
# classifier judged each by its first word. SET STATEMENT ... FOR runs its
# statement (was judged a read: SET); a compound statement outside a stored
# program (BEGIN NOT ATOMIC, IF, WHILE, CASE, a label) runs its body (a write:
# an unknown statement); ANALYZE runs its DELETE (a write: ANALYZE TABLE);
# a routine whose body is one statement, not a BEGIN block, stores its DROP
# for a CALL (a write: CREATE, then CALL); dynamic SQL (EXECUTE IMMEDIATE of
# a CONCAT, a routine that EXECUTEs what is prepared after it) was a write.
# Each dropped or emptied the table under block-destructive.
HIDDEN_DROPS = {
    "set_statement_for": ["set statement max_statement_time=60 for drop table orders"],
    "begin_not_atomic": ["begin not atomic drop table orders; end"],
    "labelled_block": ["wipe: begin not atomic drop table orders; end wipe"],
    "if_then": ["if 1 then drop table orders; end if"],
    "while_do": ["while @wiped is null do drop table orders; set @wiped = 1; end while"],
    "analyze_delete": ["analyze delete from orders"],
    "analyze_format_json_delete": ["analyze format=json delete from orders"],
    "single_statement_procedure": ["create procedure wipe() drop table orders", "call wipe()"],
    # text made at run time, which askfirst cannot read, is judged the worst it
    # could be (as an EXECUTE of a SQL PREPARE already was): these were writes
    "execute_immediate_concat": ['execute immediate concat("dr", "op table orders")'],
    "procedure_executes_a_statement_prepared_later": [
        "create procedure wipe() execute s", 'set @q = concat("dr", "op table orders")', "prepare s from @q",
        "call wipe()"],
    # every row is copied into an engine that stores nothing: the table stays, empty
    "alter_engine_blackhole": ["alter table orders engine=blackhole"],
    "characteristics_then_truncate": ["create definer=current_user procedure wipe() sql security invoker "
                                      "modifies sql data truncate table orders", "call wipe()"],
}


@pytest.mark.parametrize("name", sorted(HIDDEN_DROPS))
def test_a_drop_inside_another_statement_is_judged_destructive(mariadb_sandbox, mariadb, name):
    if name == "alter_engine_blackhole" and "BLACKHOLE" not in mariadb.sql("show engines"):
        mariadb.sql("install soname 'ha_blackhole'")  # a plugin Debian's MariaDB ships, not loaded by default
    mariadb.sql("drop procedure if exists shop.wipe; drop table if exists shop.orders; "
                "create table shop.orders (id int); insert into shop.orders values (1), (2)")
    # the client sends each query whole (its own ';' splitting off), one COM_QUERY each
    script = "delimiter //\\n" + "".join(f"{query}//\\n" for query in HIDDEN_DROPS[name])
    run = mariadb_sandbox.run("block-destructive", f"printf '{script}' | {CLIENT} --force; echo status=$?")
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr
    assert mariadb.sql("select count(*) from shop.orders") == "2", run.stdout + run.stderr


MULTIBYTE_HIDDEN_DROPS = {
    # 0xbf 0x5c: the backslash is the character's second byte, the quote after it closes the string
    "gbk_backslash": ("gbk", "select \\047a\\\\\\047b\\047, \\047\\277\\\\\\047; drop table orders; -- \\047"),
    # 0x81 0x60: the backtick is the character's second byte, so no quoted identifier opens
    "sjis_backtick": ("sjis", "select 1 as \\201`; drop table orders; -- `"),
}


@pytest.mark.parametrize("name", sorted(MULTIBYTE_HIDDEN_DROPS))
def test_a_quote_hidden_by_a_multibyte_client_charset_is_not_read_as_inside_a_string(mariadb_sandbox, mariadb, name):
    """With a two-byte client charset (gbk, big5, sjis, cp932) a byte >= 0x81 and the ASCII byte
    after it are one character. Read byte by byte (with backslash escapes, or without) each text
    was one SELECT; MariaDB ran the DROP after the string or identifier."""
    mariadb.sql("drop table if exists shop.orders; create table shop.orders (id int); "
                "insert into shop.orders values (1), (2)")
    charset, query = MULTIBYTE_HIDDEN_DROPS[name]
    script = (f"printf 'delimiter //\\n{query}//\\n' | "
              f"{CLIENT} --default-character-set={charset} --force 2>&1 | cat -v; echo status=$?")
    run = mariadb_sandbox.run("block-destructive", script)
    assert "askfirst refused" in run.stdout, run.stdout + run.stderr
    assert mariadb.sql("show tables in shop") == "orders", run.stdout + run.stderr
