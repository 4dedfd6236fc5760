"""In-process latency of the main read paths on the demo region, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/demo_latency.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds a fresh database per backend by running the migrations, loads the demo, then
times each request through the ASGI app (no network) and prints p50/p99 in ms.
This is the small-data baseline; the national-scale search benchmark is separate work.
"""

import argparse
import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.demo import load_demo
from app.main import create_app
from app.settings import get_settings

os.environ.setdefault("WIJKKAART_SECRET_KEY", secrets.token_urlsafe(32))  # the app starts only with one

REQUESTS = {
    "search 4331AB": "/api/v1/search?postcode=4331AB",
    "search 4388 financien": "/api/v1/search?postcode=4388&domain=financien",
    "front doors 4337": "/api/v1/front-doors?postcode=4337",
    "postcode 4331 ab": "/api/v1/postcodes/4331%20ab",
    "services page": "/api/v1/services?limit=20",
}
ROUNDS = 200


def measure(url: str) -> dict[str, tuple[float, float]]:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
    figures = {}
    with TestClient(create_app(engine)) as client:
        for name, path in REQUESTS.items():
            assert client.get(path).status_code == 200, path
            timings = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                client.get(path)
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            figures[name] = (statistics.median(timings), timings[int(len(timings) * 0.99) - 1])
    engine.dispose()
    return figures


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the server of `server_url`, dropped after."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"wk_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    # The anonymous search rate limit (60 a minute) would refuse nearly every request measured here;
    # the app under test and the uvicorn servers it starts run without it.
    os.environ["WIJKKAART_SEARCH_RATE_LIMIT"] = ""
    get_settings.cache_clear()  # read at import by app.fhir.systems
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = measure(f"sqlite:///{Path(directory) / 'bench.db'}")
    with scratch_database(args.postgres) as url:
        results["postgresql"] = measure(url)
    print(f"{'request':<24}" + "".join(f"{b + ' p50/p99 ms':>26}" for b in results))
    for request in REQUESTS:
        cells = "".join(f"{results[b][request][0]:>14.2f} / {results[b][request][1]:>7.2f}" for b in results)
        print(f"{request:<24}{cells}")


if __name__ == "__main__":
    main()
