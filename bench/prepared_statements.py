"""Searches on PostgreSQL with the statements psycopg prepared, and with requests refused among them.

    .venv/bin/python -m bench.prepared_statements [--calls 1000] [--size 2000]

psycopg prepares a statement the sixth time a connection runs it, so that PostgreSQL no
longer plans it, and forgets all of them on a ROLLBACK. Three apps on the PostgreSQL
benchmark database of this size (search_scale.py builds it), with the response cache off,
take the same four searches in turn, direct ASGI calls interleaved call by call:
- as run: the app as it is;
- 1 in 20 refused: before every 20th search, an untimed one refused with 422 after it
  read the postcode (an unknown need domain), and a readiness probe;
- unprepared: psycopg's preparing switched off, what a search costs when every statement
  is planned anew (as after every refused request if reads that fail ended with a ROLLBACK).
Prints each one's median and mean search latency.
"""

import argparse
import asyncio
import time
from contextlib import AsyncExitStack
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from bench.cache_hit import _call, print_medians
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import SEARCH, database

SEARCHES = [SEARCH + query for query in
            ("postcode=4356", "postcode=1012", "postcode=3011&q=schulden", "postcode=2511&domain=financien")]
REFUSED = SEARCH + "postcode=4356&domain=bestaatniet"
SETTINGS = Settings(search_cache_mb=0, search_rate_limit="", log_level="WARNING")


def _app(url: str, prepared: bool) -> FastAPI:
    engine = make_engine(url, SETTINGS)
    if not prepared:
        @event.listens_for(engine, "connect")
        def unprepared(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.prepare_threshold = None

    return create_app(engine, SETTINGS)


async def _measure(url: str, calls: int) -> dict[str, list[float]]:
    apps = {"as run": _app(url, True), "1 in 20 refused": _app(url, True), "unprepared": _app(url, False)}
    timings: dict[str, list[float]] = {name: [] for name in apps}
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        for call in range(calls + 100):  # the first 100 warm up
            path = SEARCHES[call % len(SEARCHES)]
            for name, app in apps.items():
                if name == "1 in 20 refused" and call % 20 == 19:
                    assert (await _call(app, REFUSED))[0] == 422
                    assert (await _call(app, "/health/ready"))[0] == 200
                started = time.perf_counter()
                status, _ = await _call(app, path)
                if call >= 100:
                    timings[name].append(time.perf_counter() - started)
                assert status == 200, (name, path, status)
    for app in apps.values():
        app.state.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--size", type=int, default=2000, help="services in the PostgreSQL benchmark database")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    args = parser.parse_args()
    url = database("postgresql", args.size, args.postgres, regenerate=False)
    timings = asyncio.run(_measure(url, args.calls))
    print(f"searches on PostgreSQL, {args.size:,} services, {args.calls} calls each (response cache off):")
    print_medians(timings, "as run", "ms")


if __name__ == "__main__":
    main()
