"""Real peers on loopback for the integration tests: nginx, TCP echo, a
digest server (replies only after the client's FIN), a blaster and a slow
sink (back-pressure), UDP echo, git daemon, and a fake host DNS server.

Every server binds only to 127.0.0.0/8 or ::1, on a port chosen free by the
kernel, and is stopped by its fixture. Nothing here talks to any other
address (tests/ rule: loopback or the test's own namespaces only).
"""
import asyncio
import hashlib
import os
import socket
import subprocess
import threading
import time


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port the kernel says is free on `host` now (bound and released)."""
    with socket.socket(family, kind) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def free_port_both():
    """A TCP port free on both 127.0.0.1 and ::1."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
                probe.bind(("::1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no TCP port free on both 127.0.0.1 and ::1")


def wait_for_tcp(host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port} after {timeout}s")


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    types {{ application/octet-stream bin; text/plain txt; }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        listen [::1]:{port} backlog=4096;
        root {root};
        location /upload/ {{
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 0;
            client_body_buffer_size 1m;
        }}
    }}
}}
"""


class Nginx:
    """nginx serving `root` on 127.0.0.1:port and [::1]:port; PUT to /upload/."""

    def __init__(self, workdir, root):
        self.dir = workdir
        self.root = root
        self.port = free_port_both()
        os.makedirs(os.path.join(root, "upload"), exist_ok=True)
        conf = os.path.join(workdir, "nginx.conf")
        with open(conf, "w") as out:
            out.write(NGINX_CONF.format(dir=workdir, port=self.port, root=root))
        self.process = subprocess.Popen(["nginx", "-c", conf, "-p", workdir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_tcp("127.0.0.1", self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class AsyncServers:
    """One asyncio loop in a thread that hosts the small TCP servers."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers = []

    def start(self, handler, host="127.0.0.1"):
        async def create():
            server = await asyncio.start_server(handler, host, 0, backlog=4096, limit=1 << 20)
            return server
        server = asyncio.run_coroutine_threadsafe(create(), self.loop).result(10)
        self.servers.append(server)
        return server.sockets[0].getsockname()[1]

    def stop(self):
        async def close_all():
            for server in self.servers:
                server.close()
        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def echo_handler(reader, writer):
    """Echoes until the client's FIN, then closes."""
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def digest_handler(reader, writer):
    """Reads to the client's FIN, then answers the sha256 of what came."""
    digest = hashlib.sha256()
    try:
        while chunk := await reader.read(1 << 20):
            digest.update(chunk)
        writer.write((digest.hexdigest() + "\n").encode())
        await writer.drain()
    except ConnectionError:
        pass
    writer.close()


class Blaster:
    """Sends as fast as the peer takes it, until the peer goes; counts bytes."""

    def __init__(self):
        self.sent = 0

    async def handler(self, reader, writer):
        block = b"x" * 65536
        try:
            while True:
                writer.write(block)
                await writer.drain()
                self.sent += len(block)
        except (ConnectionError, OSError):
            pass
        writer.close()


class SlowSink:
    """Reads `first` bytes, stops reading for `pause` seconds, then reads to EOF."""

    def __init__(self, first=1 << 20, pause=10.0):
        self.first = first
        self.pause = pause
        self.received = 0
        self.paused = threading.Event()

    async def handler(self, reader, writer):
        try:
            while self.received < self.first:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                self.received += len(chunk)
            self.paused.set()
            await asyncio.sleep(self.pause)
            while chunk := await reader.read(1 << 20):
                self.received += len(chunk)
            writer.write(f"{self.received}\n".encode())
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()


class UdpEcho:
    """UDP echo on 127.0.0.1 (port given or free); counts datagrams received."""

    def __init__(self, port=None):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", port or 0))
        self.port = self.socket.getsockname()[1]
        self.received = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.socket.settimeout(0.2)
        while self.running:
            try:
                data, peer = self.socket.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received += 1
            self.socket.sendto(data, peer)

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.socket.close()


class GitDaemon:
    """git daemon on 127.0.0.1 exporting `base` with push (receive-pack) on."""

    def __init__(self, base):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", f"--base-path={base}", "--export-all", "--enable=receive-pack",
             "--listen=127.0.0.1", f"--port={self.port}", base],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_tcp("127.0.0.1", self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


NAMESPACED_UDP_ECHO = r'''
import socket, sys, time
address, ports, log = sys.argv[1], [int(p) for p in sys.argv[2].split(",")], sys.argv[3]
sockets = []
deadline = time.monotonic() + 10
for port in ports:
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((address, port))
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    sockets.append(s)
open(log, "a").write("ready\n")
import selectors
selector = selectors.DefaultSelector()
for s in sockets:
    selector.register(s, selectors.EVENT_READ)
while True:
    for key, _ in selector.select():
        data, peer = key.fileobj.recvfrom(65535)
        with open(log, "a") as out:
            out.write(f"got {key.fileobj.getsockname()[1]}\n")
        key.fileobj.sendto(data, peer)
'''


class NamespacedUdpEcho:
    """A UDP echo in a network namespace this test creates, reached from the
    host over a veth pair (198.18.0.0/15, RFC 2544's benchmarking range, so
    it clashes with no real network). slirp's NAT in askfirstd (host netns)
    can send to it without any packet leaving the machine. Needs root."""

    def __init__(self, ports, workdir):
        import random
        subnet = random.randrange(1, 255)
        self.host_address = f"198.18.{subnet}.1"
        self.address = f"198.18.{subnet}.2"
        self.log = os.path.join(workdir, f"udp-echo-{subnet}.log")
        self.process = subprocess.Popen(["unshare", "--net", "python3", "-c", NAMESPACED_UDP_ECHO, self.address,
                                         ",".join(str(p) for p in ports), self.log])
        self.link = f"afu{self.process.pid % 100000}"
        pid = str(self.process.pid)
        self._wait_for_own_netns(pid)
        for command in (["ip", "link", "add", self.link, "type", "veth", "peer", "name", "eth0", "netns", pid],
                        ["ip", "addr", "add", f"{self.host_address}/30", "dev", self.link],
                        ["ip", "link", "set", self.link, "up"],
                        ["nsenter", "-t", pid, "-n", "ip", "addr", "add", f"{self.address}/30", "dev", "eth0"],
                        ["nsenter", "-t", pid, "-n", "ip", "link", "set", "eth0", "up"]):
            subprocess.run(command, check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "ready" not in self._lines():
            time.sleep(0.05)

    def _wait_for_own_netns(self, pid):
        """`unshare --net` takes a moment before it is in its new namespace: a veth peer
        sent to the pid before that lands in the host's namespace (seen as a rare fixture
        error under load). Wait until the process's namespace differs from ours."""
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{pid}/ns/net") != ours:
                    return
            except FileNotFoundError:
                break
            time.sleep(0.01)
        raise RuntimeError(f"the UDP echo (pid {pid}) never entered its own network namespace")

    def _lines(self):
        try:
            with open(self.log) as log:
                return log.read().split("\n")
        except FileNotFoundError:
            return []

    def received(self, port):
        return self._lines().count(f"got {port}")

    def stop(self):
        self.process.kill()  # its namespace, and the veth pair with it, go away
        self.process.wait(10)
