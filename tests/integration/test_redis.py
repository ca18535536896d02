"""Redis read on the wire: a real redis-cli in `askfirst exec` against a real
redis-server on loopback (database_rig.py). Each test checks the server's
own state (redis-cli on loopback, not through askfirst).
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import kill_quietly
from database_rig import *  # noqa: F401,F403
from http_rig import askfirst_ca  # noqa: F401
from test_consent import answer_with_cli, next_question

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from askfirst_tools import control  # noqa: E402

CLI = "redis-cli -h cache.test -p 6379"


def test_a_pipeline_with_flushall_in_the_middle_is_refused_only_there(redis_sandbox, redis_server):
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    pipeline = ("printf '*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\na\\r\\n$1\\r\\n1\\r\\n"
                "*1\\r\\n$8\\r\\nFLUSHALL\\r\\n*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\na\\r\\n'")
    run = redis_sandbox.run("block-destructive",
                            f"{pipeline} | {CLI} --pipe; echo status=$?; "
                            f"printf 'SET b 2\\nFLUSHALL\\nGET b\\n' | {CLI}")
    # --pipe counts replies: three replies, one error; the plain client prints each reply in order
    assert "errors: 1, replies: 3" in run.stdout, run.stdout + run.stderr
    after_pipe = run.stdout.split("status=", 1)[1].splitlines()[1:]
    lines = [line for line in after_pipe if line.strip()]
    assert lines[0] == "OK" and lines[1].startswith("NOPERM askfirst refused FLUSHALL") and lines[2] == "2", run.stdout
    # FLUSHALL never reached the server: every key is still there
    assert redis_server.cli("get", "keep") == "1" and redis_server.cli("get", "a") == "1"
    assert redis_server.cli("get", "b") == "2"
    blocked = [r for r in run.audit if r["decision"] == "block"]
    assert [(r["provider"], r["tier"], r["statement"]) for r in blocked] == \
        [("redis", "destructive", "FLUSHALL [0 arguments]")] * 2


def test_a_refused_command_inside_multi_aborts_exec(redis_sandbox, redis_server):
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    run = redis_sandbox.run("block-destructive", f"printf 'MULTI\\nSET c 3\\nDEL keep\\nEXEC\\n' | {CLI}")
    assert "NOPERM askfirst refused DEL" in run.stdout, run.stdout + run.stderr
    assert "EXECABORT" in run.stdout, run.stdout
    assert redis_server.cli("get", "keep") == "1" and redis_server.cli("exists", "c") == "0"


def test_reads_and_writes_pass_under_block_destructive(redis_sandbox, redis_server):
    redis_server.cli("flushall")
    run = redis_sandbox.run("block-destructive", f"{CLI} set d 4 && {CLI} incr d && {CLI} get d")
    assert run.stdout.split() == ["OK", "5", "5"], run.stdout + run.stderr
    assert redis_server.cli("get", "d") == "5"


def test_rediss_is_read_command_by_command_inside_tls(redis_sandbox, redis_server, askfirst_ca):
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    tls_cli = f"redis-cli --tls --sni cache.test --cacert {askfirst_ca} -h cache.test -p 6380"
    run = redis_sandbox.run("block-destructive", f"printf 'GET keep\\nFLUSHALL\\nSET e 5\\n' | {tls_cli}")
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert lines[0] == "1" and lines[1].startswith("NOPERM askfirst refused FLUSHALL") and lines[2] == "OK", \
        run.stdout + run.stderr
    assert redis_server.cli("get", "keep") == "1" and redis_server.cli("get", "e") == "5"


def test_prompt_writes_asks_with_the_command_and_a_denial_answers_noperm(redis_sandbox, redis_server):
    import sys
    from pathlib import Path
    from test_consent import answer_with_cli, next_question
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
    from askfirst_tools import control
    redis_server.cli("flushall")
    name, process = redis_sandbox.popen("prompt-writes", f"sleep 1; {CLI} set f 6; {CLI} get f")
    with control.ControlClient.for_name(name, wait_seconds=20) as client:
        client.subscribe()
        question = next_question(client)
        assert redis_server.cli("exists", "f") == "0"  # held while the question is open
        answer_with_cli(name, question["id"], "deny")
    out, err = process.communicate(timeout=60)
    assert question["provider"] == "redis" and question["tier"] == "write"
    assert question["detail"].startswith("set f 6") and "cache.test" in question["detail"]
    assert out.splitlines()[0].startswith("NOPERM askfirst refused SET"), out + err
    assert redis_server.cli("exists", "f") == "0"


def test_a_pipeline_decided_as_a_batch_sends_nothing_past_a_held_flushall_until_it_is_answered(
        redis_sandbox, redis_server):
    """The commands of a pipeline are judged together, but a FLUSHALL held for a person holds the
    commands after it: the SET before it has run, the SET after it has not, until the answer."""
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    pipeline = ("printf '*3\\r\\n$3\\r\\nSET\\r\\n$6\\r\\nbefore\\r\\n$1\\r\\n1\\r\\n"
                "*1\\r\\n$8\\r\\nFLUSHALL\\r\\n*3\\r\\n$3\\r\\nSET\\r\\n$5\\r\\nafter\\r\\n$1\\r\\n2\\r\\n'")
    name, process = redis_sandbox.popen("prompt-destructive", f"sleep 1; {pipeline} | {CLI} --pipe; echo status=$?")
    try:
        with control.ControlClient.for_name(name, wait_seconds=20) as client:
            client.subscribe()
            question = next_question(client)
            time.sleep(0.5)  # what would have gone past the held FLUSHALL has had time to arrive
            before, after = redis_server.cli("get", "before"), redis_server.cli("exists", "after")
            answer_with_cli(name, question["id"], "deny")
        out, err = process.communicate(timeout=60)
    finally:
        kill_quietly(process)
    assert "FLUSHALL" in question.get("detail", "") + question.get("operation", ""), question
    assert before == "1" and after == "0", (before, after)
    assert "errors: 1, replies: 3" in out, out + err
    assert redis_server.cli("get", "after") == "2" and redis_server.cli("get", "keep") == "1"


# A raw client inside the sandbox: the bytes given (hex), then the first reply.
RAW_CLIENT = ("python3 -c \"import socket, sys; s = socket.create_connection(('cache.test', 6379), timeout=10); "
              "s.sendall(bytes.fromhex(sys.argv[1])); print(repr(s.recv(4096)))\"")


@pytest.mark.parametrize("first_bytes", [
    b"FLUSHALL\r\n",                          # an inline command, as telnet sends it
    b"\r\n \r\n*1\r\n$8\r\nFLUSHALL\r\n",        # blank inline lines first: the server skips them
    b"*0\r\n*-1\r\n*1\r\n$8\r\nFLUSHALL\r\n",   # empty arrays first: skipped as well
    b"*1\rX$8\r\nFLUSHALL\r\n",               # any byte after the count's CR: the server skips it unread
], ids=["inline", "blank-lines-first", "empty-arrays-first", "cr-then-any-byte"])
def test_first_bytes_the_server_executes_as_redis_are_read_as_redis_not_relayed_opaque(redis_sandbox, redis_server,
                                                                                       first_bytes):
    # Each of these flows was judged an opaque "tcp" write, which block-destructive passes: FLUSHALL ran.
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    run = redis_sandbox.run("block-destructive", f"{RAW_CLIENT} {first_bytes.hex()}; echo status=$?")
    assert "NOPERM askfirst refused FLUSHALL" in run.stdout, run.stdout + run.stderr
    assert redis_server.cli("get", "keep") == "1"


def test_a_first_line_redis_rejects_then_a_command_is_reset_on_redis_port(redis_sandbox, redis_server):
    """Redis answers a first line it does not know ("zzz") with an error and then runs what follows;
    detection cannot tell "zzz" from any text protocol. On Redis's own port (6379, unlisted in the
    profile) such a flow is reset, never relayed unread: FLUSHALL ran here before."""
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    first_bytes = b"zzz\r\n*1\r\n$8\r\nFLUSHALL\r\n"
    run = redis_sandbox.run("block-destructive", f"{RAW_CLIENT} {first_bytes.hex()}; echo status=$?")
    assert "status=0" not in run.stdout, run.stdout + run.stderr  # the flow was reset, not answered
    assert "event=database_refused" in run.stderr, run.stderr
    assert redis_server.cli("get", "keep") == "1"


def test_an_absolute_expiry_in_the_past_is_a_deletion(redis_sandbox, redis_server):
    """EXPIREAT/PEXPIREAT or SET ... EXAT with a time already past delete the key at once (as EXPIRE 0):
    refused under block-destructive; one in the future is a write and passes."""
    redis_server.cli("flushall")
    redis_server.cli("set", "keep", "1")
    run = redis_sandbox.run("block-destructive",
                            f"{CLI} expireat keep 1; {CLI} pexpireat keep 1000; {CLI} set keep 2 exat 1; "
                            f"{CLI} expireat keep 32503680000")
    assert run.stdout.count("NOPERM askfirst refused") == 3, run.stdout + run.stderr
    assert redis_server.cli("get", "keep") == "1"
    assert int(redis_server.cli("ttl", "keep")) > 0  # the future expiry passed


# Lua stored now and run later by a name askfirst cannot see into: a library
# (FUNCTION LOAD, then FCALL) or a cached script (SCRIPT LOAD, then EVALSHA)
# whose code calls FLUSHALL. The load was a write and the call a write, so
# block-destructive passed both and FLUSHALL ran. A decimal escape in a Lua
# literal ("\070LUSHALL" is "FLUSHALL") hid the name from EVAL's scan.
STORED_FLUSHES = {
    "function_load_then_fcall": (
        "lib=$(mktemp); printf '#!lua name=wipe\\nredis.register_function(\"wipe\", "
        "function() return redis.call(\"flushall\") end)\\n' > $lib; {cli} -x function load < $lib; "
        "{cli} fcall wipe 0"),
    "script_load_then_evalsha": (
        "sha=$({cli} script load \"return redis.call('flushall')\"); echo \"$sha\"; {cli} evalsha \"$sha\" 0"),
    "decimal_escape_in_eval": "{cli} eval 'return redis.call(\"\\070LUSHALL\")' 0",
}


# Red team 4: Lua that gives a key a TTL of 0 or an expiry in the past deletes
# it, as the top-level commands do; each was a write that block-destructive
# passed, and the key was gone.
EXPIRING_SCRIPTS = {
    "eval_expire_0": "{cli} eval \"return redis.call('expire', KEYS[1], 0)\" 1 keep",
    "eval_ttl_in_argv": "{cli} eval \"return redis.call('pexpire', KEYS[1], tonumber(ARGV[1]))\" 1 keep 0",
    "eval_set_pxat_past": "{cli} eval \"return redis.call('set', KEYS[1], 'v', 'PXAT', 1)\" 1 keep",
    "script_load_then_evalsha": (
        "sha=$({cli} script load \"return redis.call('pexpire', KEYS[1], ARGV[1])\"); echo \"$sha\"; "
        "{cli} evalsha \"$sha\" 1 keep 0"),
    "command_spelled_by_string_char": (
        "{cli} eval \"return redis.call(string.char(68, 69, 76), KEYS[1])\" 1 keep"),
}


DELETING_SCRIPTS = {**{f"flushes_{name}": script for name, script in STORED_FLUSHES.items()},
                    **{f"expires_{name}": script for name, script in EXPIRING_SCRIPTS.items()}}


@pytest.mark.parametrize("name", sorted(DELETING_SCRIPTS))
def test_lua_that_deletes_is_judged_destructive(redis_sandbox, redis_server, name):
    redis_server.cli("flushall")
    redis_server.cli("function", "flush")
    redis_server.cli("script", "flush")
    redis_server.cli("set", "keep", "1")
    run = redis_sandbox.run("block-destructive", DELETING_SCRIPTS[name].format(cli=CLI))
    assert "NOPERM askfirst refused" in run.stdout, run.stdout + run.stderr
    assert redis_server.cli("get", "keep") == "1", run.stdout + run.stderr


def test_a_rate_limiter_script_with_a_positive_window_passes(redis_sandbox, redis_server):
    redis_server.cli("flushall")
    script = ("local n = redis.call('incr', KEYS[1]) if n == 1 then "
              "redis.call('expire', KEYS[1], tonumber(ARGV[1])) end return n")
    run = redis_sandbox.run("block-destructive", f"{CLI} eval \"{script}\" 1 hits 60")
    assert run.stdout.strip() == "1", run.stdout + run.stderr
    assert int(redis_server.cli("ttl", "hits")) > 0


def test_xadd_with_a_trim_option_is_judged_as_xtrim(redis_sandbox, redis_server):
    """Red team 4: XADD s MAXLEN 0 * f v discards every entry of the stream, as XTRIM does (destructive);
    it was a write and the stream was emptied. XADD without a trim option passes."""
    redis_server.cli("flushall")
    for n in range(3):
        redis_server.cli("xadd", "events", "*", "n", str(n))
    run = redis_sandbox.run("block-destructive", f"{CLI} xadd events MAXLEN 0 '*' n 9; {CLI} xadd events '*' n 4")
    assert "NOPERM askfirst refused XADD" in run.stdout, run.stdout + run.stderr
    assert redis_server.cli("xlen", "events") == "4", run.stdout + run.stderr


def test_evalsha_of_a_script_evald_on_another_connection_is_judged_with_its_arguments(redis_sandbox, redis_server):
    """Red team 4: EVAL caches its script; an EVALSHA of it (here from another redis-cli, so another
    flow) runs it with new arguments. EVAL with a TTL of 60 s is a write; EVALSHA with 0 deletes the
    key, and it was a write (the body was not visible)."""
    redis_server.cli("flushall")
    redis_server.cli("script", "flush")
    redis_server.cli("set", "keep", "1")
    script = "return redis.call('pexpire', KEYS[1], ARGV[1])"
    sha = hashlib.sha1(script.encode()).hexdigest()  # what EVAL caches it under (SCRIPT LOAD is refused)
    run = redis_sandbox.run("block-destructive",
                            f"{CLI} eval \"{script}\" 1 other 60000; {CLI} evalsha {sha} 1 keep 0")
    assert run.stdout.splitlines()[0] == "0", run.stdout + run.stderr  # the EVAL passed (no key "other")
    assert "NOPERM askfirst refused" in run.stdout, run.stdout + run.stderr
    assert redis_server.cli("get", "keep") == "1", run.stdout + run.stderr
    assert int(redis_server.cli("ttl", "keep")) == -1
