#!/usr/bin/env python3
"""A small local stand-in of two cloud APIs, for askfirst's offline demo.

It plays, on 127.0.0.1 only, over TLS with a certificate from a demo CA:
  - a Railway-shaped GraphQL endpoint (POST /graphql/v2 at backboard.railway.com):
    `volumes` lists volumes, `volumeDelete(volumeId:)` deletes one;
  - an RDS-shaped query endpoint (POST / at rds.us-east-1.amazonaws.com):
    `Action=DescribeDBInstances`, `Action=DeleteDBInstance`.
It is a toy, not a parser of either API: it looks for the field names it
knows. Every request that reaches it is appended to --request-log (one JSON
line each) and the state after each change to --state-file, so the demo can
show what did and did not arrive.

usage: standin_cloud.py --cert PEM --key PEM --port-file FILE --request-log FILE --state-file FILE
"""
from __future__ import annotations

import argparse
import json
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATE_LOCK = threading.Lock()
STATE = {
    "volumes": {"vol_prod_7f3a91": "production-db-volume", "vol_staging_2b8c": "staging-db-volume"},
    "db_instances": {"prod-db-1": "available"},
}


class StandInHandler(BaseHTTPRequestHandler):
    server_version = "standin-cloud/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:  # the request log below replaces stderr chatter
        pass

    def do_GET(self) -> None:
        self.handle_request(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.handle_request(self.rfile.read(length))

    def handle_request(self, body: bytes) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        with open(self.server.request_log, "a") as log:
            log.write(json.dumps({"method": self.command, "host": host, "path": self.path,
                                  "body": body.decode(errors="replace")}) + "\n")
        if host.startswith("backboard.railway"):
            status, content_type, reply = self.railway(body)
        elif host.startswith("rds."):
            status, content_type, reply = self.rds(body)
        else:
            status, content_type, reply = 404, "text/plain", b"unknown host\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def railway(self, body: bytes):
        request = json.loads(body or b"{}")
        query = request.get("query", "")
        with STATE_LOCK:
            if "volumeDelete" in query:
                volume = request.get("variables", {}).get("volumeId", "")
                existed = STATE["volumes"].pop(volume, None) is not None
                self.save_state()
                data = {"data": {"volumeDelete": existed}}
            elif "volumes" in query:
                edges = [{"node": {"id": key, "name": name}} for key, name in STATE["volumes"].items()]
                data = {"data": {"volumes": {"edges": edges}}}
            else:
                data = {"errors": [{"message": "the stand-in knows volumes and volumeDelete only"}]}
        return 200, "application/json", json.dumps(data).encode()

    def rds(self, body: bytes):
        form = urllib.parse.parse_qs(body.decode())
        action = form.get("Action", [""])[0]
        with STATE_LOCK:
            if action == "DescribeDBInstances":
                items = "".join(f"<DBInstance><DBInstanceIdentifier>{key}</DBInstanceIdentifier>"
                                f"<DBInstanceStatus>{status}</DBInstanceStatus></DBInstance>"
                                for key, status in STATE["db_instances"].items())
                reply = f"<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>{items}" \
                        "</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>"
            elif action == "DeleteDBInstance":
                identifier = form.get("DBInstanceIdentifier", [""])[0]
                STATE["db_instances"].pop(identifier, None)
                self.save_state()
                reply = f"<DeleteDBInstanceResponse><DBInstanceIdentifier>{identifier}</DBInstanceIdentifier>" \
                        "</DeleteDBInstanceResponse>"
            else:
                return 400, "text/xml", b"<Error><Code>InvalidAction</Code></Error>"
        return 200, "text/xml", reply.encode()

    def save_state(self) -> None:
        Path(self.server.state_file).write_text(json.dumps(STATE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port-file", required=True, help="where to write the port it listens on")
    parser.add_argument("--request-log", required=True)
    parser.add_argument("--state-file", required=True)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInHandler)
    server.request_log = args.request_log
    server.state_file = args.state_file
    Path(args.state_file).write_text(json.dumps(STATE))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    Path(args.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
