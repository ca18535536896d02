"""PostgreSQL read on the wire: a real psql in `askfirst exec` against a real
PostgreSQL 15 on loopback (database_rig.py). Each test checks the server's
own state (over its unix socket, not through askfirst), not only what psql
printed.
"""
from __future__ import annotations

import pytest

from database_rig import *  # noqa: F401,F403
from database_rig import psql


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
