"""Load test of the search endpoint on the national data: saturation, then 60 s at 80 % of it.

    .venv/bin/python -m bench.load [--backends sqlite,postgresql] [--services 200000] [--seconds 60]
        [--saturation-seconds 20] [--users 16] [--workers N] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Needs the bench extra (`pip install -e ".[bench]"`: locust). Per backend: the benchmark
database (bench/search_scale.py builds or reuses it), a reader API client created in it
(keyed callers are exempt from the anonymous rate limit and see direct lines), and the app
under uvicorn (--workers, loopback; by default two per core, as `wijkkaart serve --workers N`
deploys it: a worker's event loop and search threads share one GIL, and a request waits
less for a busy worker when there are more of them than cores; with two per core instead
of one the held p99 is lower on both databases: docs/adr/0010-two-workers-per-core.md).
Locust, run as a library in this process, first warms the workers up (untimed), then
sends as fast as its users can to find the saturation throughput, then holds 80 % of it
for --seconds, the requests arriving as a Poisson process (independent users), over a mix
of distinct searches (many PC4s, with and without q and domain). Printed: throughput,
p50/p99 latency, errors.
"""

# Locust patches the standard library for gevent; it must come first.
from locust import FastHttpUser, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import itertools
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from sqlmodel import Session

from app.client_admin.schemas import ClientWrite
from app.client_admin.service import create_client
from app.db import make_engine
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import database, search_mix
from bench.throughput import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def reader_key(url: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            name = f"Loadtest reader {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"  # names are unique
            return create_client(session, ClientWrite(name=name, role="reader"), None).key
    finally:
        engine.dispose()


def _user_class(paths: list[str], turn: Iterator[int], key: str, rate: float | None) -> type[FastHttpUser]:
    arrivals = random.Random(20261124)

    class Searcher(FastHttpUser):
        """Sends as fast as it can (rate None), or at `rate` a second as a Poisson process.

        Each user keeps its own schedule of exponentially spaced send times, so the users'
        requests arrive independently, as a practice's do. (locust's constant_throughput
        keeps users that start together in step: with 16 users the server got bursts of 16
        requests at once and the latency measured the burst, not the load.)"""

        network_timeout = 30.0
        connection_timeout = 30.0

        def on_start(self) -> None:
            self._due = time.monotonic()
            if rate:
                self._due += arrivals.expovariate(rate)
                gevent.sleep(self._due - time.monotonic())

        def wait_time(self) -> float:
            if not rate:
                return 0.0
            self._due += arrivals.expovariate(rate)
            return max(0.0, self._due - time.monotonic())

        @task
        def search(self) -> None:
            self.client.get(paths[next(turn) % len(paths)], name="search",
                            headers={"Authorization": f"Bearer {key}"})

    return Searcher


def run(
    host: str, paths: list[str], turn: Iterator[int], key: str, users: int, seconds: float, rate: float | None
) -> dict[str, Any]:
    """One locust run, going on through `paths` from `turn`; `rate` is requests per second
    per user (None: as fast as possible)."""
    env = Environment(user_classes=[_user_class(paths, turn, key, rate)], host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(seconds)
    runner.quit()
    total = env.stats.total
    return {
        "requests": total.num_requests, "errors": total.num_failures,
        "rps": total.num_requests / seconds,
        "p50": total.get_response_time_percentile(0.5), "p99": total.get_response_time_percentile(0.99),
        "failures": {str(k): v.occurrences for k, v in env.stats.errors.items()},
    }


def _report(label: str, result: dict[str, Any]) -> None:
    print(f"  {label:<34}{result['rps']:8.1f} req/s   p50 {result['p50']:6.0f} ms   p99 {result['p99']:6.0f} ms   "
          f"errors {result['errors']} of {result['requests']}", flush=True)
    for failure, count in result["failures"].items():
        print(f"    {count} x {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--saturation-seconds", type=float, default=20.0)
    parser.add_argument("--warmup-seconds", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--mix", type=int, default=2000, help="distinct searches in the mix")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="uvicorn worker processes (default: two per core)")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        url = database(backend, args.services, args.postgres, False)
        paths = search_mix(url, args.mix)
        key = reader_key(url)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port),
             "--log-level", "warning", "--no-access-log", "--workers", str(args.workers)],
            env={**os.environ, "WIJKKAART_DATABASE_URL": url}, cwd=ROOT,
        )
        try:
            wait_until_up(port, server)
            host = f"http://127.0.0.1:{port}"
            print(f"\n== {backend}, {args.services:,} services, {len(paths):,} distinct searches, {args.users} users, "
                  f"{args.workers} uvicorn worker(s); load average {os.getloadavg()[0]:.1f}", flush=True)
            # The runs go on through the mix where the last one stopped: a run that started it
            # again would find the previous run's searches in the response cache, and a
            # saturation measured on cache hits overstates what the held run can be sent.
            turn = itertools.count()
            # Untimed: the worker's first requests pay for compiling statements and warming caches.
            run(host, paths, turn, key, args.users, args.warmup_seconds, None)
            saturation = run(host, paths, turn, key, args.users, args.saturation_seconds, None)
            _report("saturation (no wait)", saturation)
            target = 0.8 * saturation["rps"]
            held = run(host, paths, turn, key, args.users, args.seconds, target / args.users)
            _report(f"{args.seconds:.0f} s at 80 % ({target:.1f} req/s)", held)
            print(f"  load average after {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
