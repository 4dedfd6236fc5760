"""What the search's per-worker devices are worth over HTTP: the response cache, the replay
route, the search thread limiter and gc.freeze, each switched off in turn.

    .venv/bin/python -m bench.search_switches [--services 200000] [--backends sqlite,postgresql]
        [--seconds 8] [--rounds 3] [--connections 16] [--postgres URL]

Per backend, one uvicorn worker per variant, all started together and loaded in turn
(bench/throughput.py's client, `--connections` connections, rounds alternating):
- as deployed: the settings' defaults (response cache 32 MB);
- cache off: WIJKKAART_SEARCH_CACHE_MB=0;
- replay off: _ReplayingRoute never answers, and no request is remembered for it (patched
  in this module's factory: the app has no setting for it);
- limiter off: a miss runs in anyio's default thread pool (40 threads) instead of under the
  worker's search limiter (patched likewise; WIJKKAART_SEARCH_THREADS only sizes it);
- gc.freeze off: neither the start-up freeze nor FreezeAfterWarmUp (the start-up one patched).
Two loads each: "distinct", a mix of many distinct searches (search_scale.search_mix) that
no server is sent twice, so every request misses the response cache; "repeated", 100 of
them in turn, sent once untimed before every timed load, so that the cache, where on,
answers them all. Printed: req/s per round, p50/p99, the server's CPU ms per request (with
its PostgreSQL sessions), and each variant's req/s over the deployed one's in the same round.
"""

import argparse
import itertools
import os
import statistics
from typing import Any

import anyio
from fastapi import FastAPI

import app.main
from app.search import cache, router
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import CACHE_DIR, database, search_mix
from bench.throughput import Load, Server, drive, fetch_all, free_port, percentile, uvicorn

SWITCHES_ENV = "WIJKKAART_BENCH_SWITCHED_OFF"
VARIANTS: dict[str, dict[str, str]] = {
    "as deployed": {},
    "cache off": {"WIJKKAART_SEARCH_CACHE_MB": "0"},
    "replay off": {SWITCHES_ENV: "replay"},
    "limiter off": {SWITCHES_ENV: "limiter"},
    "gc.freeze off": {SWITCHES_ENV: "freeze", "WIJKKAART_GC_FREEZE_AFTER_REQUESTS": "0"},
}
REPEATED = 100


def create() -> FastAPI:
    """uvicorn factory: the app with the devices named in WIJKKAART_BENCH_SWITCHED_OFF patched out."""
    off = set(filter(None, os.environ.get(SWITCHES_ENV, "").split(",")))
    if "replay" in off:
        router._replayed = lambda request: None  # type: ignore[assignment]
        cache.request_key = lambda *args, **kwargs: None  # type: ignore[assignment]
    if "limiter" in off:
        async def unlimited(request: Any, compute: Any, *args: Any) -> Any:
            return await anyio.to_thread.run_sync(compute, *args)

        router._computed = unlimited  # type: ignore[assignment]
    if "freeze" in off:
        app.main.freeze_long_lived = lambda: None  # type: ignore[attr-defined]
    return app.main.create_app()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--seconds", type=float, default=8.0, help="per load, variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    logs = CACHE_DIR / "search_switches"
    logs.mkdir(exist_ok=True)
    for backend in args.backends.split(","):
        url = database(backend, args.services, args.postgres, False)
        distinct = search_mix(url, 20_000)
        loads = {"distinct": distinct, "repeated": distinct[:REPEATED]}
        servers: dict[str, Server] = {}
        try:
            for name, env in VARIANTS.items():
                port = free_port()
                servers[name] = Server(
                    f"{backend}-{name.replace(' ', '-')}", uvicorn("bench.search_switches:create", port), port=port,
                    env={**env, "WIJKKAART_DATABASE_URL": url, "WIJKKAART_SEARCH_RATE_LIMIT": ""}, database_url=url,
                    log=logs / f"{backend}_{name.replace(' ', '_')}.log",
                )
            _run(args, backend, servers, loads)
        finally:
            for server in servers.values():
                server.stop()


def _run(args: argparse.Namespace, backend: str, servers: dict[str, Server], loads: dict[str, list[str]]) -> None:
    print(f"\n== {backend}, {args.services:,} services, {args.connections} connections, {args.rounds} rounds of "
          f"{args.seconds:g} s per load; load average {os.getloadavg()[0]:.1f}", flush=True)
    # Each server goes on through the distinct searches where it stopped, so none is sent twice.
    turns = {(name, load): itertools.count() for name in servers for load in loads}
    warm_up = {name: drive(server.port, loads["distinct"], args.connections, args.warmup_seconds, turns[name, "distinct"])
               for name, server in servers.items()}  # untimed: statements compiled, caches warmed, gc frozen
    done: dict[tuple[str, str], list[Load]] = {key: [] for key in turns}
    cpu = dict.fromkeys(turns, 0.0)
    for round_ in range(args.rounds):
        for name, server in servers.items():
            for load, paths in loads.items():
                if load == "repeated":  # so that the timed load finds them all in the cache, where on
                    fetch_all(server.port, paths)
                before = server.cpu_seconds()
                done[name, load].append(drive(server.port, paths, args.connections, args.seconds, turns[name, load]))
                cpu[name, load] += server.cpu_seconds() - before
        print(f"  round {round_ + 1} done; load average {os.getloadavg()[0]:.1f}", flush=True)
    for name in servers:
        if warm_up[name].requests + sum(run.requests for run in done[name, "distinct"]) > len(loads["distinct"]):
            print(f"  ({name} was sent some distinct searches twice: more requests than the mix holds)")
    for load in loads:
        print(f"\n  {load}: {'req/s (rounds)':>26}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'/ deployed':>12}")
        for name in servers:
            runs = done[name, load]
            latencies = [t for run in runs for t in run.latencies]
            ratio = statistics.median(
                run.rate / deployed.rate for run, deployed in zip(runs, done["as deployed", load], strict=True)
            )
            print(f"  {name:<16}{' / '.join(f'{run.rate:,.0f}' for run in runs):>22}"
                  f"{percentile(latencies, 0.5):9.1f}{percentile(latencies, 0.99):9.1f}"
                  f"{cpu[name, load] / sum(run.requests for run in runs) * 1000:12.2f}{ratio:12.2f}")
    for name, server in servers.items():
        memory = server.memory()
        print(f"  {name}: RssAnon {memory['RssAnon'] / 1024:.0f} MB, peak RSS {memory['VmHWM'] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
