"""A MySQL/MariaDB client that writes protocol packets by hand, for the
integration tests that need sequences no client library sends on purpose
(a COM_CHANGE_USER that fails, then a command). It runs inside
`askfirst exec` against db.test:3306 (or the host and port given), logs in
with mysql_native_password and prints each response's first byte and text.

Usage: mysql_wire_client.py SCENARIO [HOST PORT]
"""
from __future__ import annotations

import hashlib
import socket
import struct
import sys

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
CAPABILITIES = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION |
                CLIENT_PLUGIN_AUTH)


def native_password(password: str, scramble: bytes) -> bytes:
    if not password:
        return b""
    stage1 = hashlib.sha1(password.encode()).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(scramble + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


class Connection:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.buffer = b""

    def read_packet(self) -> tuple[int, bytes]:
        while len(self.buffer) < 4 or len(self.buffer) < 4 + int.from_bytes(self.buffer[:3], "little"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        length = int.from_bytes(self.buffer[:3], "little")
        sequence, payload = self.buffer[3], self.buffer[4:4 + length]
        self.buffer = self.buffer[4 + length:]
        return sequence, payload

    def send(self, sequence: int, payload: bytes) -> None:
        self.sock.sendall(len(payload).to_bytes(3, "little") + bytes([sequence]) + payload)

    def login(self, user: str, password: str, database: str) -> None:
        _, greeting = self.read_packet()
        version_end = greeting.index(b"\0", 1)
        at = version_end + 1 + 4
        part1 = greeting[at:at + 8]
        at += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        part2 = greeting[at:at + 12]
        self.scramble = part1 + part2
        token = native_password(password, self.scramble)
        response = (struct.pack("<IIB", CAPABILITIES, 1 << 24, 33) + b"\0" * 23 + user.encode() + b"\0" +
                    bytes([len(token)]) + token + database.encode() + b"\0" + b"mysql_native_password\0")
        self.send(1, response)
        self.print_response("login")

    def print_response(self, label: str) -> None:
        """The first packet of a response (OK 00, ERR ff, a result set's column count), then the rest drained."""
        _, payload = self.read_packet()
        kind = payload[:1].hex()
        text = payload[9:].decode(errors="replace") if kind == "ff" else ""
        print(f"{label} {kind} {text}".rstrip(), flush=True)
        if kind not in ("00", "ff"):  # a result set: columns, EOF, rows, EOF
            eofs = 0
            while eofs < 2:
                _, row = self.read_packet()
                if row[:1] == b"\xfe" and len(row) < 9:
                    eofs += 1

    def query(self, sql: str) -> None:
        self.send(0, b"\x03" + sql.encode())
        self.print_response(sql)

    def change_user(self, user: str, password: str, database: str) -> None:
        token = native_password(password, self.scramble)
        payload = (b"\x11" + user.encode() + b"\0" + bytes([len(token)]) + token + database.encode() + b"\0" +
                   struct.pack("<H", 33) + b"mysql_native_password\0")
        self.send(0, payload)
        sequence, answer = self.read_packet()
        if answer[:1] == b"\xfe":  # AuthSwitchRequest: the plugin again, with a new scramble
            plugin_end = answer.index(b"\0", 1)
            scramble = answer[plugin_end + 1:plugin_end + 21]
            self.send(sequence + 1, native_password(password, scramble))
            sequence, answer = self.read_packet()
        text = answer[9:].decode(errors="replace") if answer[:1] == b"\xff" else ""
        print(f"change_user {answer[:1].hex()} {text}".rstrip(), flush=True)


def failed_change_user_then_drop(db: Connection) -> None:
    """A COM_CHANGE_USER the server refuses, then a DROP on the same connection."""
    db.login("agent", "agentpw", "shop")
    db.change_user("agent", "not-the-password", "shop")
    db.query("drop table orders")


def pipelined_after_login(db: Connection) -> None:
    """A DROP sent right behind the handshake response, before the server's OK."""
    _, greeting = db.read_packet()
    version_end = greeting.index(b"\0", 1)
    at = version_end + 1 + 4
    scramble = greeting[at:at + 8] + greeting[at + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10:][:12]
    token = native_password("agentpw", scramble)
    response = (struct.pack("<IIB", CAPABILITIES, 1 << 24, 33) + b"\0" * 23 + b"agent\0" + bytes([len(token)]) +
                token + b"shop\0" + b"mysql_native_password\0")
    query = b"\x03drop table orders"
    db.sock.sendall(len(response).to_bytes(3, "little") + b"\x01" + response +
                    len(query).to_bytes(3, "little") + b"\x00" + query)
    db.print_response("login")
    db.print_response("drop table orders")


def command_with_sequence_one(db: Connection) -> None:
    """A command whose packet does not start at sequence 0."""
    db.login("agent", "agentpw", "shop")
    db.send(1, b"\x03drop table orders")
    db.print_response("drop table orders")


def empty_packet_shifts_prepared_texts(db: Connection) -> None:
    """An empty command packet, which the server answers (Unknown command),
    pipelined with two prepares: if the empty packet's answer were taken for
    the first prepare's, the DROP's statement id would be remembered with the
    SELECT's text. Then an execute of the DROP's id."""
    db.login("agent", "agentpw", "shop")
    packets = [b"", b"\x16drop table orders", b"\x16select 1"]
    db.sock.sendall(b"".join(len(p).to_bytes(3, "little") + b"\x00" + p for p in packets))
    db.print_response("empty")
    _, answer = db.read_packet()  # the DROP's prepare: no columns, no parameters
    statement_id = answer[1:5]
    _, answer = db.read_packet()  # the SELECT's prepare: one column, then EOF
    for _ in range(int.from_bytes(answer[5:7], "little") + 1):
        db.read_packet()
    db.send(0, b"\x17" + statement_id + b"\x00" + b"\x01\x00\x00\x00")
    db.print_response("drop table orders")


def long_response_wraps_the_sequence(db: Connection) -> None:
    """A result of more than 256 packets wraps the sequence id past 0 to 1,
    where a new response seems to begin; two prepares pipelined behind it."""
    db.login("agent", "agentpw", "shop")
    packets = [b"\x03select seq from seq_1_to_300", b"\x16drop table orders", b"\x16select 1"]
    db.sock.sendall(b"".join(len(p).to_bytes(3, "little") + b"\x00" + p for p in packets))
    eofs = 0
    while eofs < 2:  # the result set: column count, column, EOF, rows, EOF
        _, row = db.read_packet()
        if row[:1] == b"\xfe" and len(row) < 9:
            eofs += 1
    _, answer = db.read_packet()  # the DROP's prepare: no columns, no parameters
    statement_id = answer[1:5]
    _, answer = db.read_packet()  # the SELECT's prepare: one column, then EOF
    for _ in range(int.from_bytes(answer[5:7], "little") + 1):
        db.read_packet()
    db.send(0, b"\x17" + statement_id + b"\x00" + b"\x01\x00\x00\x00")
    db.print_response("drop table orders")


if __name__ == "__main__":
    host, port = (sys.argv[2], int(sys.argv[3])) if len(sys.argv) > 3 else ("db.test", 3306)
    scenario = {"failed_change_user_then_drop": failed_change_user_then_drop,
                "pipelined_after_login": pipelined_after_login,
                "command_with_sequence_one": command_with_sequence_one,
                "empty_packet_shifts_prepared_texts": empty_packet_shifts_prepared_texts,
                "long_response_wraps_the_sequence": long_response_wraps_the_sequence}[sys.argv[1]]
    try:
        scenario(Connection(host, port))
    except EOFError:
        print("closed", flush=True)
