"""A small client of askfirstd's control socket (consent/PROTOCOL.md, v1)."""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Iterator

from . import paths

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 64 * 1024


class ControlError(RuntimeError):
    pass


class ControlClient:
    """One connection: request/reply, and events after subscribe()."""

    def __init__(self, socket_path: Path, timeout: float = 5.0):
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        try:
            self._socket.connect(str(socket_path))
        except OSError as failure:
            self._socket.close()
            raise ControlError(f"cannot reach askfirstd at {socket_path}: {failure.strerror}; "
                               "is it running, and under your uid?") from failure
        self._buffer = b""
        self._next_id = 1
        self._events: list[dict] = []
        self.request("hello", version=PROTOCOL_VERSION)

    @classmethod
    def for_name(cls, name: str, wait_seconds: float = 0.0) -> "ControlClient":
        path = paths.control_socket(name)
        deadline = time.monotonic() + wait_seconds
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return cls(path)

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> "ControlClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _read_line(self, timeout: float | None) -> dict | None:
        self._socket.settimeout(timeout)
        while b"\n" not in self._buffer:
            try:
                chunk = self._socket.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise ControlError("askfirstd closed the control connection")
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE_BYTES and b"\n" not in self._buffer:
                raise ControlError("askfirstd sent an over-long line")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def request(self, cmd: str, **arguments) -> dict:
        request_id = self._next_id
        self._next_id += 1
        message = {"id": request_id, "cmd": cmd, **arguments}
        self._socket.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._read_line(timeout=10.0)
            if reply is None:
                raise ControlError(f"no reply to '{cmd}' within 10 s")
            if "event" in reply:
                self._events.append(reply)
                continue
            if reply.get("re") != request_id:
                continue
            if not reply.get("ok"):
                raise ControlError(f"{cmd}: {reply.get('error', 'refused')}")
            return reply

    def subscribe(self) -> list[dict]:
        """Starts the event stream; returns the questions already pending."""
        return self.request("subscribe").get("pending", [])

    def events(self, timeout: float | None = None) -> Iterator[dict]:
        """Yields events until `timeout` seconds pass without one (None: forever)."""
        while True:
            if self._events:
                yield self._events.pop(0)
                continue
            event = self._read_line(timeout)
            if event is None:
                return
            if "event" in event:
                yield event
