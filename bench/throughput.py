"""HTTP throughput of the search endpoint against a bare endpoint sending the same bytes.

The app runs under uvicorn in a subprocess (one worker, real HTTP on loopback) with one
extra route, /bare, a plain FastAPI endpoint that returns a precomputed payload: the very
body the search returns. /bare is async, the cheapest a FastAPI endpoint gets (no
thread-pool round trip); the search answers a cache hit on the event loop as well, and
runs a miss in the thread pool. Both pass the app's middleware.
The client is a minimal asyncio HTTP/1.1 keep-alive loop, so that it costs the server's
two cores as little as possible and measures both endpoints the same way.
"""

import asyncio
import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI, Response

from app.main import create_app

os.environ.setdefault("WIJKKAART_SECRET_KEY", secrets.token_urlsafe(32))  # the app starts only with one

PAYLOAD_ENV = "WIJKKAART_BENCH_BARE_PAYLOAD"


def create() -> FastAPI:
    """uvicorn factory: the real app (database from WIJKKAART_DATABASE_URL) plus /bare."""
    app = create_app()
    payload = Path(os.environ[PAYLOAD_ENV]).read_bytes()

    @app.get("/bare", include_in_schema=False)
    async def bare() -> Response:
        return Response(payload, media_type="application/json")

    # Matched first: routes are tried in turn, and the search is near the front (the first
    # of /api/v1's); added last, /bare would pay for trying all the app's others first.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


async def _one_connection(port: int, requests: list[bytes], deadline: float, turn: Iterator[int]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < deadline:
            request = requests[next(turn) % len(requests)]
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            if status != b"200":
                raise RuntimeError(f"HTTP {status.decode()} from {request.splitlines()[0].decode()}")
            done += 1
    finally:
        writer.close()
    return done


async def _load(port: int, paths: list[str], concurrency: int, seconds: float, turn: Iterator[int]) -> tuple[float, int]:
    """Requests per second, and how many were sent: all connections take the paths in turn (`turn`)."""
    requests = [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for path in paths]
    started = time.perf_counter()
    counts = await asyncio.gather(*(
        _one_connection(port, requests, started + seconds, turn) for _ in range(concurrency)
    ))
    return sum(counts) / (time.perf_counter() - started), sum(counts)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(url: str, loads: dict[str, list[str]], payload: bytes, *, concurrency: int = 8, seconds: float = 3.0,
            repeats: int = 3, work_dir: Path, env: dict[str, str] | None = None) -> dict[str, tuple[float, int]]:
    """Per named load (a list of paths, sent in turn) and for /bare: (requests per second,
    requests sent in all), the loads alternating `repeats` times to share the noise. A load's
    turn goes on across repeats: with n sent, min(n, len(paths)) distinct paths were asked."""
    payload_file = work_dir / "bare_payload.json"
    payload_file.write_bytes(payload)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.throughput:create", "--factory", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "WIJKKAART_DATABASE_URL": url, PAYLOAD_ENV: str(payload_file), **(env or {})},
        cwd=Path(__file__).resolve().parent.parent,
    )
    loads = {**loads, "bare": ["/bare"]}
    rates: dict[str, list[float]] = {name: [] for name in loads}
    sent = dict.fromkeys(loads, 0)
    turns = {name: itertools.count() for name in loads}
    try:
        _wait_until_up(port, server)
        for paths in loads.values():  # warm up every path
            asyncio.run(_load(port, paths[:1], concurrency, 1.0, itertools.count()))
        for _ in range(repeats):
            for name, paths in loads.items():
                rate, count = asyncio.run(_load(port, paths, concurrency, seconds, turns[name]))
                rates[name].append(rate)
                sent[name] += count
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {name: (sum(values) / repeats, sent[name]) for name, values in rates.items()}


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("uvicorn exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("uvicorn did not start within 30 s")
