"""HTTP throughput of the search endpoint against a bare endpoint sending the same bytes.

The app runs under uvicorn in a subprocess (one worker, real HTTP on loopback) with one
extra route, /bare, a plain FastAPI endpoint that returns a precomputed payload: the very
body the search returns. /bare is async, the cheapest a FastAPI endpoint gets (no
thread-pool round trip); the search answers a cache hit on the event loop as well, and
runs a miss in the thread pool. Both pass the app's middleware. `create_bare` is the same
endpoint in an app of its own, without the app's middleware.

The client is a minimal asyncio HTTP/1.1 keep-alive loop on uvloop, so that it costs the
server's cores as little as possible and measures every server the same way. `Server`
starts a server process and reads its CPU time (with, on PostgreSQL, that of the database
sessions it opened) and its anonymous memory from /proc.
"""

import asyncio
import http.client
import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import uvloop
from fastapi import FastAPI, Response
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.main import create_app

os.environ.setdefault("WIJKKAART_SECRET_KEY", secrets.token_urlsafe(32))  # the app starts only with one

PAYLOAD_ENV = "WIJKKAART_BENCH_BARE_PAYLOAD"
ROOT = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")


def create() -> FastAPI:
    """uvicorn factory: the real app (database from WIJKKAART_DATABASE_URL) plus /bare."""
    app = create_app()
    _add_bare(app)
    # Matched first: routes are tried in turn, and the search is near the front (the first
    # of /api/v1's); added last, /bare would pay for trying all the app's others first.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


def create_bare() -> FastAPI:
    """uvicorn factory: /bare alone, in a FastAPI app with no middleware."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    _add_bare(app)
    return app


def _add_bare(app: FastAPI) -> None:
    payload = Path(os.environ[PAYLOAD_ENV]).read_bytes()

    @app.get("/bare", include_in_schema=False)
    async def bare() -> Response:
        return Response(payload, media_type="application/json")


@dataclass
class Load:
    """One load's requests, seconds, each request's latency (s), and the client's CPU seconds."""

    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def _one_connection(
    port: int, requests: Sequence[bytes], deadline: float, turn: Iterator[int], latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (started := time.perf_counter()) < deadline:
            request = requests[next(turn) % len(requests)]
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            await _read_body(reader, head)
            if status != b"200":
                raise RuntimeError(f"HTTP {status.decode()} from {request.splitlines()[0].decode()}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> None:
    """Read the body that follows `head`: Content-Length bytes, or chunks (Datasette sends its
    JSON in chunks)."""
    lines = head.lower().split(b"\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in lines if line.startswith(b"content-length:")), None)
    if length is not None:
        await reader.readexactly(length)
        return
    if b"transfer-encoding: chunked" not in lines:
        raise RuntimeError(f"a response neither sized nor chunked: {head!r}")
    while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")  # the empty line after the last chunk (no trailers are sent)


async def _drive(port: int, requests: Sequence[bytes], concurrency: int, seconds: float, turn: Iterator[int]) -> Load:
    latencies: list[float] = []
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(
        _one_connection(port, requests, started + seconds, turn, latencies) for _ in range(concurrency)
    ))
    elapsed = time.perf_counter() - started
    return Load(len(latencies), elapsed, latencies, time.process_time() - cpu)


def drive(port: int, paths: Sequence[str], concurrency: int, seconds: float, turn: Iterator[int]) -> Load:
    """`concurrency` keep-alive connections sending GET requests for `seconds`, each the next
    of `paths` in `turn` (shared by all connections, so that it goes on across loads)."""
    requests = [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for path in paths]
    return uvloop.run(_drive(port, requests, concurrency, seconds, turn))


def fetch_all(port: int, paths: Sequence[str]) -> list[bytes]:
    """Each path once, in turn, on one keep-alive connection: the bodies (an error unless 200)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    bodies = []
    try:
        for path in paths:
            connection.request("GET", path)
            response = connection.getresponse()
            bodies.append(response.read())
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status} from {path}: {bodies[-1][:300]!r}")
    finally:
        connection.close()
    return bodies


def percentile(latencies: Sequence[float], share: float) -> float:
    """The latency (s) below which `share` of them lie, in ms."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server process on loopback. `database_url`: a PostgreSQL database whose sessions
    opened by this process (told apart by their application_name) count in its CPU time."""

    def __init__(self, name: str, command: list[str], *, port: int, env: dict[str, str] | None = None,
                 database_url: str | None = None, log: Path | None = None) -> None:
        self.name, self.port = name, port
        self._app_name = f"bench-{name}-{port}"
        self._log: IO[bytes] | None = log.open("wb") if log else None
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self._log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "PGAPPNAME": self._app_name},
        )
        self._postgres = None
        if database_url and make_url(database_url).get_backend_name() == "postgresql":
            self._postgres = create_engine(database_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self._backend_cpu: dict[int, float] = {}  # ended sessions: their last reading
        wait_until_up(port, self.process)

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the process (all its threads) and its database sessions."""
        total = _cpu_of(self.process.pid) or 0.0
        if self._postgres is not None:
            with self._postgres.connect() as connection:
                pids = connection.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": self._app_name}
                ).scalars().all()
            for pid in pids:
                if (used := _cpu_of(pid)) is not None:
                    self._backend_cpu[pid] = used
            total += sum(self._backend_cpu.values())
        return total

    def memory(self) -> dict[str, int]:
        """RssAnon, RssFile and VmHWM of the process, in kB, from /proc/<pid>/status."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM"):
                fields[key] = int(value.split()[0])
        return fields

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        if self._postgres is not None:
            self._postgres.dispose()
        if self._log:
            self._log.close()


def _cpu_of(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def uvicorn(factory: str, port: int) -> list[str]:
    """The command of one uvicorn worker serving `factory` on loopback."""
    return [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
            "--log-level", "warning", "--no-access-log"]


def measure(url: str, loads: dict[str, list[str]], payload: bytes, *, concurrency: int = 8, seconds: float = 3.0,
            repeats: int = 3, work_dir: Path, env: dict[str, str] | None = None) -> dict[str, tuple[float, int]]:
    """Per named load (a list of paths, sent in turn) and for /bare: (requests per second,
    requests sent in all), the loads alternating `repeats` times to share the noise. A load's
    turn goes on across repeats: with n sent, min(n, len(paths)) distinct paths were asked."""
    payload_file = work_dir / "bare_payload.json"
    payload_file.write_bytes(payload)
    port = free_port()
    server = Server("throughput", uvicorn("bench.throughput:create", port), port=port,
                    env={"WIJKKAART_DATABASE_URL": url, PAYLOAD_ENV: str(payload_file), **(env or {})})
    loads = {**loads, "bare": ["/bare"]}
    rates: dict[str, list[float]] = {name: [] for name in loads}
    sent = dict.fromkeys(loads, 0)
    turns = {name: itertools.count() for name in loads}
    try:
        for paths in loads.values():  # warm up every path
            drive(port, paths[:1], concurrency, 1.0, itertools.count())
        for _ in range(repeats):
            for name, paths in loads.items():
                load = drive(port, paths, concurrency, seconds, turns[name])
                rates[name].append(load.rate)
                sent[name] += load.requests
    finally:
        server.stop()
    return {name: (sum(values) / repeats, sent[name]) for name, values in rates.items()}


def wait_until_up(port: int, server: subprocess.Popen[Any]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"{server.args!r} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start within 60 s")
