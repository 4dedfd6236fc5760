"""A real primary, a real streaming standby and two API processes in front of them.

Node A and node B are configured alike (the primary, the standby as their replica); the
tests write through A and read through B, pause the standby's replay, stop the standby,
stop and restart the primary, on an idle primary and on one that a client keeps writing
to meanwhile. The cluster runs from the operating system's PostgreSQL server binaries on
ports of its own (tests/support/pgcluster.py): without them the tests skip, in CI
(WIJKKAART_REQUIRE_POSTGRES=1) they fail.
"""

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from app.changelog.models import ChangeLogEntry
from app.db import make_engine
from app.demo import load_demo
from app.pagination import decode_cursor
from app.replicas import READ_ONLY_HEADER
from app.sync.service import CURSOR_SCOPE
from tests.conftest import REQUIRE_POSTGRES
from tests.maintenance.test_write_scope import CONTACT, SERVICE
from tests.support.factories import make_key
from tests.support.pgcluster import ApiProcess, Cluster, ClusterUnavailable, api_environment

MAX_LAG = 2.0
NODE_SETTINGS = {
    "read_replica_check_seconds": "0.3", "read_replica_max_lag_seconds": str(MAX_LAG), "retry_after_seconds": "3",
    "db_connect_timeout": "2", "db_pool_timeout": "3", "health_timeout": "2",
}


@dataclass
class Deployment:
    cluster: Cluster
    a: httpx.Client
    b: httpx.Client
    keys: dict[str, str]
    logs: list[Path]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", **extra}

    def standby_reads(self) -> int:
        """How often the standby read the service table (the replica monitor never does).
        A backend reports its counts within a second of its transaction."""
        return int(self.cluster.standby.sql(
            "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables WHERE relname = 'service'"
        ))


def _until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    try:
        cluster = Cluster()
    except ClusterUnavailable as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{exc} (WIJKKAART_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(f"{exc}: install the PostgreSQL server package to run these tests")
    nodes: list[ApiProcess] = []
    try:
        cluster.start()
        # The API processes start (imports, mostly) while the demo region loads.
        environment = api_environment(cluster.primary.url(), [cluster.standby.url()], **NODE_SETTINGS)
        nodes = [ApiProcess(environment, cluster.root / f"api-{name}.log") for name in ("a", "b")]
        engine = make_engine(cluster.primary.url())
        with Session(engine) as session, session.begin():
            load_demo(session)
            keys = {
                "editor": make_key(session, "Gemeente Middelburg", "editor", ("GM0687",)),
                "writer": make_key(session, "Gemeente Middelburg, import", "editor", ("GM0687",)),
                "reader": make_key(session, "HIS Voorbeeld", "reader"),
            }
        engine.dispose()
        cluster.wait_for_replay()
        for node in nodes:
            node.wait_until_up()
        with httpx.Client(base_url=nodes[0].base, timeout=30) as a, httpx.Client(base_url=nodes[1].base, timeout=30) as b:
            yield Deployment(cluster, a, b, keys, [node.log for node in nodes])
    finally:
        for node in nodes:
            node.close()
        cluster.close()


@dataclass
class Writer:
    """A client that keeps changing one service through node A, riding out a primary outage."""

    deployment: Deployment
    written: int = 0
    refused: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        path, headers = f"/api/v1/services/{SERVICE}", self.deployment.headers("writer")
        with httpx.Client(base_url=str(self.deployment.a.base_url), timeout=30) as http:
            etag = None
            while not self._stop.is_set():
                try:
                    if etag is None:
                        etag = http.get(path, headers=headers).headers.get("ETag")
                    response = http.patch(path, json={"waiting_days": self.written % 20 + 1},
                                          headers={**headers, "If-Match": etag or '"0"'})
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                if response.status_code == 200:
                    self.written += 1
                    etag = response.headers["ETag"]
                else:
                    self.refused.append(response.status_code)
                    etag = None
                    time.sleep(0.2)
                time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture(params=["idle", "writing"])
def load(request: pytest.FixtureRequest, deployment: Deployment) -> Iterator[Writer | None]:
    """Nothing, or a client writing through node A all through the test."""
    if request.param == "idle":
        yield None
        return
    writer = Writer(deployment)
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    _until(lambda: writer.written > 0, "the writer's first write")
    yield writer
    writer.stop()
    thread.join(30)
    assert writer.written > 0
    assert set(writer.refused) <= {503, 412}, writer.refused


def _ready(node: httpx.Client) -> dict[str, Any]:
    response = node.get("/health/ready")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _replica_in_rotation(node: httpx.Client) -> bool:
    return bool(_ready(node)["replicas"]["replica-1"]["ok"])


def test_a_write_through_one_node_is_read_through_the_other(deployment: Deployment, load: Writer | None) -> None:
    path = f"/api/v1/contacts/{CONTACT}"
    for turn in range(3):
        etag = deployment.a.get(path, headers=deployment.headers("editor")).headers["ETag"]
        written = deployment.a.patch(path, json={"role": f"wijkcoach {turn}"},
                                     headers=deployment.headers("editor", **{"If-Match": etag}))
        assert written.status_code == 200, written.text
        # Read your writes, through the other node: the write's ETag is the current one.
        again = deployment.b.get(path, headers=deployment.headers("editor", **{"If-None-Match": written.headers["ETag"]}))
        assert again.status_code == 304, again.text
    # Anonymous reads through B are the standby's, and see the write once it is replayed.
    before = deployment.standby_reads()
    for _ in range(5):
        assert deployment.b.get("/api/v1/services").status_code == 200
    _until(lambda: deployment.standby_reads() >= before + 5, "the reads counted on the standby")
    _until(lambda: deployment.b.get(path).json()["role"] == "wijkcoach 2", "the standby replays the write")


def test_the_change_feed_on_the_replica_never_skips_or_repeats(deployment: Deployment, load: Writer | None) -> None:
    cursor = json.loads(deployment.b.get("/api/v1/export.ndjson").text.splitlines()[0])["next_cursor"]
    # From where the export's cursor stands: the writing load may add changes before the export is made.
    (start,) = decode_cursor(CURSOR_SCOPE, cursor, [ChangeLogEntry.position])
    seen: list[int] = []
    writes_done = threading.Event()

    def write() -> None:
        path, headers = f"/api/v1/contacts/{CONTACT}", deployment.headers("editor")
        with httpx.Client(base_url=str(deployment.a.base_url), timeout=30) as http:
            etag = http.get(path, headers=headers).headers["ETag"]
            for turn in range(25):
                response = http.patch(path, json={"role": f"feed {turn}"}, headers={**headers, "If-Match": etag})
                assert response.status_code == 200, response.text
                etag = response.headers["ETag"]
        writes_done.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = deployment.b.get("/api/v1/changes", params={"since": cursor, "limit": 7})
        assert page.status_code == 200, page.text
        seen += [item["position"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        top = int(deployment.cluster.primary.sql("SELECT max(position) FROM change_log"))
        if writes_done.is_set() and seen and seen[-1] >= top and not page.json()["has_more"]:
            break
        time.sleep(0.05)
    writer.join(30)
    assert len(seen) >= 25, "the feed did not catch up with the writes"
    on_primary = deployment.cluster.primary.sql(
        f"SELECT position FROM change_log WHERE position > {start} AND position <= {seen[-1]} ORDER BY position"
    )
    assert seen == [int(line) for line in on_primary.split()], "a change was skipped, repeated or out of order"


def test_a_lagging_replica_leaves_rotation_and_comes_back(deployment: Deployment, load: Writer | None) -> None:
    standby = deployment.cluster.standby
    _until(lambda: _replica_in_rotation(deployment.b), "the replica in rotation")
    if load is None:
        # No writes: a replica that replays what little the primary writes is never behind,
        # however long since the last write.
        time.sleep(MAX_LAG * 2)
        assert _replica_in_rotation(deployment.b)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        if load is None:
            deployment.a.patch(  # one write, which the paused replica does not replay
                f"/api/v1/contacts/{CONTACT}", json={"role": "paused"},
                headers=deployment.headers(
                    "editor", **{"If-Match": deployment.a.get(f"/api/v1/contacts/{CONTACT}").headers["ETag"]}),
            ).raise_for_status()
        _until(lambda: not _replica_in_rotation(deployment.b), "the lagging replica out of rotation")
        ready = _ready(deployment.b)
        assert ready["status"] == "ready"
        assert "behind" in ready["replicas"]["replica-1"]["detail"]
        time.sleep(1.5)  # reads counted before now are reported
        before = deployment.standby_reads()
        for _ in range(5):
            assert deployment.b.get("/api/v1/services").status_code == 200
        time.sleep(1.5)
        assert deployment.standby_reads() == before, "a read went to the lagging replica"
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    _until(lambda: _replica_in_rotation(deployment.b), "the replica back in rotation")


def test_a_stopped_standby_leaves_rotation_and_comes_back_without_a_restart(deployment: Deployment, load: Writer | None) -> None:
    standby = deployment.cluster.standby
    standby.stop()
    try:
        # Within a check of each node (a read sent to the replica before that gets a 503).
        _until(lambda: not _replica_in_rotation(deployment.a) and not _replica_in_rotation(deployment.b),
               "the stopped replica out of rotation")
        ready = _ready(deployment.b)
        assert ready["status"] == "ready" and "unreachable" in ready["replicas"]["replica-1"]["detail"]
        for node in (deployment.a, deployment.b):
            assert node.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 200
            assert node.get(f"/api/v1/services/{SERVICE}", headers=deployment.headers("reader")).status_code == 200
    finally:
        standby.start()
    _until(lambda: _replica_in_rotation(deployment.b), "the restarted replica back in rotation")
    before = deployment.standby_reads()
    assert deployment.b.get("/api/v1/services").status_code == 200
    _until(lambda: deployment.standby_reads() > before, "a read on the restarted standby")


def test_a_stopped_primary_leaves_the_api_read_only_until_it_is_back(deployment: Deployment, load: Writer | None) -> None:
    primary, path = deployment.cluster.primary, f"/api/v1/contacts/{CONTACT}"
    etag = deployment.a.get(path, headers=deployment.headers("editor")).headers["ETag"]
    primary.stop()
    try:
        _until(lambda: _ready(deployment.a)["status"] == _ready(deployment.b)["status"] == "read-only", "both nodes read-only")
        for node in (deployment.a, deployment.b):
            read = node.get(f"/api/v1/services/{SERVICE}", headers=deployment.headers("reader"))
            assert read.status_code == 200, read.text
            assert READ_ONLY_HEADER in read.headers
            assert node.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 200
            assert node.get("/api/v1/changes").status_code == 200
        write = deployment.a.patch(path, json={"role": "tijdens storing"},
                                   headers=deployment.headers("editor", **{"If-Match": etag}))
        assert write.status_code == 503, write.text
        assert write.headers["Retry-After"] == "3"
    finally:
        primary.start()
    _until(lambda: _ready(deployment.a)["status"] == "ready" and _ready(deployment.b)["status"] == "ready", "both nodes ready")
    write = deployment.a.patch(path, json={"role": "na storing"}, headers=deployment.headers("editor", **{"If-Match": etag}))
    assert write.status_code == 200, write.text
    assert READ_ONLY_HEADER not in write.headers
    again = deployment.b.get(path, headers=deployment.headers("editor", **{"If-None-Match": write.headers["ETag"]}))
    assert again.status_code == 304
    _until(lambda: _replica_in_rotation(deployment.b), "the replica streaming from the restarted primary")


def test_the_logs_of_the_api_nodes_hold_no_error(deployment: Deployment) -> None:
    for log in deployment.logs:
        text = log.read_text()
        assert "Traceback" not in text and not re.search(r" 500\b", text), f"{log}:\n{text[-3000:]}"
