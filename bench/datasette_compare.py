"""The uncached search over HTTP against Datasette and a bare FastAPI endpoint, on the national data.

    .venv/bin/python -m bench.datasette_compare [--services 200000] [--backends sqlite,postgresql]
        [--seconds 10] [--rounds 3] [--mix 2000] [--connections 16] [--fts app|stems] [--postgres URL]

Needs the bench extra (`pip install -e ".[bench]"`: datasette). One run, on one machine:
- ours, per backend: the app under uvicorn, one worker, response cache off
  (WIJKKAART_SEARCH_CACHE_MB=0), anonymous, rate limit off;
- Datasette, one process, on the same SQLite file, answering DATASETTE_PLAIN and
  DATASETTE_TEXT as canned queries (`_shape=array`);
- bare: a FastAPI app of one async endpoint sending a fixed body, our median response to the mix.
Each server gets a mix of distinct searches (bench/search_scale.py search_mix: residential
PC4s across the country, plain, with q, with a domain, with both), the same searches for
all, from the keep-alive client of bench/throughput.py with `--connections` connections;
the loads alternate, `--rounds` times `--seconds` each, after an untimed warm-up. Printed
per load: req/s per round, p50/p99 over the rounds, the server's CPU ms per request (with
its PostgreSQL sessions) and the client's CPU share (it runs in this process, unpinned, on
the same cores); ratios ours/Datasette and ours/bare per round; our worker's memory after.
"""

import argparse
import itertools
import json
import os
import statistics
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import make_engine
from app.dialect.fulltext import render_text_query
from app.search.text import search_terms
from bench.national_data import DEFAULT_POSTGRES
from bench.search_scale import CACHE_DIR, database, search_mix
from bench.throughput import PAYLOAD_ENV, Load, Server, drive, fetch_all, free_port, percentile, uvicorn

# Datasette's equivalent of a search: the services with an area that is the postcode's
# gemeente (ours also ranks buurt, wijk, radius and anywhere matches), live and active, in
# the domain when one is asked; ranked by the squared equirectangular distance of their
# nearest location (longitude scaled by cos² 52°), with q by FTS5's bm25 first; 20, each
# with its stored service card and its nearest location's card, as ours sends them.
_PAGE = """
select r.id, r.name, {relevance}sc.body as service_card, lc.body as location_card,
  min((pt.lat - r.lat) * (pt.lat - r.lat) + (pt.lon - r.lon) * (pt.lon - r.lon) * 0.375) as d2
from (
  select s.id, s.name, p.lat, p.lon, {rank}
    (select min((pt.lat - p.lat) * (pt.lat - p.lat) + (pt.lon - p.lon) * (pt.lon - p.lon) * 0.375)
     from service_location sl join location pt on pt.id = sl.location_id
     where sl.service_id = s.id and pt.deleted_at is null) as d2
  from {candidates}
  where s.deleted_at is null and s.status = 'active'
    and (:domain = '' or exists (select 1 from service_need_domain d where d.service_id = s.id and d.domain_code = :domain))
  order by {order}s.id
  limit 20
) r
join search_card sc on sc.kind = 'service' and sc.entity_id = r.id
left join service_location sl on sl.service_id = r.id
left join location pt on pt.id = sl.location_id and pt.deleted_at is null
left join search_card lc on lc.kind = 'location' and lc.entity_id = pt.id
group by r.id
order by {order}r.id
"""
DATASETTE_PLAIN = _PAGE.format(
    relevance="", rank="", order="d2, ",
    candidates="postcode4 p\n  join service_area a on a.area_code = p.gemeente_code and p.pc4 = :postcode\n"
    "  join service s on s.id = a.service_id",
)
# With q, the full-text index drives (CROSS JOIN keeps SQLite's join order): testing each of
# the gemeente's candidates against the index instead runs a full-text query per candidate,
# 13 times as slow at 20,000 services and no faster at 200,000.
# :fts is q in FTS5's syntax (--fts): "app", the app's own index query for it (app/dialect/
# fulltext.py render_text_query: each word's stem, the word as typed, its compound parts and
# the labels of the need domains it names, as prefixes), which matches what ours matches;
# "stems", each word's stem as a prefix only, the plain full-text query, matching fewer.
DATASETTE_TEXT = _PAGE.format(
    relevance="r.relevance, ", rank="-bm25(service_search) as relevance,", order="relevance desc, d2, ",
    candidates="service_search\n  cross join service_search_stems st on st.id = service_search.rowid\n"
    "  join postcode4 p on p.pc4 = :postcode\n"
    "  join service_area a on a.service_id = st.service_id and a.area_code = p.gemeente_code\n"
    "  join service s on s.id = st.service_id and service_search match :fts",
)


def datasette_metadata(database_name: str) -> dict[str, object]:
    return {"databases": {database_name: {"queries": {
        "search": {"sql": DATASETTE_PLAIN}, "search_text": {"sql": DATASETTE_TEXT},
    }}}}


def fts_query(session: Session, q: str, form: str) -> str:
    """q in FTS5's syntax: the app's own index query, or ("stems") its words' stems as prefixes."""
    terms = search_terms(session, q)
    if form == "stems":
        return " AND ".join(f'"{word.stem}"*' for word in terms.words)
    return render_text_query("sqlite", terms.query)


def datasette_paths(sqlite_url: str, database_name: str, paths: list[str], form: str) -> list[str]:
    """Our search paths as Datasette's canned queries, q in FTS5's syntax (fts_query)."""
    engine = make_engine(sqlite_url)
    fts: dict[str, str] = {}
    translated = []
    try:
        with Session(engine) as session:
            for path in paths:
                asked = {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}
                query = {"postcode": asked["postcode"], "domain": asked.get("domain", ""), "_shape": "array"}
                name = "search"
                if q := asked.get("q"):
                    if q not in fts:
                        fts[q] = fts_query(session, q, form)
                    query["fts"], name = fts[q], "search_text"
                translated.append(f"/{database_name}/{name}.json?{urlencode(query)}")
    finally:
        engine.dispose()
    return translated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgresql", help="our server's databases")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server")
    parser.add_argument("--seconds", type=float, default=10.0, help="per load and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup-seconds", type=float, default=5.0)
    parser.add_argument("--mix", type=int, default=2000, help="distinct searches")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--fts", choices=("app", "stems"), default="app", help="Datasette's full-text query for q")
    args = parser.parse_args()
    backends = args.backends.split(",")
    urls = {backend: database(backend, args.services, args.postgres, False) for backend in {"sqlite", *backends}}
    sqlite_file = Path(make_url(urls["sqlite"]).database or "")
    paths = search_mix(urls["sqlite"], args.mix)  # the same areas, hence the same mix, on both databases
    logs = CACHE_DIR / "datasette_compare"
    logs.mkdir(exist_ok=True)
    env = {"WIJKKAART_SEARCH_CACHE_MB": "0", "WIJKKAART_SEARCH_RATE_LIMIT": ""}
    servers: dict[str, Server] = {}
    loads: dict[str, list[str]] = {}
    try:
        for backend in backends:
            port = free_port()
            servers[f"ours {backend}"] = Server(
                f"ours-{backend}", uvicorn("app.main:create_app", port), port=port, database_url=urls[backend],
                env={**env, "WIJKKAART_DATABASE_URL": urls[backend]},
                log=logs / f"ours_{backend}.log",
            )
            loads[f"ours {backend}"] = paths
        payload = logs / "bare_payload.json"
        payload.write_bytes(_median_body(servers[f"ours {backends[0]}"].port, paths))
        metadata = logs / "datasette.json"
        metadata.write_text(json.dumps(datasette_metadata(sqlite_file.stem), indent=1))
        port = free_port()
        servers["Datasette"] = Server("datasette", [
            sys.executable, "-m", "datasette", "serve", str(sqlite_file), "--metadata", str(metadata),
            "--port", str(port), "--setting", "sql_time_limit_ms", "10000",
        ], port=port, log=logs / "datasette.log")
        loads["Datasette"] = datasette_paths(urls["sqlite"], sqlite_file.stem, paths, args.fts)
        theirs = len(_median_body(port, loads["Datasette"]))
        port = free_port()
        servers["bare"] = Server("bare", uvicorn("bench.throughput:create_bare", port), port=port,
                                 env={PAYLOAD_ENV: str(payload)}, log=logs / "bare.log")
        loads["bare"] = ["/bare"]
        _run(args, servers, loads, f"ours and bare {payload.stat().st_size:,}, Datasette {theirs:,}")
    finally:
        for server in servers.values():
            server.stop()


def _median_body(port: int, paths: list[str]) -> bytes:
    """The response of median size to the first 101 searches of the mix."""
    return sorted(fetch_all(port, paths[:101]), key=len)[50]


def _run(args: argparse.Namespace, servers: dict[str, Server], loads: dict[str, list[str]], sizes: str) -> None:
    print(f"{args.services:,} services; {len(loads[next(iter(loads))]):,} distinct searches; Datasette's q: {args.fts}; "
          f"{args.connections} connections; {args.rounds} rounds of {args.seconds:g} s per load; median body bytes: {sizes}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    turns = {name: itertools.count() for name in loads}
    for name, server in servers.items():  # untimed: statements compiled, caches warmed, gc frozen
        drive(server.port, loads[name], args.connections, args.warmup_seconds, turns[name])
    done: dict[str, list[Load]] = {name: [] for name in loads}
    cpu: dict[str, float] = dict.fromkeys(loads, 0.0)
    for round_ in range(args.rounds):
        for name, server in servers.items():
            before = server.cpu_seconds()
            load = drive(server.port, loads[name], args.connections, args.seconds, turns[name])
            cpu[name] += server.cpu_seconds() - before
            done[name].append(load)
        rates = {name: runs[-1].rate for name, runs in done.items()}
        print(f"  round {round_ + 1}: " + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items())
              + f" req/s; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{'':<20}{'req/s (rounds)':>28}{'p50 ms':>9}{'p99 ms':>9}{'server CPU ms/req':>19}{'client CPU':>12}")
    for name, runs in done.items():
        latencies = [t for run in runs for t in run.latencies]
        requests = sum(run.requests for run in runs)
        client = sum(run.client_cpu for run in runs) / sum(run.seconds for run in runs)
        rounds = " / ".join(f"{run.rate:,.0f}" for run in runs)
        print(f"{name:<20}{rounds:>28}{percentile(latencies, 0.5):9.1f}{percentile(latencies, 0.99):9.1f}"
              f"{cpu[name] / requests * 1000:19.2f}{client:12.0%}")
    # On a busy machine a server's req/s is also its share of the cores, which the scheduler
    # gives per process (PostgreSQL's sessions are processes of their own); CPU per request is not.
    print("\nours / theirs: req/s per round (median); CPU per request, theirs / ours")
    cost = {name: cpu[name] / sum(run.requests for run in runs) for name, runs in done.items()}
    for backend in (name for name in loads if name.startswith("ours")):
        for other in ("Datasette", "bare"):
            ratios = [ours.rate / theirs.rate for ours, theirs in zip(done[backend], done[other], strict=True)]
            print(f"{backend} / {other}: " + " / ".join(f"{ratio:.3f}" for ratio in ratios)
                  + f" ({statistics.median(ratios):.3f}); CPU {cost[other] / cost[backend]:.3f}")
    print()
    for name, server in servers.items():
        memory = server.memory()
        print(f"{name}: RssAnon {memory['RssAnon'] / 1024:.0f} MB, RssFile {memory['RssFile'] / 1024:.0f} MB, "
              f"peak RSS {memory['VmHWM'] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
