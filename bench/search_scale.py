"""The national-scale search benchmark: latency at 2,000 and 200,000 services, and HTTP throughput.

    .venv/bin/python -m bench.search_scale [--regenerate] [--backends sqlite,postgresql]
        [--sizes 2000,200000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Per backend and size: a database from bench/national_data.py (cached: bench/.cache/*.db
for SQLite, database wijkkaart_bench_<size>_<migration head> for PostgreSQL; --regenerate
rebuilds), then the named query mix through the ASGI app in-process (httpx's ASGI transport, no
network; gc as the app leaves it; the response cache off), both sizes side by side and rounds
interleaved, so that noise from the rest of the machine spreads over all queries and
sizes alike. Then, per backend and size, the search endpoint's HTTP throughput over that
of a bare endpoint sending the same bytes (bench/throughput.py), for the repeated search
and a mix of distinct ones, with the response cache on and off. Figures are printed,
never asserted.
"""

import argparse
import asyncio
import functools
import logging
import os
import random
import statistics
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.areas.models import Postcode4, PostcodeKind
from app.db import SchemaBehind, alembic_config, assert_schema_current, make_engine
from app.main import create_app
from app.search.cache import ResponseCache
from app.services.models import Service
from app.settings import get_settings
from bench import throughput
from bench.national_data import DEFAULT_POSTGRES, build, recreate_postgres

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
SEARCH = "/api/v1/search?"
# name -> query string. Urban and rural PC4s and PC6s, with and without q and domain filters.
QUERIES = {
    "urban 1012 Amsterdam": "postcode=1012",
    "urban 3011 Rotterdam q=schulden": "postcode=3011&q=schulden",
    "urban 2511 Den Haag domain=financien": "postcode=2511&domain=financien",
    "urban 3511 Utrecht q=eenzaam domain=sociaal_netwerk": "postcode=3511&q=eenzaam&domain=sociaal_netwerk",
    "urban 9711AB Groningen (PC6)": "postcode=9711AB",
    "urban 1012AB q=mantelzorg open_now": "postcode=1012AB&q=mantelzorg&open_now=true",
    # open_only at a moment when most are open, and at one when none is (every candidate read).
    "urban 1012 open_only Tue 10:00": "postcode=1012&open_only=true&open_at=2026-12-15T10:00",
    "urban 1012 open_only Tue 22:00 (none open)": "postcode=1012&open_only=true&open_at=2026-12-15T22:00",
    "rural 4356 Oostkapelle": "postcode=4356",
    "rural 9163 Ameland q=schulden": "postcode=9163&q=schulden",
    "rural 7161 Neede domain=financien,huisvesting": "postcode=7161&domain=financien&domain=huisvesting",
    "rural 8881 Terschelling q=eenzaam": "postcode=8881&q=eenzaam",
    "rural 4325AB Renesse (PC6) domain=huiselijke_relaties": "postcode=4325AB&domain=huiselijke_relaties",
}
THROUGHPUT_QUERY = "urban 1012 Amsterdam"


def _percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _ready(url: str, size: int) -> bool:
    """Whether url holds a generated data set of this size at the current migration head."""
    engine = make_engine(url)
    try:
        assert_schema_current(engine)
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(Service)) == size
    except (SchemaBehind, Exception):  # noqa: BLE001 - missing, empty or old: build it anew
        return False
    finally:
        engine.dispose()


def postgres_database(size: int) -> str:
    """The PostgreSQL benchmark database of this size at this code's migration head: branches at
    other heads, sharing the server, keep their own instead of rebuilding each other's."""
    heads = ScriptDirectory.from_config(alembic_config(DEFAULT_POSTGRES)).get_heads()
    return f"wijkkaart_bench_{size}_{'_'.join(sorted(heads))}"


def database(backend: str, size: int, admin_url: str, regenerate: bool) -> str:
    """The benchmark database of this size (built when missing or stale), read once into the OS page cache."""
    url = _built(backend, size, admin_url, regenerate)
    _warm(url)
    return url


def _warm(url: str) -> None:
    """Read the whole database once, so that a measurement starts where a running server's
    would, with its catalogue in the page cache. This machine's disk reads ~165 MB/s and
    does not always keep a database it just wrote cached: read cold, PostgreSQL's 200,000
    (0.9 GB) serves the mix of distinct searches at 5 req/s against 800 warm."""
    if url.startswith("sqlite"):
        with open(make_url(url).database or "", "rb") as handle:
            while handle.read(1 << 24):
                pass
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
            connection.execute(text(
                "SELECT pg_prewarm(c.oid, 'read') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('public', 'pg_toast') AND c.relkind IN ('r', 'i', 't')"
            ))
    finally:
        engine.dispose()


def _built(backend: str, size: int, admin_url: str, regenerate: bool) -> str:
    if backend == "sqlite":
        CACHE_DIR.mkdir(exist_ok=True)
        path = CACHE_DIR / f"national_{size}.db"
        url = f"sqlite:///{path}"
        if regenerate or not path.exists() or not _ready(url, size):
            for stale in CACHE_DIR.glob(f"national_{size}.db*"):
                stale.unlink()
            build(url, size)
        return url
    name = postgres_database(size)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    if regenerate or not exists or not _ready(url, size):
        build(recreate_postgres(admin_url, name), size)
    return url


def latency(urls: dict[int, str], rounds: int) -> dict[int, dict[str, Any]]:
    """Per size: ms per request per query, result counts, and the body of the throughput query.

    The sizes are measured side by side, request by request, so that whatever else the
    machine does at the time weighs on both alike. Requests go through httpx's ASGI
    transport on one event loop, as uvicorn would hand them over: Starlette's TestClient
    would add some 2 ms of its own per request (a thread hop each way).
    """
    engines = {size: make_engine(url) for size, url in urls.items()}
    # httpx logs every request it sends at INFO: the client's work, not the app's, inside the timed span.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return asyncio.run(_latency({size: create_app(engine) for size, engine in engines.items()}, rounds))
    finally:
        for engine in engines.values():
            engine.dispose()


async def _latency(apps: dict[int, Any], rounds: int) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    async with AsyncExitStack() as stack:
        clients = {}
        for size, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            app.state.search_cache = ResponseCache(0, 0)  # the latency of the search itself, not of the cache
            transport = httpx.ASGITransport(app=app)
            clients[size] = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://bench"))
        for size, client in clients.items():
            found, body = {}, b""
            for name, query in QUERIES.items():
                response = await client.get(SEARCH + query)
                assert response.status_code == 200, (name, response.text)
                found[name] = len(response.json()["items"])
                body = response.content if name == THROUGHPUT_QUERY else body
            results[size] = {"timings": {name: [] for name in QUERIES}, "found": found, "body": body}
        control: list[float] = []
        for round_ in range(rounds + 3):
            for name, query in QUERIES.items():
                for size, client in clients.items():
                    start = time.perf_counter()
                    await client.get(SEARCH + query)
                    if round_ >= 3:  # the first rounds warm caches
                        results[size]["timings"][name].append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                _fixed_work()
                control.append((time.perf_counter() - start) * 1000)
    for result in results.values():
        result["control"] = control
    return results


def _fixed_work() -> int:
    """The same pure-Python work every time (~10 ms): its spread between rounds is the
    machine's own, the floor under any request's p99 / p50."""
    return sum(i * i for i in range(200_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The anonymous search rate limit (60 a minute) would refuse nearly every request measured here;
    # the app under test and the uvicorn servers it starts run without it.
    os.environ["WIJKKAART_SEARCH_RATE_LIMIT"] = ""
    get_settings.cache_clear()  # read at import by app.fhir.systems
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="2000,200000")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0, help="per throughput measurement (x3 each)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for backend in args.backends.split(","):
        urls = {size: database(backend, size, args.postgres, args.regenerate) for size in sizes}
        # The machine is shared: the load average says how quiet it was.
        print(f"\n{backend}: load average before {os.getloadavg()[0]:.1f}", flush=True)
        for size, result in latency(urls, args.rounds).items():
            if not args.no_throughput:
                loads = {"repeated": [SEARCH + QUERIES[THROUGHPUT_QUERY]], "mix": search_mix(urls[size])}
                measure = functools.partial(throughput.measure, urls[size], loads, result["body"],
                                            seconds=args.seconds, work_dir=CACHE_DIR)
                result["rps"] = measure()
                result["rps_uncached"] = measure(env={"WIJKKAART_SEARCH_CACHE_MB": "0"})
                result["mix_size"] = len(loads["mix"])
                result["bytes"] = len(result["body"])
            results[backend, size] = result
            _report_one(backend, size, result)
        print(f"{backend}: load average after {os.getloadavg()[0]:.1f}", flush=True)
    _report_ratios(results, sizes)


def search_mix(url: str, count: int = 200) -> list[str]:
    """Distinct searches in a seeded order: residential PC4s across the country, a quarter each
    without filters, with q, with a domain, with both."""
    variants = ["", "&q=schulden", "&domain=financien", "&q=eenzaam&domain=sociaal_netwerk", "&q=mantelzorg",
                "&domain=huisvesting"]
    engine = make_engine(url)
    with Session(engine) as session:
        pc4s = session.scalars(select(Postcode4.pc4).where(Postcode4.kind != PostcodeKind.po_box)
                               .order_by(Postcode4.pc4)).all()
    engine.dispose()
    rng = random.Random(20261124)
    paths = {f"{SEARCH}postcode={rng.choice(pc4s)}{rng.choice(variants)}" for _ in range(count * 2)}
    return rng.sample(sorted(paths), k=min(count, len(paths)))


def _report_one(backend: str, size: int, result: dict[str, Any]) -> None:
    print(f"\n== {backend}, {size:,} services: p50 / p99 ms (results on the page)")
    for name, timings in result["timings"].items():
        p50, p99 = _percentiles(timings)
        print(f"  {name:<56}{p50:8.2f} / {p99:7.2f}   ({result['found'][name]})")
    p50, p99 = _percentiles([t for ts in result["timings"].values() for t in ts])
    print(f"  {'all queries':<56}{p50:8.2f} / {p99:7.2f}")
    p50, p99 = _percentiles(result["control"])
    print(f"  {'control: fixed CPU work in the same rounds':<56}{p50:8.2f} / {p99:7.2f}")
    if "rps" in result:
        print(f"  HTTP req/s against a bare endpoint sending the same {result['bytes']:,} bytes:")
        for label, rps in (("response cache on", result["rps"]), ("response cache off", result["rps_uncached"])):
            bare = rps["bare"][0]
            (repeated, _), (mix, sent) = rps["repeated"], rps["mix"]
            # Each distinct search misses once (entries outlive the run): the rest can hit.
            hits = f", hit rate at most {1 - min(sent, result['mix_size']) / sent:.0%}" if rps is result["rps"] else ""
            print(f"    {label}: bare {bare:.0f}; search repeated {repeated:.0f} (ratio {repeated / bare:.2f}); "
                  f"mix of {result['mix_size']:,} distinct {mix:.0f} (ratio {mix / bare:.2f}, {sent:,} sent{hits})")


def _report_ratios(results: dict[tuple[str, int], dict[str, Any]], sizes: list[int]) -> None:
    if len(sizes) < 2:
        return
    small, large = min(sizes), max(sizes)
    print(f"\n== latency ratio {large:,} / {small:,} services")
    for backend in dict.fromkeys(b for b, _ in results):
        if (backend, small) not in results or (backend, large) not in results:
            continue
        both = [_percentiles([t for ts in results[backend, s]["timings"].values() for t in ts]) for s in (small, large)]
        # The same page size at both sizes: at 2,000 services many places find little, so
        # their pages are cheaper to build; this compares like with like.
        full = [q for q in QUERIES if results[backend, small]["found"][q] == results[backend, large]["found"][q]]
        same = [_percentiles([t for q in full for t in results[backend, s]["timings"][q]]) for s in (small, large)]
        print(f"  {backend:<12} all queries: p50 {both[1][0] / both[0][0]:.2f}, p99 {both[1][1] / both[0][1]:.2f}; "
              f"the {len(full)} with equal page sizes: p50 {same[1][0] / same[0][0]:.2f}, p99 {same[1][1] / same[0][1]:.2f}")


if __name__ == "__main__":
    main()
