"""The 2,000-search mix under database session settings, search by search in turn.

    .venv/bin/python -m bench.session_settings URL [--setting NAME=SQL;SQL …] [--rounds 2]
    .venv/bin/python -m bench.session_settings \\
        postgresql+psycopg://postgres@127.0.0.1:5432/wijkkaart_bench_200000_0010 \\
        --setting "default=" --setting "page cost 4=set random_page_cost = 4"

One engine per setting (its statements run on each new connection, after the app's own
connection options), all in one process; each search of load.py's mix runs under every
setting in turn (the order alternating), so that a machine whose speed moves by the
minute weighs on all alike.
A search's time is the fastest of its rounds. Prints, per setting, the mean and the
percentiles over the searches, and its slowest searches. Figures only, never asserted.
"""

import argparse
import statistics
import time
import urllib.parse
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.db import make_engine
from app.search import service
from app.search.schemas import SearchCriteria
from app.visibility import ANONYMOUS
from bench.search_scale import search_mix


def criteria(path: str) -> SearchCriteria:
    pairs = urllib.parse.parse_qsl(path.split("?", 1)[1])
    fields: dict[str, Any] = {name: value for name, value in pairs if name != "domain"}
    if domains := [value for name, value in pairs if name == "domain"]:
        fields["domain"] = domains
    return SearchCriteria(**fields)


def engine_with(url: str, statements: list[str]) -> Engine:
    engine = make_engine(url)
    if statements:
        @event.listens_for(engine, "connect")
        def _apply(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.close()
            dbapi_connection.commit()
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--setting", action="append", default=[], help="NAME=SQL;SQL (empty SQL: the app's own)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slowest", type=int, default=3)
    args = parser.parse_args()
    settings = dict(setting.split("=", 1) for setting in args.setting or ["default="])
    engines = {name: engine_with(args.url, [s for s in sql.split(";") if s.strip()]) for name, sql in settings.items()}
    paths = search_mix(args.url, 2000)
    searches = [(path, criteria(path)) for path in paths]
    fastest: dict[str, dict[str, float]] = {name: {} for name in engines}
    for _ in range(args.rounds):
        for index, (path, wanted) in enumerate(searches):
            # The order alternates: a search run second finds the first run's pages and plans warm.
            turn = list(engines.items())
            for name, engine in turn if index % 2 else reversed(turn):
                started = time.perf_counter()
                with Session(engine) as session:
                    service.search(session, wanted, ANONYMOUS)
                took = (time.perf_counter() - started) * 1000
                fastest[name][path] = min(fastest[name].get(path, took), took)
    for name, times in fastest.items():
        ordered = sorted(times.values())
        p50, p90, p99 = (ordered[int(len(ordered) * share)] for share in (0.5, 0.9, 0.99))
        print(f"{name:>16}: mean {statistics.mean(ordered):6.2f} ms  p50 {p50:6.1f}  p90 {p90:6.1f}  "
              f"p99 {p99:6.1f}  slowest {ordered[-1]:6.1f}")
        for path, took in sorted(times.items(), key=lambda item: -item[1])[:args.slowest]:
            print(f"{'':>18}{took:6.1f} ms  {path}")


if __name__ == "__main__":
    main()
