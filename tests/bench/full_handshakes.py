"""tests/bench/full_handshakes.py — a load client that never resumes a TLS
session: N connections at a time, each a new TCP connection, a full TLS
handshake, one `GET PATH` with `Connection: close`, read to the end.

Why not wrk: wrk keeps each connection's OpenSSL session across reconnects
(SSL_clear keeps it), so against a server that issues session tickets or
keeps a session cache (askfirstd's guest side does both) every connection
after the first is resumed, and "new TLS connections/s" then measures one
full handshake (askfirst's upstream leg) instead of two. Clients an agent
runs (curl, pip, git, a Go or Python API client in a new process) start
with no session, so the figure that matters is this one.

Usage (in the sandbox or on the host): python3 full_handshakes.py HOST PORT
SERVER_NAME PATH SECONDS CONNECTIONS. Prints one line:
`connections=N seconds=S p50_ms=X p99_ms=Y errors=E` (connections
completed with a 200, latency from connect to the end of the response).
The certificate is not checked (wrk does not either): this measures cost.
"""
import socket
import ssl
import sys
import threading
import time


def main():
    host, port, name, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    seconds, connections = float(sys.argv[5]), int(sys.argv[6])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = f"GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode()
    latencies, errors = [], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def one_connection():
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=30) as raw:
            # A new SSLSocket with no `session=`: a full handshake every time.
            with context.wrap_socket(raw, server_hostname=name) as tls:
                tls.sendall(request)
                answer = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(answer[:40])
        return time.monotonic() - started

    def worker():
        mine, failed = [], 0
        while time.monotonic() < deadline:
            try:
                mine.append(one_connection())
            except (OSError, RuntimeError, ssl.SSLError):
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def percentile(fraction):
        return latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] * 1000 if latencies else float("nan")
    print(f"connections={len(latencies)} seconds={elapsed:.3f} p50_ms={percentile(0.5):.2f} "
          f"p99_ms={percentile(0.99):.2f} errors={errors[0]}")


if __name__ == "__main__":
    main()
