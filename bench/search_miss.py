"""CPU per uncached search ("miss") of this checkout against another revision, side by side.

    .venv/bin/python -m bench.search_miss [--base main] [--services 200000] [--backends sqlite,postgresql]
        [--searches 300] [--rounds 2]

The other revision is exported (git archive) to a temporary directory, sharing this
checkout's bench/.cache; each round runs it and this checkout in turn, each in a fresh
process with this checkout's virtualenv. A run calls the app's ASGI callable in-process, as
bench/search_profile.py does (response cache off, thread hops inline, the request log
off), over search_scale's mix of distinct searches: once to warm up, then twice timed,
a kind of search at a time. Printed per kind: CPU ms a search of the process and, on
PostgreSQL, of the server processes serving it (from /proc, in clock ticks: read over a
whole kind's searches), per revision, the rounds' mean, and this checkout's over the base's.
"""

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, event

from app.db import make_engine
from app.main import create_app
from app.settings import get_settings
from bench.cache_hit import _call
from bench.national_data import DEFAULT_POSTGRES
from bench.search_profile import _inline, kind
from bench.search_scale import CACHE_DIR, database, search_mix

HERE = Path(__file__).resolve().parents[1]
TICK = 1 / os.sysconf("SC_CLK_TCK")


def _server_ticks(pids: set[int]) -> int:
    """user + system clock ticks of these (local PostgreSQL backend) processes."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


async def _timed(engine: Engine, paths: list[str], backends: set[int]) -> dict[str, dict[str, float]]:
    app = create_app(engine)
    async with app.router.lifespan_context(app):
        logging.disable(logging.CRITICAL)
        for path in paths:
            await _call(app, path)
        by_kind: dict[str, list[str]] = defaultdict(list)
        for path in paths:
            by_kind[kind(path)].append(path)
        result = {}
        for name, group in sorted(by_kind.items()):
            ticks, cpu = _server_ticks(backends), time.process_time()
            for _ in range(2):
                for path in group:
                    status, body = await _call(app, path)
                    if status != 200:
                        raise RuntimeError(f"HTTP {status} from {path}: {body[:300]!r}")
            count = 2 * len(group)
            result[name] = {"app": (time.process_time() - cpu) / count * 1000,
                            "server": (_server_ticks(backends) - ticks) * TICK / count * 1000}
    return result


def measure(backend: str, services: int, searches: int, admin_url: str) -> dict[str, dict[str, float]]:
    """CPU ms a search by kind for the code this process runs."""
    os.environ.update({"WIJKKAART_SEARCH_CACHE_MB": "0", "WIJKKAART_SEARCH_RATE_LIMIT": ""})
    get_settings.cache_clear()
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    url = database(backend, services, admin_url, False)
    paths = search_mix(url, searches)
    engine = make_engine(url)
    backends: set[int] = set()
    if backend == "postgresql":
        @event.listens_for(engine, "connect")
        def _remember(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
    try:
        return asyncio.run(_timed(engine, paths, backends))
    finally:
        engine.dispose()


def _run(root: Path, backend: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    # This file, run with `root` first on the path: the app and bench modules are root's.
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", "--backends", backend,
               "--services", str(args.services), "--searches", str(args.searches), "--postgres", args.postgres]
    done = subprocess.run(command, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"measuring {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the git revision to compare against")
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--measure", action="store_true", help="(internal) measure this code, print JSON")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.backends, args.services, args.searches, args.postgres)))
        return
    with tempfile.TemporaryDirectory(prefix="search_miss_") as directory:
        base = Path(directory)
        archive = subprocess.run(["git", "archive", args.base], cwd=HERE, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        CACHE_DIR.mkdir(exist_ok=True)
        (base / "bench" / ".cache").symlink_to(CACHE_DIR)
        for backend in args.backends.split(","):
            runs: dict[str, list[dict[str, dict[str, float]]]] = defaultdict(list)
            for _ in range(args.rounds):
                runs["base"].append(_run(base, backend, args))
                runs["this"].append(_run(HERE, backend, args))
            _report(backend, args, runs)
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def _report(backend: str, args: argparse.Namespace, runs: dict[str, list[dict[str, dict[str, float]]]]) -> None:
    print(f"\n== {backend}, {args.services:,} services, {args.searches} distinct searches, {args.rounds} rounds: "
          f"CPU ms a search, {args.base} -> this checkout")
    for name in runs["base"][0]:
        line = []
        for part in ("app", "server", "total"):
            if part != "app" and backend != "postgresql":
                continue
            mean = {which: statistics.fmean(
                run[name]["app"] + run[name]["server"] if part == "total" else run[name][part] for run in found
            ) for which, found in runs.items()}
            line.append(f"{part} {mean['base']:.2f} -> {mean['this']:.2f} ({mean['this'] / mean['base'] - 1:+.0%})")
        print(f"  {name:<22}" + "; ".join(line))


if __name__ == "__main__":
    main()
