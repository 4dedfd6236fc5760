"""A PostgreSQL primary with a streaming standby, and API processes in front of them, all
started here on free loopback ports in a temporary directory (tests/replicas/test_replica_cluster.py,
bench/replicas.py).

The server binaries are the operating system's (/usr/lib/postgresql/<version>/bin). initdb
refuses to run as root, so as root they run as the `postgres` user, in a directory it owns.
The machine's own PostgreSQL server is never touched: these listen on ports of their own.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
from alembic import command

from app.db import alembic_config

REPO = Path(__file__).resolve().parents[2]
DATABASE = "wijkkaart"
# Small and quick: a test server, never the durable one (fsync off).
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "shared_buffers": "'64MB'",
    "fsync": "off",
    "full_page_writes": "off",
    "wal_keep_size": "'256MB'",
    "hot_standby_feedback": "on",
    "max_connections": "100",
}


class ClusterUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed, or cannot be run as their own user."""


def server_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    if not found:
        raise ClusterUnavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One PostgreSQL server of the cluster."""

    def __init__(self, cluster: "Cluster", name: str) -> None:
        self.cluster = cluster
        self.name = name
        self.port = free_port()
        self.directory = cluster.root / name

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **extra: str) -> None:
        lines = [f"{name} = {value}" for name, value in {**SERVER_SETTINGS, "port": str(self.port), **extra}.items()]
        self.cluster.as_postgres(["sh", "-c", f"printf '%s\\n' \"$@\" >> {self.directory}/postgresql.auto.conf", "sh", *lines])

    def start(self) -> None:
        self.cluster.as_postgres([
            str(self.cluster.bin / "pg_ctl"), "-D", str(self.directory), "-l", str(self.cluster.root / f"{self.name}.log"),
            "-w", "-t", "60", "start",
        ])

    def stop(self, mode: str = "fast") -> None:
        self.cluster.as_postgres([str(self.cluster.bin / "pg_ctl"), "-D", str(self.directory), "-m", mode, "-w", "stop"])

    def running(self) -> bool:
        return (self.directory / "postmaster.pid").exists()

    def sql(self, statement: str) -> str:
        """One statement's result, as psql prints it unaligned."""
        return self.cluster.as_postgres([
            str(self.cluster.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-d", DATABASE,
            "-XAtq", "-c", statement,
        ]).strip()


class Cluster:
    """A primary and a streaming standby (pg_basebackup -R) of their own, with the
    app's schema migrated on the primary."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._run_as and shutil.which("runuser") is None:
            raise ClusterUnavailable("running as root without runuser: initdb refuses to run as root")
        self.root = Path(tempfile.mkdtemp(prefix="wijkkaart-cluster-"))
        if self._run_as:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary = Server(self, "primary")
        self.standby = Server(self, "standby")

    def as_postgres(self, arguments: list[str]) -> str:
        done = subprocess.run([*self._run_as, *arguments], check=False, capture_output=True, text=True, timeout=120,
                              cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def start(self) -> "Cluster":
        self.as_postgres([
            str(self.bin / "initdb"), "-D", str(self.primary.directory), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ])
        self.primary.configure()
        self.primary.start()
        self.as_postgres([
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-d", "postgres", "-Xq",
            "-c", f"CREATE DATABASE {DATABASE}",
        ])
        command.upgrade(alembic_config(self.primary.url()), "head")
        self.as_postgres([
            str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.standby.directory), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        ])
        self.standby.configure()
        self.standby.start()
        self.wait_for_replay()
        return self

    def wait_for_replay(self, timeout: float = 30) -> None:
        """Until the standby has replayed all the primary has written."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while self.standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'") != "t":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not replay up to {target} within {timeout:g} s")
            time.sleep(0.1)

    def close(self) -> None:
        for server in (self.standby, self.primary):
            if server.running():
                with contextlib.suppress(RuntimeError):
                    server.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class ApiProcess:
    """The API under uvicorn in a process of its own, with the environment given (starting:
    see wait_until_up)."""

    def __init__(self, environment: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"],
            cwd=REPO, env={**os.environ, **environment}, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def wait_until_up(self, timeout: float = 120) -> "ApiProcess":
        """Until it answers; start several processes first, then wait for each (start-up is mostly imports)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API exited during start-up; see {self.log}")
            try:
                if httpx.get(f"{self.base}/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start within {timeout:g} s; see {self.log}")
            time.sleep(0.2)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def api_environment(primary: str, replicas: list[str], **settings: str) -> dict[str, str]:
    """An API node's settings: the primary, its replicas (comma-separated) and any others."""
    return {
        "WIJKKAART_DATABASE_URL": primary,
        "WIJKKAART_READ_DATABASE_URLS": ",".join(replicas),
        "WIJKKAART_SEARCH_RATE_LIMIT": "",
        "WIJKKAART_LOG_JSON": "false",
        **{f"WIJKKAART_{name.upper()}": value for name, value in settings.items()},
    }
