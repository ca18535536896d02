"""Scripted stand-ins for the agent tests (test_agent_claude_code.py): one
loopback HTTPS server that plays Anthropic's Messages API (api.anthropic.com,
streaming SSE) and AWS RDS (rds.amazonaws.com, rds.us-east-1.amazonaws.com), told apart by the
Host header; askfirstd's dns.hosts + upstream.map send both names here, and
its tls.extra_ca trusts the openssl-made test CA that signed this server's
certificate.

The model is a script, not a model: the first turn that offers the Bash tool
answers with one Bash tool call (`command`); a turn whose last user message
carries a tool result answers with text that quotes that result, so the
agent's final message shows what the tool saw. Any other call (titles,
quota probes, settings and telemetry GETs/POSTs) gets a short valid answer.
The event sequence and field names follow Anthropic's published streaming
reference (https://docs.anthropic.com/en/api/messages-streaming): message_start,
content_block_start/delta/stop, message_delta, message_stop; tool input
arrives as input_json_delta. Every request is recorded; listens on
127.0.0.1 only.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import ssl
import tarfile
import zipfile
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ANTHROPIC_HOST = "api.anthropic.com"
OPENAI_HOST = "api.openai.com"
# botocore sends RDS calls for us-east-1 to the legacy global name; the regional one too
RDS_HOSTS = ("rds.amazonaws.com", "rds.us-east-1.amazonaws.com")
NPM_HOST, PYPI_HOST, PYPI_FILES_HOST = "registry.npmjs.org", "pypi.org", "files.pythonhosted.org"
STANDIN_HOSTS = (ANTHROPIC_HOST, OPENAI_HOST, *RDS_HOSTS, NPM_HOST, PYPI_HOST, PYPI_FILES_HOST)
MODEL = "claude-sonnet-4-5"

RDS_DESCRIBE = """<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>prod-db-1</DBInstanceIdentifier>
<DBInstanceStatus>available</DBInstanceStatus></DBInstance></DBInstances></DescribeDBInstancesResult>
<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DescribeDBInstancesResponse>"""
RDS_DELETED = """<DeleteDBInstanceResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DeleteDBInstanceResult><DBInstance><DBInstanceIdentifier>prod-db-1</DBInstanceIdentifier>
<DBInstanceStatus>deleting</DBInstanceStatus></DBInstance></DeleteDBInstanceResult>
<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteDBInstanceResponse>"""


def make_ca_and_certificate(folder: Path, hosts: tuple[str, ...]) -> Path:
    """An openssl-made CA (ca.pem) and a server certificate for `hosts` (server.pem/.key)."""
    def run(*command):
        subprocess.run([str(part) for part in command], check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2", "-subj", "/CN=askfirst agent test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "server.key", "-out", folder / "server.csr", "-subj", f"/CN={hosts[0]}")
    (folder / "ext").write_text("subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts) + "\n")
    run("openssl", "x509", "-req", "-in", folder / "server.csr", "-CA", folder / "ca.pem", "-CAkey", folder / "ca.key",
        "-CAcreateserial", "-out", folder / "server.pem", "-days", "2", "-extfile", folder / "ext")
    return folder


def tool_result_text(messages: list) -> str | None:
    """The text of a tool_result in the last user message, if it carries one."""
    if not messages or messages[-1].get("role") != "user" or not isinstance(messages[-1].get("content"), list):
        return None
    for block in messages[-1]["content"]:
        if block.get("type") != "tool_result":
            continue
        content = block.get("content")
        if isinstance(content, list):
            return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content or "")
    return None


def sse(events: list[tuple[str, dict]]) -> bytes:
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def message_events(block: dict, stop_reason: str) -> list[tuple[str, dict]]:
    """One message with one content block, as the streaming reference orders its events."""
    started = dict(block, input={}) if block["type"] == "tool_use" else dict(block, text="")
    if block["type"] == "tool_use":
        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
    else:
        delta = {"type": "text_delta", "text": block["text"]}
    return [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_standin", "type": "message", "role": "assistant", "model": MODEL, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": started}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                           "usage": {"output_tokens": 20}}),
        ("message_stop", {"type": "message_stop"}),
    ]


def offered_tools(request: dict) -> dict:
    """name -> tool, from `tools` and from the `additional_tools` input items (their namespaces),
    where Codex 0.171 declares its tools."""
    tools = [tool for tool in request.get("tools") or [] if isinstance(tool, dict)]
    for item in request.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            for tool in item.get("tools") or []:
                tools += tool.get("tools", []) if tool.get("type") == "namespace" else [tool]
    return {tool.get("name"): tool for tool in tools if tool.get("name")}


def shell_call(tools: dict, command: str) -> dict | None:
    """A call of whichever shell tool the client offers, in that tool's own shape: Codex's freeform
    `exec` (JavaScript that calls the nested exec_command tool it declares), or a function whose
    JSON schema takes an argv array or a command string."""
    exec_tool = tools.get("exec")
    if exec_tool is not None and exec_tool.get("type") == "custom" and "exec_command" in exec_tool.get("description", ""):
        script = (f"const result = await tools.exec_command({{cmd: {json.dumps(command)}, yield_time_ms: 30000}});\n"
                  "text(result.output);\n")
        return {"type": "custom_tool_call", "id": "ctc_standin_1", "name": "exec", "input": script}
    for name in ("shell", "shell_command", "exec_command", "local_shell"):
        tool = tools.get(name)
        if tool is None:
            continue
        properties = (tool.get("parameters") or {}).get("properties") or {}
        if "command" in properties and properties["command"].get("type") == "array":
            arguments = {"command": ["bash", "-lc", command]}
        elif "command" in properties:
            arguments = {"command": command}
        elif "cmd" in properties:
            arguments = {"cmd": command}
        else:
            continue
        return {"type": "function_call", "id": "fc_standin_1", "name": name, "arguments": json.dumps(arguments)}
    return None


NPM_PACKAGE = "askfirst-tiny"
PYPI_PACKAGE = "askfirst_tiny"


@functools.lru_cache(maxsize=None)  # built once: gzip stamps the time, and the digests must not change
def npm_tarball() -> bytes:
    """An npm package tarball: package/package.json and package/index.js (fixed mtimes: stable digests)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.USTAR_FORMAT) as archive:
        for name, text in (("package/package.json", json.dumps({"name": NPM_PACKAGE, "version": "1.0.0",
                                                                 "main": "index.js"})),
                           ("package/index.js", "module.exports = 'tiny';\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@functools.lru_cache(maxsize=None)
def python_wheel() -> bytes:
    """A pure-Python wheel (PEP 427): the module, METADATA, WHEEL and RECORD."""
    files = {f"{PYPI_PACKAGE}.py": "VALUE = 'tiny'\n",
             f"{PYPI_PACKAGE}-1.0.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {PYPI_PACKAGE}\nVersion: 1.0.0\n",
             f"{PYPI_PACKAGE}-1.0.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: askfirst-test\n"
                                                    "Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = ""
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record += f"{name},sha256={digest},{len(text.encode())}\n"
    files[f"{PYPI_PACKAGE}-1.0.0.dist-info/RECORD"] = record + f"{PYPI_PACKAGE}-1.0.0.dist-info/RECORD,,\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


class StandinHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host", "").split(":")[0]
        self.server.standin.record({"host": host, "method": self.command, "path": self.path,
                                    "headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body.decode("utf-8", "replace")})
        if host in RDS_HOSTS:
            self.reply(200, "text/xml", (RDS_DELETED if b"DeleteDBInstance" in body else RDS_DESCRIBE).encode())
        elif host == NPM_HOST:
            self.npm_registry(self.path.split("?")[0])
        elif host in (PYPI_HOST, PYPI_FILES_HOST):
            self.pypi(self.path.split("?")[0])
        elif self.command == "POST" and self.path.split("?")[0] == "/v1/messages":
            self.messages(json.loads(body or b"{}"))
        elif host == OPENAI_HOST and self.command == "POST" and self.path.split("?")[0] == "/v1/responses":
            self.responses_api(json.loads(body or b"{}"))
        elif host == OPENAI_HOST:  # Codex's WebSocket attempt and model listing: it falls back / goes on
            self.reply(404, "application/json", b'{"error":{"type":"not_found","message":"not in the stand-in"}}')
        else:  # settings, policy limits, bootstrap, telemetry: an empty success
            self.reply(200, "application/json", b"{}")

    def messages(self, request: dict) -> None:
        result = tool_result_text(request.get("messages", []))
        offers_bash = any(tool.get("name") == "Bash" for tool in request.get("tools") or [])
        if result is not None:
            block, stop = {"type": "text", "text": "The command returned: " + result}, "end_turn"
        elif offers_bash:
            block = {"type": "tool_use", "id": "toolu_standin_1", "name": "Bash",
                     "input": {"command": self.server.standin.command, "description": "Run the requested command"}}
            stop = "tool_use"
            self.server.standin.tool_calls += 1
        else:
            block, stop = {"type": "text", "text": "ok"}, "end_turn"
        if request.get("stream"):
            self.reply(200, "text/event-stream", sse(message_events(block, stop)))
        else:
            message = {"id": "msg_standin", "type": "message", "role": "assistant", "model": MODEL, "content": [block],
                       "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 20}}
            self.reply(200, "application/json", json.dumps(message).encode())

    def responses_api(self, request: dict) -> None:
        """OpenAI's Responses API, streamed (https://platform.openai.com/docs/api-reference/responses-streaming):
        a function call of the shell tool Codex offers, then a message quoting its output."""
        items = request.get("input") or []
        outputs = [item for item in items if isinstance(item, dict)
                   and item.get("type") in ("function_call_output", "custom_tool_call_output")]
        tools = offered_tools(request)
        self.server.standin.offered_tools.append(sorted(name for name in tools if name))
        if outputs:
            output = outputs[-1].get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            item = {"type": "message", "role": "assistant", "id": "msg_standin",
                    "content": [{"type": "output_text", "text": "The command returned: " + text}]}
        elif (call := shell_call(tools, self.server.standin.command)) is not None:
            item = dict(call, call_id="call_standin_1")
            self.server.standin.tool_calls += 1
        else:
            item = {"type": "message", "role": "assistant", "id": "msg_standin",
                    "content": [{"type": "output_text", "text": "ok"}]}
        events = [
            ("response.created", {"type": "response.created", "response": {"id": "resp_standin"}}),
            ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item}),
            ("response.completed", {"type": "response.completed", "response": {
                "id": "resp_standin", "usage": {"input_tokens": 1, "input_tokens_details": None, "output_tokens": 1,
                                                "output_tokens_details": None, "total_tokens": 2}}}),
        ]
        self.reply(200, "text/event-stream", sse(events))

    def npm_registry(self, path: str) -> None:
        """One package, as the npm registry serves it (packument, tarball), and the audit endpoint
        every `npm install` posts to (https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md)."""
        if path == f"/{NPM_PACKAGE}":
            tarball = npm_tarball()
            packument = {"name": NPM_PACKAGE, "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {
                "name": NPM_PACKAGE, "version": "1.0.0",
                "dist": {"tarball": f"https://{NPM_HOST}/{NPM_PACKAGE}/-/{NPM_PACKAGE}-1.0.0.tgz",
                         "shasum": hashlib.sha1(tarball).hexdigest(),
                         "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()}}}}
            self.reply(200, "application/json", json.dumps(packument).encode())
        elif path == f"/{NPM_PACKAGE}/-/{NPM_PACKAGE}-1.0.0.tgz":
            self.reply(200, "application/octet-stream", npm_tarball())
        elif path.startswith("/-/npm/v1/security/"):
            self.reply(200, "application/json", b"{}")
        else:
            self.reply(404, "application/json", b'{"error":"Not found"}')

    def pypi(self, path: str) -> None:
        """One wheel, as PyPI's simple index (PEP 503) and its file host serve it."""
        wheel_name = f"{PYPI_PACKAGE}-1.0.0-py3-none-any.whl"
        if path.rstrip("/") == "/simple/" + PYPI_PACKAGE.replace("_", "-"):  # PEP 503's normalized name
            digest = hashlib.sha256(python_wheel()).hexdigest()
            page = (f'<!DOCTYPE html><html><body><a href="https://{PYPI_FILES_HOST}/packages/{wheel_name}'
                    f'#sha256={digest}">{wheel_name}</a></body></html>')
            self.reply(200, "text/html", page.encode())
        elif path == f"/packages/{wheel_name}":
            self.reply(200, "application/octet-stream", python_wheel())
        else:
            self.reply(404, "text/html", b"not found")

    def reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


class AgentStandins:
    """The stand-in server in a thread; `requests()` is what reached it, in order."""

    def __init__(self, ca_folder: Path, command: str):
        self.command = command
        self.tool_calls = 0
        self.offered_tools: list[list[str]] = []  # the tool names of each Responses API request
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), StandinHandler)
        self.server.daemon_threads = True
        self.server.standin = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca_folder / "server.pem", ca_folder / "server.key")
        context.set_alpn_protocols(["http/1.1"])
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
