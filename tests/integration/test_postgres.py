"""PostgreSQL read on the wire: a real psql in `askfirst exec` against a real
PostgreSQL 15 on loopback (database_rig.py). Each test checks the server's
own state (over its unix socket, not through askfirst), not only what psql
printed.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ASKFIRST, kill_quietly
from http_rig import read_audit
from test_consent import answer_with_cli, next_question

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from askfirst_tools import control  # noqa: E402

from database_rig import *  # noqa: F401,F403
from database_rig import DatabaseSandbox, Postgres, psql
from http_rig import askfirst_ca  # noqa: F401


def test_block_destructive_passes_a_select_and_refuses_drop_table(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    run = db_sandbox.run("block-destructive",
                         psql("select count(*) from orders") + "; echo status=$?; " +
                         psql("drop table orders") + "; echo status=$?")
    assert "2\nstatus=0" in run.stdout, run.stdout + run.stderr
    assert "ERROR:  askfirst refused DROP TABLE" in run.stderr, run.stderr
    assert "status=1" in run.stdout
    assert postgres.sql("select count(*) from orders") == "2"
    decisions = [(r["provider"], r["tier"], r["decision"]) for r in run.audit]
    assert ("postgres", "read", "pass") in decisions and ("postgres", "destructive", "block") in decisions


def test_a_refused_statement_outside_a_transaction_leaves_the_session_usable(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    script = (f"psql 'host=db.test user=postgres dbname=postgres sslmode=disable' -X -At "
              f"-c 'truncate orders' -c 'insert into orders values (3)' -c 'select count(*) from orders'; "
              f"echo status=$?")
    run = db_sandbox.run("block-destructive", script)
    # psql stops at the first error of -c list only with ON_ERROR_STOP; without it the rest runs on the same connection
    assert "ERROR:  askfirst refused TRUNCATE" in run.stderr, run.stderr
    assert "3" in run.stdout.split(), run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "3"


def test_a_refused_statement_inside_begin_fails_the_transaction_on_both_sides(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    script = ("psql 'host=db.test user=postgres dbname=postgres sslmode=disable' -X -At <<'SQL'\n"
              "begin;\n"
              "insert into orders values (3);\n"
              "drop table orders;\n"
              "select 'after';\n"
              "commit;\n"
              "select 'next ' || count(*) from orders;\n"
              "SQL\n")
    run = db_sandbox.run("block-destructive", script)
    assert "ERROR:  askfirst refused DROP TABLE" in run.stderr, run.stderr
    # the server agrees the block failed: the next statement is refused by the server itself, COMMIT rolls back
    assert "current transaction is aborted" in run.stderr, run.stderr
    assert "ROLLBACK" in run.stdout and "next 2" in run.stdout, run.stdout
    assert postgres.sql("select count(*) from orders") == "2"


def test_extended_protocol_pgbench_executes_are_decided(db_sandbox, postgres, tmp_path):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    reads = tmp_path / "reads.sql"
    reads.write_text("select count(*) from orders;\n")
    drops = tmp_path / "drops.sql"
    drops.write_text("drop table orders;\n")
    conninfo = "-h db.test -p 5432 -U postgres"
    script = (f"pgbench {conninfo} -n -M extended -t 3 -f {reads} postgres > /dev/null; echo reads=$?; "
              f"pgbench {conninfo} -n -M prepared -t 1 -f {drops} postgres; echo drops=$?")
    run = db_sandbox.run("block-destructive", f"PGSSLMODE=disable; export PGSSLMODE; {script}")
    assert "reads=0" in run.stdout, run.stdout + run.stderr
    assert "askfirst refused DROP TABLE" in run.stderr, run.stderr
    assert "drops=0" not in run.stdout
    assert postgres.sql("select count(*) from orders") == "2"
    executes = [r for r in run.audit if r["method"] == "Execute"]
    assert executes and {r["tier"] for r in executes} == {"read", "destructive"}


@pytest.mark.parametrize("sslmode", ["require", "verify-full"])
def test_tls_sslmode_require_and_verify_full_with_askfirsts_ca(db_sandbox, postgres, askfirst_ca, sslmode):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    extra = f"sslrootcert={askfirst_ca}"
    run = db_sandbox.run("block-destructive",
                         psql("select 'tls=' || ssl from pg_stat_ssl where pid = pg_backend_pid()", sslmode, extra) +
                         "; " + psql("drop table orders", sslmode, extra) + "; echo status=$?")
    # the server saw TLS from askfirstd; the guest saw askfirst's refusal over TLS
    assert "tls=t" in run.stdout, run.stdout + run.stderr
    assert "ERROR:  askfirst refused DROP TABLE" in run.stderr, run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


def test_prompt_writes_holds_a_delete_shows_its_sql_and_runs_it_once_allowed(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    name, process = db_sandbox.popen("prompt-writes",
                                     "sleep 1; " + psql("delete from orders where id = 1") + "; echo status=$?")
    try:
        with control.ControlClient.for_name(name, wait_seconds=20) as client:
            client.subscribe()
            question = next_question(client)
            listed = subprocess.run([ASKFIRST, "prompts", "--json", "--name", name],
                                    capture_output=True, text=True, timeout=20)
            rows = [json.loads(line) for line in listed.stdout.splitlines()]
            # held: the server has not seen it while the question is open
            assert postgres.sql("select count(*) from orders") == "2"
            answer_with_cli(name, question["id"], "once")
        out, err = process.communicate(timeout=60)
    finally:
        kill_quietly(process)
    assert question["provider"] == "postgres" and question["tier"] == "destructive"  # DELETE: §17
    assert [row["id"] for row in rows] == [question["id"]]
    assert "delete from orders where id = 1" in rows[0]["detail"] and "db.test" in rows[0]["detail"]
    assert "DELETE 1" in out and "status=0" in out, out + err
    assert postgres.sql("select count(*) from orders") == "1"
    records, _ = read_audit(name)
    deletes = [r for r in records if r.get("statement", "").startswith("delete")]
    # the audit line keeps the statement with its literals redacted
    assert [(r["decision"], r["decided_by"], r["statement"]) for r in deletes] == \
        [("pass", "user", "delete from orders where id = $1")]


@pytest.fixture(scope="module")
def postgres_without_tls():
    server = Postgres()
    yield server
    server.stop()


def test_a_server_without_tls_answers_the_guests_sslrequest_itself(exec_works, postgres_without_tls, db_ca,
                                                                     tmp_path):
    postgres_without_tls.sql("drop table if exists orders; create table orders (id int)")
    sandbox = DatabaseSandbox(tmp_path, postgres_without_tls, db_ca)
    # libpq's default sslmode=prefer asks for TLS first; the server says 'N' and psql goes on in plaintext
    run = sandbox.run("block-destructive",
                      "psql 'host=db.test user=postgres dbname=postgres' -X -At -c 'select 41 + 1'; "
                      "psql 'host=db.test user=postgres dbname=postgres' -X -At -c 'drop table orders'; " +
                      psql("select 1", "require") + "; echo require=$?")
    assert run.stdout.splitlines()[0] == "42", run.stdout + run.stderr
    assert "ERROR:  askfirst refused DROP TABLE" in run.stderr, run.stderr
    # sslmode=require: psql itself gives up, as it would against that server directly
    assert "server does not support SSL" in run.stderr and "require=2" in run.stdout, run.stdout + run.stderr
    assert postgres_without_tls.sql("select count(*) from orders") == "0"


def test_copy_from_stdin_is_a_write_refused_under_block_writes(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1)")
    script = ("printf '7\\n8\\n' | psql 'host=db.test user=postgres dbname=postgres sslmode=disable' -X -At "
              "-c 'copy orders from stdin'; echo status=$?; " + psql("select count(*) from orders"))
    run = db_sandbox.run("block-writes", script)
    assert "ERROR:  askfirst refused COPY" in run.stderr, run.stderr
    assert run.stdout.split()[-1] == "1", run.stdout + run.stderr  # the read still passes
    assert postgres.sql("select count(*) from orders") == "1"
    # the same COPY under block-destructive is a write: it passes and its rows arrive
    run = db_sandbox.run("block-destructive", script)
    assert run.stdout.split()[-1] == "3", run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "3"


def test_a_listed_postgres_endpoint_never_relays_other_bytes_unread(db_sandbox, postgres):
    listed = {"databases": [{"host": "db.test", "port": 5432, "protocol": "postgres"}]}
    script = "curl -s -m 10 -o /dev/null -w 'http=%{http_code}\\n' http://db.test:5432/; " + psql("select 3")
    run = db_sandbox.run("block-destructive", script, extra=listed)
    assert "event=database_refused" in run.stderr and "listed in the profile's databases as postgres" in run.stderr, \
        run.stderr
    assert "http=000" in run.stdout and "3" in run.stdout.split(), run.stdout + run.stderr
    # without the listing the same bytes are an HTTP request, relayed to the server as HTTP
    run = db_sandbox.run("block-destructive", script)
    assert "event=database_refused" not in run.stderr


@pytest.mark.parametrize("scenario", ["skipped_unnamed_parse", "skipped_close_and_parse", "long_names_share_a_key"])
def test_a_parse_or_close_the_server_skipped_after_an_error_does_not_launder_a_drop(db_sandbox, postgres, scenario):
    # The server skips every message after an error up to Sync: a statement
    # the session believed replaced by "select 1" still holds the DROP there.
    # And it keys names by their first 63 bytes: two long names are one.
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    client = Path(__file__).resolve().parent / "pg_wire_client.py"
    run = db_sandbox.run("block-destructive", f"python3 {client} {scenario}; echo status=$?")
    assert "status=0" in run.stdout, run.stdout + run.stderr
    assert "E askfirst refused DROP TABLE" in run.stdout, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


def test_a_function_whose_body_deletes_is_refused_at_create_under_block_destructive(db_sandbox, postgres):
    # CREATE FUNCTION was a write and SELECT f() a read: block-destructive let
    # both through, and the DELETE in the body ran.
    postgres.sql("drop function if exists wipe(); drop table if exists orders; create table orders (id int); "
                 "insert into orders values (1), (2)")
    create = "create function wipe() returns int language sql as 'delete from orders; select 1'"
    run = db_sandbox.run("block-destructive", psql(create) + "; echo status=$?; " + psql("select wipe()"))
    assert "askfirst refused CREATE FUNCTION whose code runs DELETE" in run.stderr, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


# An ORM as an agent's code uses one (SQLAlchemy 1.4 over psycopg2, Debian's): its queries
# pass, its metadata.drop_all() and an unfiltered bulk delete are refused with askfirst's
# sentence in the driver's own exception, and the tables and rows are still there.
ORM_SCRIPT = """/usr/bin/python3 - <<'PY'
import sqlalchemy as sa
engine = sa.create_engine("postgresql+psycopg2://postgres@db.test/postgres?sslmode=disable")
meta = sa.MetaData()
orders = sa.Table("orders", meta, sa.Column("id", sa.Integer))
with engine.connect() as connection:
    print("count", connection.execute(sa.select(sa.func.count()).select_from(orders)).scalar())
for name, act in [("delete", lambda c: c.execute(orders.delete())), ("drop_all", lambda c: meta.drop_all(c))]:
    try:
        with engine.begin() as connection:
            act(connection)
        print(name, "ran")
    except sa.exc.DBAPIError as error:
        print(name, "refused:", str(error.orig).splitlines()[0])
PY"""


def test_an_orm_reads_and_its_drop_all_and_bulk_delete_are_refused(db_sandbox, postgres):
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    run = db_sandbox.run("block-destructive", ORM_SCRIPT)
    assert "count 2" in run.stdout, run.stdout + run.stderr
    assert "delete refused: askfirst refused DELETE" in run.stdout, run.stdout + run.stderr
    assert "drop_all refused: askfirst refused DROP TABLE" in run.stdout, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


@pytest.mark.parametrize("body", [
    "begin execute ''dr'' || ''op table orders''; end",
    "declare r record; begin for r in execute ''dr'' || ''op table orders'' loop end loop; end",
])
def test_a_do_block_running_sql_made_at_run_time_is_judged_the_worst(db_sandbox, postgres, body):
    """A DO block whose EXECUTE runs text built at run time, which askfirst cannot read: it was
    judged a write (the DO block), and block-destructive passed the DROP it ran."""
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    run = db_sandbox.run("block-destructive", psql(f"do '{body}'") + "; echo status=$?")
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


@pytest.mark.parametrize("encoding,lead", [("SJIS", "201"), ("BIG5", "244"), ("GBK", "201")])
def test_a_quote_hidden_by_a_two_byte_client_encoding_is_not_read_as_inside_a_string(db_sandbox, postgres,
                                                                                        encoding, lead):
    """PostgreSQL converts a client-only encoding (SJIS, BIG5, GBK) to the server's before it
    lexes: 0x81 0x5c is one character there, so E'<81>\\'' has no escaped quote and the text after
    it runs. Read as bytes it was one SELECT of one string."""
    postgres.sql("drop table if exists orders; create table orders (id int); insert into orders values (1), (2)")
    query = f"printf \"select E'\\\\{lead}\\\\\\\\'; drop table orders; -- '\""
    client = psql("X").replace(' -c "X"', "")
    run = db_sandbox.run("block-destructive",
                         f"PGCLIENTENCODING={encoding} {client} -c \"$({query})\" 2>&1 | cat -v; echo status=$?")
    assert "askfirst refused" in run.stdout, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


def test_dblink_running_sql_made_at_run_time_is_judged_the_worst(db_sandbox, postgres):
    """Red team 4: dblink_exec over a loopback connection runs its text on this server; text built at
    run time ('dr' || 'op ...') cannot be read. It was a write (a side-effecting function), and
    block-destructive passed the DROP it ran."""
    postgres.sql("create extension if not exists dblink; drop table if exists orders; "
                 "create table orders (id int); insert into orders values (1), (2)")
    loopback = f"host={postgres.dir} port={postgres.port} user=postgres dbname=postgres"
    run = db_sandbox.run("block-destructive",
                         psql(f"select dblink_exec('{loopback}', 'dr' || 'op table orders')") + "; echo status=$?")
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr
    assert postgres.sql("select count(*) from orders") == "2"


@pytest.mark.parametrize("ddl", [
    # ADD COLUMN with a volatile DEFAULT rewrites the table, running it once per existing row.
    "alter table holder add column x text default dblink_exec('{loopback}', 'drop table if exists orders')",
    # A DEFAULT stored now runs on a later INSERT, which is only a write.
    "create table later (a int, b text default dblink_exec('{loopback}', 'drop table if exists orders'))",
])
def test_a_side_effecting_function_in_ddl_expressions_is_judged_where_it_is_written(db_sandbox, postgres, ddl):
    """Red team 5: DDL was judged by its leading word alone (a write), never its expressions; a
    dblink_exec of a literal DROP in a DEFAULT ran the DROP over a loopback connection, under
    block-destructive, when the table was rewritten (or at the INSERT that used the default)."""
    postgres.sql("create extension if not exists dblink; drop table if exists orders, holder, later; "
                 "create table orders (id int); insert into orders values (1), (2); "
                 "create table holder (id int); insert into holder values (1)")
    loopback = f"host={postgres.dir} port={postgres.port} user=postgres dbname=postgres"
    run = db_sandbox.run("block-destructive",
                         psql(ddl.format(loopback=loopback)) + "; echo status=$?; " +
                         psql("insert into later (a) values (1)") + "; echo status=$?")
    assert postgres.sql("select count(*) from pg_tables where tablename = 'orders'") == "1", run.stdout + run.stderr
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr


def test_alter_column_type_using_an_expression_that_does_not_read_it_is_refused(db_sandbox, postgres):
    """Red team 5: ALTER COLUMN ... TYPE ... USING NULL replaces every stored value of the column
    (the table is rewritten with the expression); it was a write that block-destructive passed."""
    postgres.sql("drop table if exists orders; create table orders (id int, note text); "
                 "insert into orders values (1, 'a'), (2, 'b')")
    run = db_sandbox.run("block-destructive",
                         psql("alter table orders alter column note type text using null") + "; echo status=$?; " +
                         psql("alter table orders alter column id type bigint using id") + "; echo status=$?")
    assert postgres.sql("select count(note) from orders") == "2", run.stdout + run.stderr
    assert "askfirst refused ALTER ... TYPE ... USING" in run.stderr, run.stdout + run.stderr
    assert postgres.sql("select data_type from information_schema.columns "
                        "where table_name = 'orders' and column_name = 'id'") == "bigint"


@pytest.mark.parametrize("call", ["dblink_exec", '"dblink_exec"', 'U&"\\0064blink_exec"'])
def test_dblink_in_a_text_too_deep_for_the_parse_tree_is_still_read(db_sandbox, postgres, call):
    """Red team 5: beside 400 nested calls (which PostgreSQL runs) the text is read by tokens, which
    judged dblink_exec a write without reading its SQL text: the DROP it ran passed block-destructive."""
    postgres.sql("create extension if not exists dblink; drop table if exists orders; "
                 "create table orders (id int); insert into orders values (1), (2)")
    loopback = f"host={postgres.dir} port={postgres.port} user=postgres dbname=postgres"
    deep = "0"
    for _ in range(400):
        deep = f"coalesce({deep}, 0)"
    run = db_sandbox.run("block-destructive",
                         psql(f"select {call}('{loopback}', 'drop table orders'), {deep}") + "; echo status=$?")
    assert postgres.sql("select count(*) from pg_tables where tablename = 'orders'") == "1", run.stdout + run.stderr
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr


def test_create_table_as_whose_query_deletes_is_judged_by_it_on_the_token_path(db_sandbox, postgres):
    """Red team 5: CREATE TABLE ... AS WITH d AS (DELETE ... RETURNING ...) SELECT ... runs the DELETE;
    the parse tree judged it so, but beside 400 nested calls the text is read by tokens, which
    judged any CREATE TABLE a write, and block-destructive passed the DELETE."""
    postgres.sql("drop table if exists orders, kept; create table orders (id int); insert into orders values (1), (2)")
    deep = "0"
    for _ in range(400):
        deep = f"coalesce({deep}, 0)"
    run = db_sandbox.run("block-destructive",
                         psql(f"create table kept as with d as (delete from orders returning id) "
                              f"select id, {deep} as z from d") + "; echo status=$?")
    assert postgres.sql("select count(*) from orders") == "2", run.stdout + run.stderr
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr


@pytest.mark.parametrize("define,call", [
    # an operator whose function is dblink_exec: the operator runs it
    ("create operator ~~~ (leftarg = text, rightarg = text, function = dblink_exec)",
     "select '{loopback}' ~~~ 'drop table orders'"),
    # a C function that is dblink_exec under another name
    ("create function innocent(text, text) returns text language c strict as 'dblink', 'dblink_exec'",
     "select innocent('{loopback}', 'drop table orders')"),
])
def test_a_side_effecting_function_aliased_by_name_is_judged_where_it_is_aliased(db_sandbox, postgres, define, call):
    """Red team 5: CREATE OPERATOR ... FUNCTION = dblink_exec, or CREATE FUNCTION ... LANGUAGE c AS
    'dblink', 'dblink_exec', names the function without calling it (a write); the call then
    looks like an operator or an unknown function (a read), and the DROP ran under block-destructive."""
    postgres.sql("create extension if not exists dblink; drop table if exists orders; drop operator if exists ~~~ (text, text); "
                 "drop function if exists innocent(text, text); create table orders (id int); insert into orders values (1), (2)")
    loopback = f"host={postgres.dir} port={postgres.port} user=postgres dbname=postgres"
    run = db_sandbox.run("block-destructive",
                         psql(define) + "; echo status=$?; " + psql(call.format(loopback=loopback)) + "; echo status=$?")
    assert postgres.sql("select count(*) from pg_tables where tablename = 'orders'") == "1", run.stdout + run.stderr
    assert "askfirst refused" in run.stderr, run.stdout + run.stderr
