"""A loopback HTTPS stand-in for AWS that checks every request's SigV4
signature with the REAL key, using botocore's own signer (python3-botocore),
for the credential broker's tests (test_credentials.py): the sandbox signs
with stubs, so a request only verifies here if askfirstd re-signed it
correctly with the real key and session token.

It answers RDS DescribeDBInstances (query protocol, signed body hash), S3
PutObject/GetObject (path-style, x-amz-content-sha256) and presigned S3 GETs;
a request that does not verify gets AWS's 403 SignatureDoesNotMatch. Every
request is recorded with its verification result. 127.0.0.1 only.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from http_origin import RDS_DESCRIBE

MAX_OBJECT = 128 << 20


@dataclass
class RealKeys:
    access_key_id: str
    secret_access_key: str
    session_token: str = ""


def _signature_fields(authorization: str) -> dict:
    fields = {}
    for part in authorization[len("AWS4-HMAC-SHA256"):].split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    return fields


def verify_sigv4(method: str, path: str, headers: dict, body: bytes, keys: RealKeys) -> str:
    """'' when the request verifies under `keys`, else what is wrong (botocore computes the signature)."""
    credentials = Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token or None)
    host = headers.get("host", "")
    if "authorization" in headers:
        fields = _signature_fields(headers["authorization"])
        access_key, date, region, service, _ = fields["Credential"].split("/")
        if access_key != keys.access_key_id:
            return f"access key {access_key!r} is not the real one"
        if keys.session_token and headers.get("x-amz-security-token") != keys.session_token:
            return "the session token is not the real one"
        signed = fields["SignedHeaders"].split(";")
        request = AWSRequest(method=method, url=f"https://{host}{path}", data=body,
                             headers={name: headers[name] for name in signed if name in headers})
        request.context["timestamp"] = headers["x-amz-date"]
        signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(credentials, service, region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        return "" if expected == fields["Signature"] else "SignatureDoesNotMatch"
    raw_path, _, query = path.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "X-Amz-Signature" not in params:
        return "no signature"
    access_key, date, region, service, _ = params["X-Amz-Credential"].split("/")
    if access_key != keys.access_key_id:
        return f"access key {access_key!r} is not the real one"
    if keys.session_token and params.get("X-Amz-Security-Token") != keys.session_token:
        return "the session token is not the real one"
    unsigned_query = "&".join(pair for pair in query.split("&") if not pair.startswith("X-Amz-Signature="))
    request = AWSRequest(method=method, url=f"https://{host}{raw_path}?{unsigned_query}",
                         headers={name: headers[name] for name in params["X-Amz-SignedHeaders"].split(";")})
    request.context["timestamp"] = params["X-Amz-Date"]
    signer = S3SigV4QueryAuth(credentials, service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return "" if expected == params["X-Amz-Signature"] else "SignatureDoesNotMatch"


STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_TRAILER = STREAMING + "-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def decode_aws_chunked(body: bytes, headers: dict, keys: RealKeys) -> tuple[bytes, str]:
    """The payload of an aws-chunked body whose every chunk signature verifies under the real key
    (AWS S3 reference, "Transferring Payload in Multiple Chunks"), else (b"", what is wrong). With
    signed trailers ("Signature calculations for trailing headers") the trailer signature must verify
    too, and an x-amz-checksum-crc32 trailer must match the payload; the names are in `headers`
    under "x-received-trailers" afterwards."""
    with_trailers = headers.get("x-amz-content-sha256") == STREAMING_TRAILER
    fields = _signature_fields(headers["authorization"])
    _, date, region, service, _ = fields["Credential"].split("/")
    key = signing_key(keys.secret_access_key, date, region, service)
    scope = f"{date}/{region}/{service}/aws4_request"
    previous, payload, rest = fields["Signature"], b"", body
    while True:
        line, _, rest = rest.partition(b"\r\n")
        size_hex, _, signature = line.decode().partition(";chunk-signature=")
        size = int(size_hex, 16)
        data, rest = rest[:size], rest[size + 2:]
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", headers["x-amz-date"], scope, previous, EMPTY_SHA256,
                             hashlib.sha256(data).hexdigest()])
        if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != signature:
            return b"", f"chunk {len(payload)}: signature does not verify"
        previous, payload = signature, payload + data
        if size == 0 and not with_trailers:
            return payload, ""
        if size == 0:
            return payload, _verify_trailers(body[len(body) - len(rest) - 2:], previous, key, headers, scope, payload)


def _verify_trailers(rest: bytes, previous: str, key: bytes, headers: dict, scope: str, payload: bytes) -> str:
    """`rest` starts right after the last chunk's header line: trailer lines, the signature, an empty line."""
    lines = rest.decode().split("\r\n")
    if lines[-2:] != ["", ""]:
        return "trailers not ended by an empty line"
    fields = [line.split(":", 1) for line in lines[:-2]]
    if not fields or fields[-1][0] != "x-amz-trailer-signature":
        return "no trailer signature"
    trailers = sorted((name.lower(), value.strip()) for name, value in fields[:-1])
    canonical = "".join(f"{name}:{value}\n" for name, value in trailers)
    to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", headers["x-amz-date"], scope, previous,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields[-1][1]:
        return "trailer signature does not verify"
    crc = dict(trailers).get("x-amz-checksum-crc32")
    if crc is not None and crc != base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode():
        return "x-amz-checksum-crc32 does not match the payload"
    headers["x-received-trailers"] = [name for name, _ in trailers]
    return ""


class Sigv4Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        origin = self.server.origin
        if len(body) < length:  # cut off: askfirstd ended the flow
            origin.record({"method": self.command, "path": self.path, "headers": headers, "verified": False,
                           "problem": "body cut off", "length": len(body), "sha256": ""})
            return
        problem = verify_sigv4(self.command, self.path, headers, body, origin.keys)
        if not problem and headers.get("x-amz-content-sha256") in (STREAMING, STREAMING_TRAILER):
            body, problem = decode_aws_chunked(body, headers, origin.keys)
        origin.record({"method": self.command, "path": self.path, "headers": headers, "length": len(body),
                       "sha256": hashlib.sha256(body).hexdigest(), "verified": problem == "", "problem": problem,
                       "trailers": headers.pop("x-received-trailers", [])})
        if problem:
            self.reply(403, "text/xml", f"<Error><Code>SignatureDoesNotMatch</Code><Message>{problem}</Message>"
                                        "</Error>".encode())
            return
        raw_path = self.path.split("?")[0]
        if "/rds/" in headers.get("authorization", ""):
            self.reply(200, "text/xml", RDS_DESCRIBE.encode())
        elif self.command == "PUT":
            origin.objects[raw_path] = body
            self.reply(200, "text/xml", b"", [("ETag", '"' + hashlib.md5(body).hexdigest() + '"')])
        elif self.command in ("GET", "HEAD") and raw_path in origin.objects:
            self.reply(200, "application/octet-stream", origin.objects[raw_path])
        else:
            self.reply(404, "text/xml", b"<Error><Code>NoSuchKey</Code></Error>")

    def reply(self, status: int, content_type: str, body: bytes, extra=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Sigv4Origin:
    def __init__(self, test_ca: Path, keys: RealKeys):
        self.keys = keys
        self.objects: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Sigv4Handler)
        self.server.daemon_threads = True
        self.server.origin = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(test_ca / "origin.pem", test_ca / "origin.key")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, request: dict) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[dict]:
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


__all__ = ["Sigv4Origin", "RealKeys", "verify_sigv4", "urlencode"]
