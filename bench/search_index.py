"""The search index's writer and matcher at national scale: what a write, a db upgrade and a
rebuild cost, and the text matcher against the full-text index.

    .venv/bin/python -m bench.search_index [--size 30000] [--backends sqlite,postgresql] [--writes 200]

On search_scale's database of that size (built or reused), each in a transaction rolled back:

- **write**: the change log's hook (app/search/index/writer.refresh) for one service, one
  location, one organisation: median and p99 ms over `--writes` entries;
- **db upgrade**: bring_up_to_date on an index that is up to date (what every `wijkkaart db
  upgrade` costs);
- **read model**: what loading it costs a worker at start-up (app/search/memory.py);
- **rebuild**: the whole index made anew;
- **matcher**: HSDS's search (text.text_matches: the postcode search's test over every
  service's stems) against the full-text index's prefix match (fulltext.search_document_matches)
  for the same queries, median ms, with the number of services each finds.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from app.db import make_engine
from app.dialect import fulltext
from app.locations.models import Location
from app.organisations.models import Organisation
from app.search import memory
from app.search.index import writer
from app.search.text import search_terms, text_matches
from app.services.models import Service
from bench.search_scale import DEFAULT_POSTGRES, database

QUERIES = ("schulden", "eenzaam", "mantelzorg", "huurachterstand", "uitkering", "taalcafe budgetcoach", "hulp", "geld")


def _ms(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _p(timings: list[float]) -> str:
    ordered = sorted(timings)
    return f"{statistics.median(ordered):8.2f} / {ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:8.2f}"


def _rolled_back(engine: Any, run: Callable[[Session], Any]) -> Any:
    with Session(engine) as session:
        session.begin()
        try:
            return run(session)
        finally:
            session.rollback()


def measure(url: str, writes: int) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            services = list(session.scalars(select(Service.id).where(Service.deleted_at.is_(None)).limit(writes)))  # type: ignore[union-attr]
            locations = list(session.scalars(select(Location.id).limit(writes)))
            organisations = list(session.scalars(select(Organisation.id).limit(writes)))

        def hook(kind: str, ids: list[Any]) -> list[float]:
            return _rolled_back(engine, lambda session: [_ms(lambda i=i: writer.refresh(session, [(kind, i)])) for i in ids])

        for kind, ids in (("service", services), ("location", locations), ("organisation", organisations)):
            print(f"  write: the hook for one {kind:<13} p50 / p99 ms {_p(hook(kind, ids))}")
        up_to_date = _rolled_back(engine, lambda session: _ms(lambda: writer.bring_up_to_date(session)))
        print(f"  db upgrade, index up to date                 {up_to_date / 1000:8.2f} s")

        with Session(engine) as session:
            loaded = _ms(lambda: memory.load(session, None))
        print(f"  read model, loaded at a worker's start       {loaded / 1000:8.2f} s")
        print(f"  rebuild, the whole index                     "
              f"{_rolled_back(engine, lambda session: _ms(lambda: writer.rebuild(session))) / 1000:8.2f} s")
        with Session(engine) as session:
            for q in QUERIES:
                scan, index = [], []
                found: tuple[int, int] = (0, 0)
                for _ in range(5):
                    matches = text_matches(session, q)
                    scan.append(_ms(lambda m=matches: session.scalar(select(func.count()).select_from(m))))
                    prefix = fulltext.search_document_matches(session, search_terms(session, q).query)
                    index.append(_ms(lambda m=prefix: session.scalar(select(func.count()).select_from(m))))
                    found = (session.scalar(select(func.count()).select_from(matches)) or 0,
                             session.scalar(select(func.count()).select_from(prefix)) or 0)
                print(f"  matcher {q!r:24} stems scan {statistics.median(scan):8.2f} ms ({found[0]:>6} found)   "
                      f"full-text index {statistics.median(index):8.2f} ms ({found[1]:>6} found)")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(f"== {backend}, {args.size:,} services", flush=True)
        measure(database(backend, args.size, args.postgres, regenerate=False), args.writes)


if __name__ == "__main__":
    main()
