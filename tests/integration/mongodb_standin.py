"""A loopback stand-in for a MongoDB server, for tests/integration/test_mongodb.py.

Debian 12 has no mongod (MongoDB is not in Debian), so the real client
(python3-pymongo) talks to this small server instead. It speaks just enough of
the wire protocol for the tests (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/):
the legacy OP_QUERY isMaster handshake pymongo 3 sends (answered with
OP_REPLY), and OP_MSG commands hello/isMaster, ping, buildInfo, find, insert,
delete, drop and endSessions, with document sequences (kind 1). Like mongod
it agrees to zlib compression when a handshake offers it, and then reads
OP_COMPRESSED (zlib) messages, counted in `compressed_seen`. It keeps
collections in memory, and records every command it received, in order, so a
test can assert that a refused command never reached it. BSON comes from
pymongo's own `bson` package.
"""
from __future__ import annotations

import socket
import ssl
import struct
import threading
import zlib
from pathlib import Path

import bson

OP_REPLY, OP_QUERY, OP_COMPRESSED, OP_MSG = 1, 2004, 2012, 2013
ZLIB = 2  # OP_COMPRESSED's compressorId for zlib
MORE_TO_COME = 1 << 1
CHECKSUM_PRESENT = 1 << 0

HELLO = {"ismaster": True, "helloOk": True, "maxBsonObjectSize": 16 * 1024 * 1024,
         "maxMessageSizeBytes": 48_000_000, "maxWriteBatchSize": 100_000, "minWireVersion": 0,
         "maxWireVersion": 9, "readOnly": False, "ok": 1.0}


def _recv_exact(sock: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class MongoStandin:
    """A threaded stand-in on 127.0.0.1:port (and, given a folder with server.pem/server.key,
    TLS only on 127.0.0.1:tls_port); `received` lists (database, command document)."""

    def __init__(self, tls_folder: Path | None = None):
        self.listener = self._listen()
        self.port = self.listener.getsockname()[1]
        self.tls_listener, self.tls_context = None, None
        if tls_folder is not None:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(tls_folder / "server.pem", tls_folder / "server.key")
            self.tls_listener = self._listen()
            self.tls_port = self.tls_listener.getsockname()[1]
        self.collections: dict[tuple[str, str], list[dict]] = {}
        self.received: list[tuple[str, dict]] = []
        self.compressed_seen = 0
        self.lock = threading.Lock()
        self.next_id = 1
        self.running = True
        threading.Thread(target=self._accept, args=(self.listener, None), daemon=True).start()
        if self.tls_listener is not None:
            threading.Thread(target=self._accept, args=(self.tls_listener, self.tls_context), daemon=True).start()

    @staticmethod
    def _listen() -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(32)
        return listener

    def commands(self) -> list[str]:
        """The names of the commands received so far (the handshake included)."""
        with self.lock:
            return [next(iter(command)) for _, command in self.received]

    def documents(self, database: str, collection: str) -> list[dict]:
        with self.lock:
            return list(self.collections.get((database, collection), []))

    def reset(self, database: str, collection: str, documents: list[dict]):
        with self.lock:
            self.collections[(database, collection)] = [dict(d) for d in documents]
            self.received.clear()
            self.compressed_seen = 0

    def stop(self):
        self.running = False
        self.listener.close()
        if self.tls_listener is not None:
            self.tls_listener.close()

    # ---- the wire ----

    def _accept(self, listener: socket.socket, tls: ssl.SSLContext | None):
        while self.running:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, tls), daemon=True).start()

    def _serve(self, conn: socket.socket, tls: ssl.SSLContext | None):
        if tls is not None:
            try:
                conn = tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()
                return
        with conn:
            while True:
                header = _recv_exact(conn, 16)
                if header is None:
                    return
                length, request_id, _, opcode = struct.unpack("<iiii", header)
                body = _recv_exact(conn, length - 16)
                if body is None:
                    return
                if opcode == OP_COMPRESSED:
                    opcode, _, compressor = struct.unpack_from("<iiB", body, 0)
                    if compressor != ZLIB:
                        return
                    body = zlib.decompress(body[9:])
                    with self.lock:
                        self.compressed_seen += 1
                if opcode == OP_QUERY:
                    reply = self._op_query(body, request_id)
                elif opcode == OP_MSG:
                    reply = self._op_msg(body, request_id)
                else:
                    return  # not spoken here
                if reply:
                    conn.sendall(reply)

    def _message(self, response_to: int, opcode: int, body: bytes) -> bytes:
        with self.lock:
            self.next_id += 1
            reply_id = self.next_id
        return struct.pack("<iiii", 16 + len(body), reply_id, response_to, opcode) + body

    def _op_query(self, body: bytes, request_id: int) -> bytes:
        namespace_end = body.index(b"\0", 4)
        namespace = body[4:namespace_end].decode()
        query_at = namespace_end + 1 + 8
        query_length = struct.unpack_from("<i", body, query_at)[0]
        query = bson.decode(body[query_at:query_at + query_length])
        if "$query" in query:
            query = query["$query"]
        database = namespace.split(".", 1)[0]
        result = self._run(database, query)
        document = bson.encode(result)
        return self._message(request_id, OP_REPLY, struct.pack("<iqii", 0, 0, 0, 1) + document)

    def _op_msg(self, body: bytes, request_id: int) -> bytes | None:
        flags = struct.unpack_from("<I", body, 0)[0]
        end = len(body) - (4 if flags & CHECKSUM_PRESENT else 0)
        at, command = 4, None
        sequences: dict[str, list[dict]] = {}
        while at < end:
            kind = body[at]
            at += 1
            if kind == 0:
                size = struct.unpack_from("<i", body, at)[0]
                command = bson.decode(body[at:at + size])
                at += size
            else:
                size = struct.unpack_from("<i", body, at)[0]
                section_end = at + size
                name_end = body.index(b"\0", at + 4)
                name = body[at + 4:name_end].decode()
                documents, at = [], name_end + 1
                while at < section_end:
                    doc_size = struct.unpack_from("<i", body, at)[0]
                    documents.append(bson.decode(body[at:at + doc_size]))
                    at += doc_size
                sequences[name] = documents
        command.update(sequences)
        result = self._run(command.get("$db", "admin"), command)
        if flags & MORE_TO_COME:
            return None
        return self._message(request_id, OP_MSG, struct.pack("<I", 0) + b"\0" + bson.encode(result))

    # ---- the commands ----

    def _run(self, database: str, command: dict) -> dict:
        name = next(iter(command))
        with self.lock:
            self.received.append((database, command))
            collection = command[name] if isinstance(command[name], str) else ""
            key = (database, collection)
            if name in ("hello", "isMaster", "ismaster"):
                hello = dict(HELLO)
                if "zlib" in command.get("compression", []):
                    hello["compression"] = ["zlib"]
                return hello
            if name == "find":
                wanted = command.get("filter") or {}
                found = [d for d in self.collections.get(key, [])
                         if all(d.get(k) == v for k, v in wanted.items())]
                return {"cursor": {"firstBatch": found, "id": 0, "ns": f"{database}.{collection}"}, "ok": 1.0}
            if name == "insert":
                documents = command.get("documents", [])
                self.collections.setdefault(key, []).extend(documents)
                return {"n": len(documents), "ok": 1.0}
            if name == "delete":
                removed = 0
                for one in command.get("deletes", []):
                    q = one.get("q") or {}
                    kept = [d for d in self.collections.get(key, []) if not all(d.get(k) == v for k, v in q.items())]
                    removed += len(self.collections.get(key, [])) - len(kept)
                    self.collections[key] = kept
                return {"n": removed, "ok": 1.0}
            if name == "drop":
                if self.collections.pop(key, None) is None:
                    return {"ok": 0.0, "errmsg": "ns not found", "code": 26, "codeName": "NamespaceNotFound"}
                return {"ns": f"{database}.{collection}", "nIndexesWas": 1, "ok": 1.0}
            return {"ok": 1.0}  # ping, buildInfo, endSessions, ...
