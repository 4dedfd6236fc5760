"""Read throughput: one API process on the primary, against two API processes, one reading
from the primary and one from a streaming replica, in the same run.

The cluster is the one tests/replicas/test_replica_cluster.py runs (tests/support/pgcluster.py: a primary and
a standby of their own, from the operating system's PostgreSQL binaries, on free loopback
ports), with the demo region. The reads are anonymous searches by postcode with the response
cache off, so each one is computed from the database, mixed with service lists. Each setup
gets the same number of connections in total, split evenly over its processes; one process
reading from the replica alone shows what the replica costs by itself.

One machine bounds what this shows: the API processes, both PostgreSQL servers and the
load client share its cores (two on the development machine), so the ratio shows that
reads split over a replica go on at full speed, not what separate machines would add.

    .venv/bin/python -m bench.replicas [--seconds 10] [--concurrency 8] [--rounds 3]
"""

import argparse
import asyncio
import itertools

from sqlmodel import Session

from app.db import make_engine
from app.demo import load_demo
from bench.throughput import _load as load_requests
from tests.support.pgcluster import ApiProcess, Cluster, api_environment

SETTINGS = {"search_cache_mb": "0", "log_level": "WARNING"}


async def _measure(ports: list[int], paths: list[str], concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests per second over all `ports`, each taking its share of the connections."""
    turn = itertools.count()
    shares = [concurrency // len(ports) + (i < concurrency % len(ports)) for i in range(len(ports))]
    results = await asyncio.gather(*(
        load_requests(port, paths, share, seconds, turn) for port, share in zip(ports, shares, strict=True)
    ))
    return sum(rate for rate, _ in results), sum(count for _, count in results)


def _started(environments: list[dict[str, str]], cluster: Cluster) -> list[ApiProcess]:
    nodes = [ApiProcess(environment, cluster.root / f"api-{i}.log") for i, environment in enumerate(environments)]
    return [node.wait_until_up() for node in nodes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="the setups in turn, this many times (a shared machine is noisy)")
    arguments = parser.parse_args()

    cluster = Cluster()
    try:
        cluster.start()
        engine = make_engine(cluster.primary.url())
        with Session(engine) as session, session.begin():
            load_demo(session)
        engine.dispose()
        cluster.wait_for_replay()
        postcodes = cluster.primary.sql("SELECT pc4 FROM postcode4 WHERE kind <> 'po_box' ORDER BY pc4").split()
        paths = [f"/api/v1/search?postcode={code}&limit=10" for code in postcodes] + ["/api/v1/services?limit=10"]
        primary, replica = cluster.primary.url(), cluster.standby.url()
        # Two processes: one without replicas, one with the replica; each setup loads some of them.
        nodes = _started([api_environment(primary, [], **SETTINGS), api_environment(primary, [replica], **SETTINGS)], cluster)
        on_primary, on_replica = nodes[0].port, nodes[1].port
        setups = {
            "one process, reads on the primary": [on_primary],
            "one process, reads on the replica": [on_replica],
            "two processes, reads on the primary and on the replica": [on_primary, on_replica],
        }
        print(f"{len(postcodes)} postcodes and a service list, {arguments.concurrency} connections, "
              f"{arguments.seconds:g} s a setup, {arguments.rounds} rounds, search response cache off", flush=True)
        try:
            asyncio.run(_measure([on_primary, on_replica], paths, arguments.concurrency, 3.0))  # warm-up
            rates: dict[str, list[float]] = {label: [] for label in setups}
            for round_ in range(1, arguments.rounds + 1):
                for label, ports in setups.items():
                    rate, count = asyncio.run(_measure(ports, paths, arguments.concurrency, arguments.seconds))
                    rates[label].append(rate)
                    print(f"round {round_}, {label}: {rate:.1f} requests/s ({count})", flush=True)
        finally:
            for node in nodes:
                node.close()
        best = {label: max(values) for label, values in rates.items()}
        for label, rate in best.items():
            print(f"best of {arguments.rounds}, {label}: {rate:.1f} requests/s")
        ratio = best["two processes, reads on the primary and on the replica"] / best["one process, reads on the primary"]
        print(f"ratio, two processes split over primary and replica / one on the primary: {ratio:.2f}")
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
