"""The practice page's results against the JSON search they are built on, for a typical demo search.

    .venv/bin/python bench/practice_page.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds a fresh database per backend by running the migrations, loads the demo, then times
GET /?postcode=4331AB&q=schulden (the page: search, front doors, HTML) and
GET /api/v1/search?postcode=4331AB&q=schulden (JSON) through the ASGI app, in one run,
alternating the two so that both see the same machine. The JSON search's response cache is
off: the page computes its search every time, and so does the JSON side here. Prints p50
and p99 in ms, the ratio of the medians, and the page's weight (HTML + CSS + JS).
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from alembic import command
from demo_latency import scratch_database
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.demo import load_demo
from app.main import create_app
from app.settings import Settings, get_settings

QUERY = "postcode=4331AB&q=schulden"
PAGE, JSON = f"/?{QUERY}", f"/api/v1/search?{QUERY}"
ROUNDS = 200
WEIGHT_LIMIT = 100 * 1024


def _p99(timings: list[float]) -> float:
    return sorted(timings)[int(len(timings) * 0.99) - 1]


def measure(url: str) -> tuple[dict[str, list[float]], int]:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
    timings: dict[str, list[float]] = {PAGE: [], JSON: []}
    with TestClient(create_app(engine, Settings(database_url=url, search_cache_mb=0))) as client:
        page = client.get(PAGE)
        assert page.status_code == 200 and client.get(JSON).status_code == 200
        styles = [client.get(href).content for href in ("/static/wijkkaart.css",)]
        weight = len(page.content) + sum(len(css) for css in styles)  # the page has no script
        for _ in range(ROUNDS):
            for path in (PAGE, JSON):
                start = time.perf_counter()
                client.get(path)
                timings[path].append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return timings, weight


def main() -> None:
    os.environ["WIJKKAART_SEARCH_RATE_LIMIT"] = ""  # the anonymous limit would refuse most requests measured
    get_settings.cache_clear()
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=None, help="also measure on this PostgreSQL server")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = measure(f"sqlite:///{Path(directory) / 'bench.db'}")
    if args.postgres:
        with scratch_database(args.postgres) as url:
            results["postgresql"] = measure(url)
    for backend, (timings, weight) in results.items():
        page, json = statistics.median(timings[PAGE]), statistics.median(timings[JSON])
        print(f"{backend}: {ROUNDS} rounds of {QUERY}")
        print(f"  page (HTML)   p50 {page:7.2f} ms   p99 {_p99(timings[PAGE]):7.2f} ms")
        print(f"  search (JSON) p50 {json:7.2f} ms   p99 {_p99(timings[JSON]):7.2f} ms")
        print(f"  ratio page/JSON (p50): {page / json:.2f}")
        verdict = "under" if weight < WEIGHT_LIMIT else "OVER"
        print(f"  page weight (HTML + CSS + JS): {weight / 1024:.1f} kB, {verdict} {WEIGHT_LIMIT // 1024} kB")


if __name__ == "__main__":
    main()
