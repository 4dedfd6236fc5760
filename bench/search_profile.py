"""Where an uncached search's time goes at national scale, by layer (cProfile).

    .venv/bin/python -m bench.search_profile [--services 200000] [--backends sqlite,postgresql] [--searches 400]
        [--postgres URL] [--top 15]

In-process, per backend: the app's ASGI callable called directly (as bench/cache_hit.py
does: no HTTP, no client), the response cache off, anonymous, its request log written to
/dev/null. Thread hops run inline (anyio.to_thread.run_sync patched), so that cProfile,
which follows one thread, sees the search's own work. `--searches` distinct searches of
search_scale's mix: once to warm up, once timed without the profiler, once under it.
Each function's own time goes to a layer by its module (LAYERS); printed per layer: ms per
search under the profiler and its share, then the heaviest functions. cProfile's overhead
is per Python call, so layers of many small calls (SQLAlchemy, pydantic) weigh more under
it than they cost; the unprofiled mean is printed for scale.
"""

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import statistics
import time
from collections import defaultdict
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine

from app.db import make_engine
from app.main import create_app
from app.ops.logs import HANDLER_NAME
from app.settings import get_settings
from bench.cache_hit import _call
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import database, search_mix
from bench.throughput import percentile

# (layer, what a function's file path or, for C functions, its name contains), first match wins.
# A function of none (the standard library, builtins) counts in its callers' layers.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("JSON encoding of the page (orjson)", ("orjson.dumps",)),
    ("card assembly", ("app/search/cards", "orjson.loads", "app/search/distance", "app/contacts/", "app/locations/",
                       "geographiclib", "service.py:_results", "service.py:_opening", "service.py:_contact",
                       "service.py:_why")),
    ("SQL: sqlite3 executing, or waiting for PostgreSQL", ("sqlite3", "psycopg/connection.py:wait", "psycopg/waiting")),
    ("psycopg's Python (sending, parameters, rows)", ("psycopg",)),
    ("SQLAlchemy (statements, connections, rows)", ("sqlalchemy/", "sqlmodel/")),
    ("pydantic (criteria, place)", ("pydantic", "app/search/schemas", "app/fields")),
    ("ranking, text and place (app)", ("app/search/", "app/dialect/", "app/areas/", "app/taxonomy/", "app/pagination",
                                       "app/postcode", "snowballstemmer", "wordfreq")),
    ("FastAPI, Starlette, middleware, request log", ("fastapi/", "starlette/", "anyio/", "app/ops/", "app/db",
                                                    "app/request_checks", "app/http_cache", "app/replicas",
                                                    "app/clients/", "app/visibility", "app/errors", "logging/",
                                                    "pythonjsonlogger", "prometheus_client", "bench/")),
]
OTHER = "other"
Key = tuple[str, int, str]


def _marked(key: Key) -> str | None:
    filename, _line, function = key
    where = f"{filename}:{function}" if filename != "~" else function
    return next((layer for layer, marks in LAYERS if any(mark in where for mark in marks)), None)


def layers(stats: pstats.Stats) -> tuple[dict[str, float], dict[Key, str]]:
    """Own time (s) per layer, and each function's layer: its own by LAYERS, or else the one
    most of its time was called from."""
    table: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    resolved: dict[Key, str] = {}

    def layer(key: Key, seen: frozenset[Key] = frozenset()) -> str:
        if key in resolved:
            return resolved[key]
        if (found := _marked(key)) is None:
            weights: dict[str, float] = defaultdict(float)
            for caller, (_calls, _primitive, tottime, cumtime) in table.get(key, (0, 0, 0, 0, {}))[4].items():
                if caller not in seen:
                    weights[layer(caller, seen | {key})] += cumtime or tottime
            found = max(weights, key=weights.__getitem__) if weights else OTHER
        resolved[key] = found
        return found

    own: dict[str, float] = defaultdict(float)
    for key, (_calls, _primitive, tottime, _cumtime, callers) in table.items():
        if _marked(key) is not None or not callers:
            own[layer(key)] += tottime
            continue
        # Split between the callers by the time spent in it for each.
        spent = sum(caller_tottime for _c, _p, caller_tottime, _ct in callers.values()) or 1.0
        for caller, (_c, _p, caller_tottime, _ct) in callers.items():
            own[layer(caller, frozenset({key}))] += tottime * caller_tottime / spent
    return own, {key: layer(key) for key in table}


async def _inline(function: Any, *args: Any, **_options: Any) -> Any:
    return function(*args)


async def _pass(app: Any, paths: list[str]) -> list[float]:
    """Each search once; the seconds each took."""
    timings = []
    for path in paths:
        started = time.perf_counter()
        status, body = await _call(app, path)
        timings.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"HTTP {status} from {path}: {body[:300]!r}")
    return timings


def kind(path: str) -> str:
    return {(False, False): "plain", (True, False): "with q", (False, True): "with a domain",
            (True, True): "with q and a domain"}["&q=" in path, "&domain=" in path]


async def _profile(engine: Engine, paths: list[str]) -> tuple[dict[str, list[float]], pstats.Stats]:
    """Unprofiled seconds per search by kind, and the profile of a pass."""
    app = create_app(engine)
    async with app.router.lifespan_context(app):
        for handler in logging.getLogger().handlers:
            if handler.get_name() == HANDLER_NAME and isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the handler
        await _pass(app, paths)
        by_kind: dict[str, list[float]] = defaultdict(list)
        for path, seconds in zip(paths, await _pass(app, paths), strict=True):
            by_kind[kind(path)].append(seconds)
        profiler = cProfile.Profile()
        profiler.enable()
        await _pass(app, paths)
        profiler.disable()
    return by_kind, pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--top", type=int, default=15, help="heaviest functions listed")
    args = parser.parse_args()
    os.environ.update({"WIJKKAART_SEARCH_CACHE_MB": "0", "WIJKKAART_SEARCH_RATE_LIMIT": ""})
    get_settings.cache_clear()
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    for backend in args.backends.split(","):
        url = database(backend, args.services, args.postgres, False)
        paths = search_mix(url, args.searches)
        engine = make_engine(url)
        try:
            by_kind, stats = asyncio.run(_profile(engine, paths))
        finally:
            engine.dispose()
        _report(backend, args, len(paths), by_kind, stats)


def _report(
    backend: str, args: argparse.Namespace, searches: int, by_kind: dict[str, list[float]], stats: pstats.Stats
) -> None:
    plain = statistics.fmean(t for timings in by_kind.values() for t in timings) * 1000
    own, layer = layers(stats)
    total = sum(own.values())
    table: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    statements = sum(entry[0] for key, entry in table.items() if key[0].endswith("sqlalchemy/engine/default.py")
                     and key[2] == "do_execute")
    print(f"\n== {backend}, {args.services:,} services, {searches} distinct searches (response cache off): "
          f"{plain:.2f} ms a search unprofiled, {total / searches * 1000:.2f} ms under cProfile; "
          f"{statements / searches:.1f} SQL statements a search")
    for name, seconds in sorted(own.items(), key=lambda item: -item[1]):
        print(f"  {name:<52}{seconds / searches * 1000:8.2f} ms {seconds / total:6.1%}")
    print("  unprofiled, by kind (mean / p50 / p99 ms): " + "; ".join(
        f"{name} ({len(timings)}) {statistics.fmean(timings) * 1000:.1f} / {percentile(timings, 0.5):.1f} / "
        f"{percentile(timings, 0.99):.1f}" for name, timings in sorted(by_kind.items())))
    print("  heaviest functions (own time, ms a search):")
    for key, entry in sorted(table.items(), key=lambda item: -item[1][2])[:args.top]:
        filename, _line, function = key
        name = f"{filename.rsplit('site-packages/', 1)[-1].rsplit('/wt/', 1)[-1]}:{function}"
        print(f"    {entry[2] / searches * 1000:6.2f}  {name[-90:]}  [{layer[key].split(' (')[0]}]")


if __name__ == "__main__":
    main()
