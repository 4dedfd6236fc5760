"""Relevance of the text search on the demo region: precision@3 and MRR over the judged queries.

    .venv/bin/python bench/relevance.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--list]

The judged queries are ../shared/relevance/demo_queries.csv (beside the repo) and
tests/search/relevance_queries.csv: per row, a postcode, q, the services a person who knows the
demo catalogue judges right, and how high one of them must rank (tests/search/test_search_relevance.py
asserts that rule). Here, per database: precision@3 (the share of the first three results
that are judged right, averaged over the queries), MRR (the mean of 1 / the rank of the
first judged-right result, 0 when none is in the first 20), and how many rows keep their
rule. --list prints each query's first results.
"""

import argparse
import csv
import os
import tempfile
import uuid
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

REPO = Path(__file__).resolve().parents[1]
JUDGED = [REPO.parent / "shared" / "relevance" / "demo_queries.csv", REPO / "tests" / "search" / "relevance_queries.csv"]
DEPTH = 20


def judged_queries() -> list[dict[str, str]]:
    rows = []
    for path in JUDGED:
        with path.open(encoding="utf-8") as handle:
            rows += [row | {"source": path.name} for row in csv.DictReader(handle)]
    return rows


def measure(url: str, queries: list[dict[str, str]], listing: bool) -> tuple[float, float, int]:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
    precision = reciprocal = 0.0
    kept = 0
    with TestClient(create_app(engine)) as client:
        for row in queries:
            response = client.get("/api/v1/search", params={"postcode": row["postcode"], "q": row["q"], "limit": DEPTH})
            names = [item["service"]["name"] for item in response.json().get("items", [])] \
                if response.status_code == 200 else []
            right = set(row["expected_any_of"].split("|"))
            ranks = [rank for rank, name in enumerate(names, 1) if name in right]
            precision += sum(name in right for name in names[:3]) / 3
            reciprocal += 1 / ranks[0] if ranks else 0.0
            kept += bool(ranks) and ranks[0] <= int(row["within_top"])
            if listing:
                print(f"  {row['postcode']} {row['q']!r}: first right at {ranks[0] if ranks else '-'} "
                      f"(rule {row['within_top']}); {names[:5]}")
    engine.dispose()
    return precision / len(queries), reciprocal / len(queries), kept


def main() -> None:
    os.environ["WIJKKAART_SEARCH_RATE_LIMIT"] = ""  # many requests from one client, as in bench/demo_latency.py
    get_settings.cache_clear()
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--list", action="store_true", help="print each query's first results")
    args = parser.parse_args()
    queries = judged_queries()
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = measure(f"sqlite:///{Path(directory) / 'bench.db'}", queries, args.list)
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"wk_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        results["postgresql"] = measure(url, queries, False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    print(f"{len(queries)} judged queries ({', '.join(path.name for path in JUDGED)})")
    print(f"{'database':<12}{'precision@3':>13}{'MRR':>8}{'rule kept':>12}")
    for backend, (precision, mrr, kept) in results.items():
        print(f"{backend:<12}{precision:>13.3f}{mrr:>8.3f}{f'{kept}/{len(queries)}':>12}")


if __name__ == "__main__":
    main()
