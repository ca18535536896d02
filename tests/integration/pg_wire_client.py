"""A PostgreSQL frontend that writes protocol messages by hand, for the
integration tests that need message sequences no driver sends (libpq and
psycopg never Bind a missing statement on purpose). It runs inside
`askfirst exec`, talks plaintext to db.test:5432 with trust authentication,
and prints each server message it reads as one line: `<type> <text>`.

Usage: pg_wire_client.py SCENARIO   (the scenarios are the functions below)
"""
from __future__ import annotations

import socket
import struct
import sys


def message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def parse(name: str, sql: str) -> bytes:
    return message(b"P", cstr(name) + cstr(sql) + struct.pack("!H", 0))


def bind(portal: str, statement: str) -> bytes:
    return message(b"B", cstr(portal) + cstr(statement) + struct.pack("!HHH", 0, 0, 0))


def execute(portal: str) -> bytes:
    return message(b"E", cstr(portal) + struct.pack("!I", 0))


def close_statement(name: str) -> bytes:
    return message(b"C", b"S" + cstr(name))


SYNC = message(b"S", b"")


class Connection:
    def __init__(self, host: str = "db.test", port: int = 5432):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.buffer = b""
        params = cstr("user") + cstr("postgres") + cstr("database") + cstr("postgres") + b"\0"
        body = struct.pack("!I", 196608) + params
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        self.until_ready()

    def read_message(self) -> tuple[str, bytes]:
        while len(self.buffer) < 5 or len(self.buffer) < 1 + struct.unpack("!I", self.buffer[1:5])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("server closed the connection")
            self.buffer += chunk
        length = struct.unpack("!I", self.buffer[1:5])[0]
        kind, body = self.buffer[:1].decode(), self.buffer[5:1 + length]
        self.buffer = self.buffer[1 + length:]
        return kind, body

    def until_ready(self) -> None:
        """Prints every message up to ReadyForQuery (errors with their text)."""
        while True:
            kind, body = self.read_message()
            if kind == "E":
                fields = {part[:1]: part[1:].decode() for part in body.split(b"\0") if part}
                print(f"E {fields.get(b'M', '')}", flush=True)
            elif kind in "123CZ":
                text = body.rstrip(b"\0").decode(errors="replace")
                print(f"{kind} {text}", flush=True)
            if kind == "Z":
                return

    def send(self, *messages: bytes) -> None:
        self.sock.sendall(b"".join(messages))
        self.until_ready()


def skipped_unnamed_parse() -> None:
    """The unnamed statement holds a DROP; a Parse the server skips after an
    error does not replace it; Bind+Execute of the unnamed statement follow."""
    db = Connection()
    db.send(parse("", "drop table orders"), SYNC)
    db.send(bind("x", "missing"), parse("", "select 1"), SYNC)
    db.send(bind("", ""), execute(""), SYNC)


def skipped_close_and_parse() -> None:
    """As above with a named statement that a skipped Close and Parse seem to replace."""
    db = Connection()
    db.send(parse("s1", "drop table orders"), SYNC)
    db.send(bind("x", "missing"), close_statement("s1"), parse("s1", "select 1"), SYNC)
    db.send(bind("p", "s1"), execute("p"), SYNC)


def long_names_share_a_key() -> None:
    """The server keys names by their first 63 bytes: a Close and Parse of one
    long name replace the statement the guest then Binds by another."""
    stem = "n" * 63
    db = Connection()
    db.send(parse(stem + "_reader", "select 1"), SYNC)
    db.send(close_statement(stem + "_other"), parse(stem + "_other", "drop table orders"), SYNC)
    db.send(bind("p", stem + "_reader"), execute("p"), SYNC)


if __name__ == "__main__":
    {"skipped_unnamed_parse": skipped_unnamed_parse,
     "skipped_close_and_parse": skipped_close_and_parse,
     "long_names_share_a_key": long_names_share_a_key}[sys.argv[1]]()
