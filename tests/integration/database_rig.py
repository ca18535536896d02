"""The rig of the database wire-protocol tests (tests/integration/test_postgres*.py):
a real PostgreSQL 15 cluster made with initdb in a temporary directory and
run as the `postgres` user on loopback (optionally with TLS from an
openssl-made test CA that askfirstd trusts through tls.extra_ca), and
`DatabaseSandbox.run(mode, script)`: one `askfirst exec` whose profile maps
the name db.test to that server, returning what the client printed and the
audit records of that run. The test reads the server's state directly over
its unix socket, never through askfirst.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ASKFIRST
from http_rig import read_audit
from servers import free_port, wait_for_tcp

DB_HOST, DB_ADDRESS = "db.test", "198.51.100.20"
CACHE_HOST, CACHE_ADDRESS = "cache.test", "198.51.100.21"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def make_db_ca(folder: Path) -> Path:
    """An openssl-made CA and a server certificate for db.test."""
    def run(*args):
        subprocess.run([str(a) for a in args], check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "ca.key", "-out", folder / "ca.pem", "-days", "2", "-subj", "/CN=askfirst db test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", folder / "server.key", "-out", folder / "server.csr", "-subj", f"/CN={DB_HOST}")
    (folder / "ext").write_text(f"subjectAltName=DNS:{DB_HOST},DNS:{CACHE_HOST},DNS:mongo.test\n")
    run("openssl", "x509", "-req", "-in", folder / "server.csr", "-CA", folder / "ca.pem", "-CAkey", folder / "ca.key",
        "-CAcreateserial", "-out", folder / "server.pem", "-days", "2", "-extfile", folder / "ext")
    return folder


class Postgres:
    """One PostgreSQL 15 cluster on 127.0.0.1, trust authentication, owned by `postgres`."""

    def __init__(self, tls_folder: Path | None = None):
        if not (PG_BIN / "initdb").exists():
            pytest.skip("PostgreSQL 15 is not installed (tools/setup.sh installs postgresql)")
        account = pwd.getpwnam("postgres")
        self.dir = Path(tempfile.mkdtemp(prefix="askfirst-pg-"))
        os.chown(self.dir, account.pw_uid, account.pw_gid)
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync",
                          "-E", "UTF8", "--locale=C")
        settings = ["listen_addresses = '127.0.0.1'", f"port = {self.port}", f"unix_socket_directories = '{self.dir}'",
                    "fsync = off", "max_connections = 40"]
        if tls_folder is not None:
            for name in ("server.pem", "server.key"):
                shutil.copy(tls_folder / name, self.data / name)
                os.chown(self.data / name, account.pw_uid, account.pw_gid)
                os.chmod(self.data / name, 0o600)
            settings += ["ssl = on", "ssl_cert_file = 'server.pem'", "ssl_key_file = 'server.key'"]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(settings) + "\n")
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "start")
        wait_for_tcp("127.0.0.1", self.port)

    @staticmethod
    def _as_postgres(*args):
        done = subprocess.run(["runuser", "-u", "postgres", "--", *[str(a) for a in args]],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def sql(self, text: str) -> str:
        """Runs SQL directly (unix socket, not through askfirst); returns psql's unaligned output."""
        done = subprocess.run(["psql", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                               "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", text],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def db_ca(tmp_path_factory) -> Path:
    return make_db_ca(tmp_path_factory.mktemp("db-test-ca"))


@pytest.fixture(scope="module")
def postgres(db_ca):
    server = Postgres(tls_folder=db_ca)
    yield server
    server.stop()


@dataclass
class SandboxRun:
    returncode: int
    stdout: str
    stderr: str
    name: str
    audit: list[dict]


class DatabaseSandbox:
    counter = 0

    def __init__(self, tmp_path: Path, server: Postgres, db_ca: Path):
        self.tmp_path, self.server, self.db_ca = tmp_path, server, db_ca

    def profile(self, name: str, mode: str, extra: dict | None = None) -> dict:
        profile = {"name": name, "modes": {"default": "off", "postgres": mode},
                   "dns": {"hosts": {DB_HOST: DB_ADDRESS}},
                   "upstream": {"map": {f"{DB_ADDRESS}:5432": f"127.0.0.1:{self.server.port}"}},
                   "tls": {"extra_ca": [str(self.db_ca / "ca.pem")]},
                   "consent": {"timeout_s": 60, "no_ui": "deny"}}
        profile.update(extra or {})
        return profile

    def new_name(self) -> str:
        DatabaseSandbox.counter += 1
        return f"db-{os.getpid()}-{DatabaseSandbox.counter}"

    def command(self, name: str, mode: str, script: str, extra: dict | None = None) -> list[str]:
        path = self.tmp_path / f"{name}.json"
        path.write_text(json.dumps(self.profile(name, mode, extra)))
        return [ASKFIRST, "exec", "--profile", str(path), "--name", name, "--", "sh", "-c", script]

    def run(self, mode: str, script: str, extra: dict | None = None, timeout: float = 120) -> SandboxRun:
        name = self.new_name()
        done = subprocess.run(self.command(name, mode, script, extra), capture_output=True, text=True,
                              timeout=timeout, env=self.env())
        records, _ = read_audit(name)
        return SandboxRun(done.returncode, done.stdout, done.stderr, name, records)

    def popen(self, mode: str, script: str) -> tuple[str, subprocess.Popen]:
        name = self.new_name()
        process = subprocess.Popen(self.command(name, mode, script), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=self.env())
        return name, process

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({"HOME": str(self.tmp_path), "PGCONNECT_TIMEOUT": "30"})
        return env


def psql(sql: str, sslmode: str = "disable", extra: str = "") -> str:
    """A psql command line for the sandbox: db.test through askfirst, one -c per statement given."""
    return (f"psql 'host={DB_HOST} port=5432 user=postgres dbname=postgres sslmode={sslmode} {extra}' "
            f"-X -At -c {json.dumps(sql)}")


@pytest.fixture
def db_sandbox(exec_works, postgres, db_ca, tmp_path):
    return DatabaseSandbox(tmp_path, postgres, db_ca)



class Redis:
    """One redis-server on 127.0.0.1, no persistence, in the foreground (stopped by the fixture)."""

    def __init__(self, tls_folder: Path | None = None):
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed (tools/setup.sh installs redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="askfirst-redis-"))
        self.port = free_port()
        tls = []
        if tls_folder is not None:  # a second port, TLS only, with the test CA's certificate for cache.test
            self.tls_port = free_port()
            tls = ["--tls-port", str(self.tls_port), "--tls-cert-file", str(tls_folder / "server.pem"),
                   "--tls-key-file", str(tls_folder / "server.key"), "--tls-ca-cert-file", str(tls_folder / "ca.pem"),
                   "--tls-auth-clients", "no"]
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(self.dir), *tls],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_tcp("127.0.0.1", self.port)

    def cli(self, *args: str) -> str:
        """redis-cli directly (not through askfirst)."""
        done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_server(db_ca):
    server = Redis(tls_folder=db_ca)
    yield server
    server.stop()


@pytest.fixture
def redis_sandbox(exec_works, redis_server, db_ca, tmp_path):
    """The sandbox of the Redis tests: cache.test:6379 mapped to the loopback redis-server."""
    class RedisSandbox(DatabaseSandbox):
        def profile(self, name, mode, extra=None):
            profile = {"name": name, "modes": {"default": "off", "redis": mode},
                       "dns": {"hosts": {CACHE_HOST: CACHE_ADDRESS}},
                       "upstream": {"map": {f"{CACHE_ADDRESS}:6379": f"127.0.0.1:{redis_server.port}",
                                            f"{CACHE_ADDRESS}:6380": f"127.0.0.1:{redis_server.tls_port}"}},
                       "tls": {"extra_ca": [str(db_ca / "ca.pem")]},
                       "consent": {"timeout_s": 60, "no_ui": "deny"}}
            profile.update(extra or {})
            return profile
    return RedisSandbox(tmp_path, None, None)


class Mariadb:
    """One MariaDB server on 127.0.0.1 (mariadb-install-db into a temporary directory, run as `mysql`),
    with a user agent/agentpw that may do anything in database shop; with TLS offered (the test CA's
    certificate for db.test) when given the CA's folder."""

    def __init__(self, tls_folder: Path | None = None):
        if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
            pytest.skip("mariadbd is not installed (tools/setup.sh installs mariadb-server)")
        account = pwd.getpwnam("mysql")
        self.dir = Path(tempfile.mkdtemp(prefix="askfirst-mariadb-"))
        os.chown(self.dir, account.pw_uid, account.pw_gid)
        self.socket = self.dir / "mariadb.sock"
        self.port = free_port()
        done = subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={self.dir}/data", "--skip-test-db",
                               "--auth-root-authentication-method=socket"], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
        tls = []
        if tls_folder is not None:  # the server reads its key as `mysql`
            for name in ("server.pem", "server.key", "ca.pem"):
                shutil.copy(tls_folder / name, self.dir / name)
                os.chown(self.dir / name, account.pw_uid, account.pw_gid)
            tls = [f"--ssl-cert={self.dir / 'server.pem'}", f"--ssl-key={self.dir / 'server.key'}",
                   f"--ssl-ca={self.dir / 'ca.pem'}"]
        self.process = subprocess.Popen(["/usr/sbin/mariadbd", "--no-defaults", "--user=mysql", f"--datadir={self.dir}/data",
                                         f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
                                         f"--pid-file={self.dir}/mariadb.pid", "--skip-log-bin",
                                         "--innodb-buffer-pool-size=16M", *tls],
                                        stdout=subprocess.DEVNULL, stderr=open(self.dir / "server.log", "w"))
        wait_for_tcp("127.0.0.1", self.port, timeout=60)
        self.sql("create database shop; create user agent@'%' identified by 'agentpw'; "
                 "grant all on shop.* to agent@'%'")

    def sql(self, text: str) -> str:
        """SQL as root over the unix socket (not through askfirst)."""
        done = subprocess.run(["mariadb", f"--socket={self.socket}", "-u", "root", "-N", "-B", "-e", text],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def mariadb(db_ca):
    server = Mariadb(tls_folder=db_ca)
    yield server
    server.stop()


@pytest.fixture
def mariadb_sandbox(exec_works, mariadb, db_ca, tmp_path):
    """The sandbox of the MariaDB tests: db.test:3306 mapped to the loopback server, whose TLS
    certificate askfirstd's upstream verification trusts (tls.extra_ca)."""
    class MariadbSandbox(DatabaseSandbox):
        def profile(self, name, mode, extra=None):
            profile = {"name": name, "modes": {"default": "off", "mysql": mode},
                       "dns": {"hosts": {DB_HOST: DB_ADDRESS}},
                       "upstream": {"map": {f"{DB_ADDRESS}:3306": f"127.0.0.1:{mariadb.port}"}},
                       "tls": {"extra_ca": [str(db_ca / "ca.pem")]},
                       "consent": {"timeout_s": 60, "no_ui": "deny"}}
            profile.update(extra or {})
            return profile
    return MariadbSandbox(tmp_path, None, None)
