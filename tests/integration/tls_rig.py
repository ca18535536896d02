"""The TLS side of the integration rig: a test CA (as a real service's CA
would be, given to askfirstd as tls.extra_ca), an nginx on loopback that
serves one port per certificate case (good, expired, wrong name,
self-signed), and a runner for `askfirst exec` with private XDG dirs so the
askfirst CA, the audit log and the control sockets belong to the tests.

Guest names resolve (dns.hosts) to documentation addresses (RFC 5737) that
askfirstd never dials: upstream.map sends each <address>:443 to one nginx
port on 127.0.0.1. nginx logs one line per request it received (with the
connection serial and its request count), so a test can check what reached
the server and what did not.
"""
import json
import os
import subprocess
import time

import servers
from conftest import ASKFIRST

# One guest name per certificate case: (name, guest address, cert file stem).
GOOD = ("web.tls.test", "198.51.100.20", "good")
EXPIRED = ("expired.tls.test", "198.51.100.21", "expired")
WRONG_NAME = ("wrong.tls.test", "198.51.100.22", "wrong")
SELF_SIGNED = ("self.tls.test", "198.51.100.23", "selfsigned")
PASS = ("pass.tls.test", "198.51.100.24", "good")
REFUSER = ("refuser.tls.test", "198.51.100.25", "good")
GIT = ("git.tls.test", "198.51.100.26", "good")  # served by git_https_server.py, not nginx
ALL_CASES = (GOOD, EXPIRED, WRONG_NAME, SELF_SIGNED, PASS, REFUSER)
GOOD_NAMES = [GOOD[0], PASS[0], REFUSER[0], GIT[0]]

TLS_NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format tls '$server_port $connection $connection_requests "$request" $status $request_length';
    access_log {dir}/access.log tls;
    sendfile on;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    types {{ application/octet-stream bin; text/plain txt; }}
    ssl_protocols TLSv1.2 TLSv1.3;
{http_extra}
{servers}
}}
"""

SERVER_BLOCK = """
    server {{
        listen 127.0.0.1:{port} ssl reuseport backlog=4096;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {root};
        location /upload/ {{
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 0;
            client_body_buffer_size 1m;
        }}
    }}
"""


def openssl(*arguments, cwd=None):
    subprocess.run(["openssl", *[str(part) for part in arguments]], check=True, capture_output=True, cwd=cwd)


def make_test_ca(folder):
    """A CA plus leaf certificates for each case, in `folder` (PEM files)."""
    def key(stem):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{folder}/{stem}.key")

    key("ca")
    openssl("req", "-x509", "-new", "-key", f"{folder}/ca.key", "-out", f"{folder}/ca.pem", "-days", "3",
            "-subj", "/CN=askfirst tls integration test CA")

    def leaf(stem, names, expired=False):
        key(stem)
        ext = f"{folder}/{stem}.ext"
        with open(ext, "w") as out:
            out.write("subjectAltName=" + ",".join(f"DNS:{name}" for name in names) + "\n")
        openssl("req", "-new", "-key", f"{folder}/{stem}.key", "-out", f"{folder}/{stem}.csr", "-subj", f"/CN={names[0]}")
        if expired:
            expired_leaf(folder, stem, ext)
        else:
            openssl("x509", "-req", "-in", f"{folder}/{stem}.csr", "-CA", f"{folder}/ca.pem", "-CAkey",
                    f"{folder}/ca.key", "-CAcreateserial", "-out", f"{folder}/{stem}.pem", "-days", "3",
                    "-extfile", ext)

    leaf("good", GOOD_NAMES)
    leaf("wrong", ["not-the-name.tls.test"])
    leaf("expired", [EXPIRED[0]], expired=True)
    openssl("req", "-x509", "-new", "-key", f"{folder}/good.key", "-out", f"{folder}/selfsigned.pem", "-days", "3",
            "-subj", f"/CN={SELF_SIGNED[0]}", "-addext", f"subjectAltName=DNS:{SELF_SIGNED[0]}")
    with open(f"{folder}/selfsigned.key", "wb") as out, open(f"{folder}/good.key", "rb") as source:
        out.write(source.read())
    return folder


def expired_leaf(folder, stem, ext):
    """Signs `stem`.csr with validity 2020-01-01 .. 2020-01-02 via a tiny `openssl ca` setup."""
    database = f"{folder}/ca-db"
    os.makedirs(database, exist_ok=True)
    open(f"{database}/index.txt", "w").close()
    with open(f"{database}/serial", "w") as out:
        out.write("1000\n")
    config = f"{folder}/ca.cnf"
    with open(config, "w") as out:
        out.write(f"""[ca]
default_ca = test
[test]
dir = {database}
database = {database}/index.txt
serial = {database}/serial
new_certs_dir = {database}
certificate = {folder}/ca.pem
private_key = {folder}/ca.key
default_md = sha256
policy = anything
copy_extensions = none
[anything]
commonName = supplied
""")
    openssl("ca", "-batch", "-config", config, "-in", f"{folder}/{stem}.csr", "-out", f"{folder}/{stem}.pem",
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", ext, "-notext")


class TlsNginx:
    """nginx with one TLS port per certificate stem, all logging to access.log."""

    def __init__(self, workdir, root, ca_folder, stems=("good", "expired", "wrong", "selfsigned"), http_extra=""):
        """`http_extra`: more directives for the http block (a benchmark turns session resumption off)."""
        self.dir = workdir
        self.ports = {stem: servers.free_port() for stem in stems}
        blocks = "".join(SERVER_BLOCK.format(port=port, cert=f"{ca_folder}/{stem}.pem",
                                             key=f"{ca_folder}/{stem}.key", root=root)
                         for stem, port in self.ports.items())
        os.makedirs(os.path.join(root, "upload"), exist_ok=True)
        conf = os.path.join(workdir, "nginx.conf")
        with open(conf, "w") as out:
            out.write(TLS_NGINX_CONF.format(dir=workdir, servers=blocks, http_extra=http_extra))
        self.log = os.path.join(workdir, "access.log")
        self.process = subprocess.Popen(["nginx", "-c", conf, "-p", workdir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in self.ports.values():
            servers.wait_for_tcp("127.0.0.1", port)

    def requests(self, stem=None):
        """Logged requests as dicts (port, connection, count, request, status), optionally of one case."""
        if not os.path.exists(self.log):
            return []
        lines = []
        with open(self.log) as log:
            for line in log:
                port, connection, count, rest = line.split(" ", 3)
                request, status, length = rest.rsplit(" ", 2)
                entry = {"port": int(port), "connection": int(connection), "count": int(count),
                         "request": request.strip('"'), "status": int(status), "length": int(length)}
                if stem is None or entry["port"] == self.ports[stem]:
                    lines.append(entry)
        return lines

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def tls_profile(name, ca_folder, nginx, mode="off", passthrough=(), extra=None):
    """A profile mapping every case's name to its nginx port over TLS."""
    hosts, upstream = {}, {}
    for host, address, stem in ALL_CASES:
        hosts[host] = address
        upstream[f"{address}:443"] = f"127.0.0.1:{nginx.ports[stem]}"
    profile = {"name": name, "modes": {"default": mode}, "dns": {"hosts": hosts}, "upstream": {"map": upstream},
               "tls": {"extra_ca": [f"{ca_folder}/ca.pem"], "passthrough": list(passthrough)}}
    profile.update(extra or {})
    return profile


class XdgHome:
    """Private XDG data/state/runtime dirs passed to askfirst through env."""

    def __init__(self, folder):
        self.env = dict(os.environ)
        for variable, sub in (("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"), ("XDG_RUNTIME_DIR", "run")):
            path = os.path.join(folder, sub)
            os.makedirs(path, mode=0o700, exist_ok=True)
            self.env[variable] = path
        self.folder = folder

    def askfirst(self, *arguments, timeout=60):
        return subprocess.run([ASKFIRST, *arguments], capture_output=True, text=True, timeout=timeout, env=self.env)

    def ca_pem_file(self):
        """askfirst's CA exported to a file the guest can pass to --cacert."""
        done = self.askfirst("ca", "export", "--pem")
        assert done.returncode == 0, done.stderr
        path = os.path.join(self.folder, "askfirst-ca.pem")
        with open(path, "w") as out:
            out.write(done.stdout)
        return path


class TlsExec:
    """Runs scripts in `askfirst exec` with a profile, under an XdgHome."""

    counter = 0

    def __init__(self, home, workdir):
        self.home, self.workdir = home, workdir

    def command(self, profile, script):
        TlsExec.counter += 1
        name = f"tls-{os.getpid()}-{TlsExec.counter}"
        profile = dict(profile, name=name)
        path = os.path.join(self.workdir, f"{name}.json")
        with open(path, "w") as out:
            json.dump(profile, out)
        return [ASKFIRST, "exec", "--profile", path, "--name", name, "--", "sh", "-c", script]

    def run(self, profile, script, timeout=180):
        started = time.monotonic()
        done = subprocess.run(self.command(profile, script), capture_output=True, text=True, timeout=timeout,
                              env=self.home.env)
        done.seconds = time.monotonic() - started
        return done

    def popen(self, profile, script):
        return subprocess.Popen(self.command(profile, script), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.home.env)
