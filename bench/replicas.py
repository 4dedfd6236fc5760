"""Read throughput: one API process on the primary, against two API processes, one reading
from the primary and one from a streaming replica, in the same run.

The cluster is the one tests/test_replica_cluster.py runs (tests/pgcluster.py: a primary and
a standby of their own, from the operating system's PostgreSQL binaries, on free loopback
ports), with the demo region. The reads are anonymous searches by postcode with the response
cache off, so each one is computed from the database, mixed with service lists. Each setup
gets the same number of connections in total, split evenly over its processes.

One machine bounds what this shows: the API processes, both PostgreSQL servers and the
load client share its cores (two on the development machine), so the ratio shows that
reads split over a replica go on at full speed, not what separate machines would add.

    .venv/bin/python -m bench.replicas [--seconds 10] [--concurrency 8]
"""

import argparse
import asyncio
import itertools
import time

from sqlmodel import Session

from app.db import make_engine
from app.demo import load_demo
from bench.throughput import _load as load_requests
from tests.pgcluster import ApiProcess, Cluster, api_environment

SETTINGS = {"search_cache_mb": "0", "log_level": "WARNING"}


async def _measure(ports: list[int], paths: list[str], concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests per second over all `ports`, each taking its share of the connections."""
    turn = itertools.count()
    shares = [concurrency // len(ports) + (i < concurrency % len(ports)) for i in range(len(ports))]
    results = await asyncio.gather(*(
        load_requests(port, paths, share, seconds, turn) for port, share in zip(ports, shares, strict=True)
    ))
    return sum(rate for rate, _ in results), sum(count for _, count in results)


def _started(environments: list[dict[str, str]], cluster: Cluster, label: str) -> list[ApiProcess]:
    nodes = [ApiProcess(environment, cluster.root / f"{label}-{i}.log") for i, environment in enumerate(environments)]
    return [node.wait_until_up() for node in nodes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()

    cluster = Cluster()
    try:
        cluster.start()
        engine = make_engine(cluster.primary.url())
        with Session(engine) as session, session.begin():
            load_demo(session)
        engine.dispose()
        cluster.wait_for_replay()
        postcodes = cluster.primary.sql("SELECT pc4 FROM postcode4 ORDER BY pc4").split()
        paths = [f"/api/v1/search?postcode={code}&limit=10" for code in postcodes] + ["/api/v1/services?limit=10"]
        primary, replica = cluster.primary.url(), cluster.standby.url()
        setups = {
            "one process, reads on the primary": [api_environment(primary, [], **SETTINGS)],
            "two processes, reads on the primary and on the replica": [
                api_environment(primary, [], **SETTINGS), api_environment(primary, [replica], **SETTINGS),
            ],
        }
        print(f"{len(postcodes)} postcodes and a service list, {arguments.concurrency} connections, "
              f"{arguments.seconds:g} s a setup, search response cache off", flush=True)
        rates = []
        for label, environments in setups.items():
            nodes = _started(environments, cluster, label.split(",")[0].replace(" ", "-"))
            try:
                asyncio.run(_measure([node.port for node in nodes], paths, arguments.concurrency, 2.0))  # warm-up
                started = time.perf_counter()
                rate, count = asyncio.run(_measure([node.port for node in nodes], paths, arguments.concurrency, arguments.seconds))
            finally:
                for node in nodes:
                    node.close()
            rates.append(rate)
            print(f"{label}: {rate:.1f} requests/s ({count} in {time.perf_counter() - started:.1f} s)", flush=True)
        print(f"ratio, two processes split over primary and replica / one on the primary: {rates[1] / rates[0]:.2f}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
