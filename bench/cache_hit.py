"""Server-side cost of a search answered from the response cache, against the bare endpoint.

    .venv/bin/python -m bench.cache_hit [--calls 3000] [--size 2000]

Direct ASGI calls on one event loop (no HTTP, no client), the three interleaved call by
call so that the machine's noise weighs on each alike:
- replayed: the same query string again, answered before FastAPI reads it (_ReplayingRoute);
- read again: the same request with replaying switched off in its app, so FastAPI reads
  the criteria and solves the dependencies, and the entry is found by its key;
- bare: throughput.py's /bare, an async FastAPI endpoint returning the same bytes.
The apps log at WARNING: a request's log line costs the same on every path.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.settings import get_settings
from bench import throughput
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import QUERIES, SEARCH, THROUGHPUT_QUERY, database

TARGET = SEARCH + QUERIES[THROUGHPUT_QUERY]


async def _call(app: FastAPI, target: str) -> tuple[int, bytes]:
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def _measure(calls: int) -> dict[str, list[float]]:
    replaying, reading = throughput.create(), throughput.create()
    async with replaying.router.lifespan_context(replaying), reading.router.lifespan_context(reading):
        for app in (replaying, reading):
            assert (await _call(app, TARGET))[0] == 200  # the miss that fills the cache
        reading.state.search_cache.replay = lambda sent: None
        paths = {"replayed": (replaying, TARGET), "read again": (reading, TARGET), "bare": (replaying, "/bare")}
        timings: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(calls):
            for name, (app, path) in paths.items():
                started = time.perf_counter()
                status, _ = await _call(app, path)
                timings[name].append(time.perf_counter() - started)
                assert status == 200, (name, status)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--size", type=int, default=2000, help="services in the SQLite benchmark database")
    args = parser.parse_args()
    url = database("sqlite", args.size, DEFAULT_POSTGRES, regenerate=False)
    os.environ.update({"WIJKKAART_DATABASE_URL": url, "WIJKKAART_SEARCH_RATE_LIMIT": "", "WIJKKAART_LOG_LEVEL": "WARNING"})
    get_settings.cache_clear()
    with tempfile.TemporaryDirectory() as work_dir:
        # /bare returns the search's own body: fetched once from a plain app first.
        payload = Path(work_dir) / "payload.json"
        payload.write_bytes(b"{}")
        os.environ[throughput.PAYLOAD_ENV] = str(payload)
        payload.write_bytes(asyncio.run(_body()))
        timings = asyncio.run(_measure(args.calls))
    print(f"search answered from the response cache, SQLite {args.size:,} services, {args.calls} calls each:")
    print_medians(timings, "bare", "µs")


def print_medians(timings: dict[str, list[float]], reference: str, unit: str) -> None:
    """Each one's median and mean (seconds shown in `unit`, µs or ms), and its median over the reference's."""
    scale, digits = {"µs": (1e6, 0), "ms": (1e3, 2)}[unit]
    base, width = statistics.median(timings[reference]), max(map(len, timings))
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:{width}s} median {median * scale:6.{digits}f} {unit}, "
              f"mean {statistics.fmean(values) * scale:6.{digits}f} {unit} ({median / base:.2f} of {reference})")


async def _body() -> bytes:
    app = throughput.create()
    async with app.router.lifespan_context(app):
        status, body = await _call(app, TARGET)
    assert status == 200
    return body


if __name__ == "__main__":
    main()
