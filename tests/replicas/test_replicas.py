"""Read replicas on one server: which database each request uses, read-your-writes, rotation.

The "replica" here is a second engine on the same PostgreSQL database whose transactions are
read-only (as a standby's are), so a read path that wrote would fail here as on a standby.
What a real standby adds (replay, lag, a node going down) is tested with real processes in
tests/replicas/test_replica_cluster.py.
"""

import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.main import create_app
from app.replicas import READ_ONLY_HEADER
from app.settings import Settings
from tests.maintenance.test_write_scope import SERVICE
from tests.support.factories import make_key
from tests.support.tcp_proxy import TcpProxy

# The monitor checks once at start-up; the tests call check() when they want another.
SETTINGS = Settings(
    search_rate_limit="", read_replica_check_seconds=3600, db_connect_timeout=2, db_statement_timeout=2,
    db_pool_timeout=2, retry_after_seconds=7,
)
SERVICE_PATH = f"/api/v1/services/{SERVICE}"
READS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/v1/search", {"params": {"postcode": "4331AB"}}),
    ("POST", "/api/v1/search", {"json": {"postcode": "4331AB", "patient": {"age": 30, "target_groups": []}}}),
    ("GET", "/api/v1/services", {}),
    ("GET", SERVICE_PATH, {}),
    ("GET", "/api/v1/front-doors", {}),
    ("GET", "/fhir/HealthcareService", {}),
    ("GET", "/hsds/services", {}),
    ("GET", "/api/v1/export.ndjson", {}),
    ("GET", "/api/v1/changes", {}),
]


@dataclass
class Node:
    """One API process on the primary and replicas, with the statements each database ran."""

    client: TestClient
    engines: dict[str, Engine]
    keys: dict[str, str]
    statements: Counter[str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return ({"Authorization": f"Bearer {self.keys[who]}"} if who != "anonymous" else {}) | extra

    def ran_on(self, call: Callable[[], Any]) -> tuple[Any, set[str]]:
        """What `call` returned, and the databases that ran statements meanwhile."""
        self.statements.clear()
        result = call()
        return result, {name for name, count in self.statements.items() if count}

    @property
    def databases(self) -> Any:
        return self.client.app.state.databases  # type: ignore[attr-defined]


def _count(engine: Engine, name: str, statements: Counter[str]) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def counted(*_args: Any) -> None:
        statements[name] += 1


@pytest.fixture
def database(backend: Any, demo_template: str) -> Iterator[tuple[str, dict[str, str]]]:
    if backend.name != "postgresql":
        pytest.skip("read replicas are PostgreSQL standbys")
    url = backend.fresh_url(demo_template)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        keys = {
            "editor": make_key(session, "Gemeente Middelburg", "editor", ("GM0687",)),
            "reader": make_key(session, "HIS Voorbeeld", "reader"),
        }
    engine.dispose()
    yield url, keys


def _node(primary_url: str, replica_urls: list[str], keys: dict[str, str]) -> Iterator[Node]:
    statements: Counter[str] = Counter()
    engines = {"primary": make_engine(primary_url, SETTINGS)}
    for number, url in enumerate(replica_urls, 1):
        engines[f"replica-{number}"] = make_engine(url, SETTINGS, read_only=True)
    for name, engine in engines.items():
        _count(engine, name, statements)
    replicas = [engine for name, engine in engines.items() if name != "primary"]
    try:
        with TestClient(create_app(engines["primary"], SETTINGS, replicas=replicas)) as client:
            yield Node(client, engines, keys, statements)
    finally:
        for engine in engines.values():
            engine.dispose()


@pytest.fixture
def node(database: tuple[str, dict[str, str]]) -> Iterator[Node]:
    url, keys = database
    yield from _node(url, [url], keys)


def _closed_port_url(url: str) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def test_requests_that_only_read_use_the_replica_and_writes_the_primary(node: Node) -> None:
    for who in ("anonymous", "reader"):
        for method, path, kwargs in READS:
            response, used = node.ran_on(lambda: node.client.request(method, path, headers=node.headers(who), **kwargs))  # noqa: B023
            assert response.status_code == 200, (method, path, response.text)
            assert "replica-1" in used, (who, method, path)
            # A key not recalled as a reader's may have written: its last write is looked up on the primary.
            assert node.statements["primary"] == 0 if who == "anonymous" else node.statements["primary"] <= 1
            assert READ_ONLY_HEADER not in response.headers

    etag = node.client.get(SERVICE_PATH).headers["ETag"]
    response, used = node.ran_on(lambda: node.client.patch(
        SERVICE_PATH, json={"waiting_days": 4}, headers=node.headers("editor", **{"If-Match": etag})
    ))
    assert response.status_code == 200, response.text
    assert used == {"primary"}


def test_a_client_reads_its_own_write_from_the_primary_until_a_replica_replayed_it(
    node: Node, database: tuple[str, dict[str, str]]
) -> None:
    etag = node.client.get(SERVICE_PATH).headers["ETag"]
    written = node.client.patch(SERVICE_PATH, json={"waiting_days": 6}, headers=node.headers("editor", **{"If-Match": etag}))
    assert written.status_code == 200, written.text
    with node.engines["primary"].connect() as connection:
        position = connection.execute(text("SELECT lsn FROM client_write_position")).scalar_one()
    replica = node.databases.replicas[0]
    assert replica.replayed >= 0
    replica.replayed = position - 1  # as a replica that has not replayed the write yet would be

    # The writer's next read: its ETag is still valid, and it is answered by the primary.
    unchanged = node.headers("editor", **{"If-None-Match": written.headers["ETag"]})
    again, used = node.ran_on(lambda: node.client.get(SERVICE_PATH, headers=unchanged))
    assert again.status_code == 304
    assert used == {"primary"}
    searched, used = node.ran_on(
        lambda: node.client.get("/api/v1/search", params={"postcode": "4331AB"}, headers=node.headers("editor")))
    assert searched.status_code == 200 and used == {"primary"}
    # Other clients keep reading from the replica.
    _, used = node.ran_on(lambda: node.client.get(SERVICE_PATH))
    assert used == {"replica-1"}

    # Another API node learns of the write from the primary's table, not from its memory.
    url, keys = database
    for other in _node(url, [url], keys):
        other.databases.replicas[0].replayed = position - 1
        read, used = other.ran_on(lambda: other.client.get(SERVICE_PATH, headers=other.headers("editor")))  # noqa: B023
        assert read.status_code == 200 and read.headers["ETag"] == written.headers["ETag"]
        assert used == {"primary"}

    node.databases.check()  # the replica has replayed past the write
    assert replica.replayed >= position
    unchanged = node.headers("editor", **{"If-None-Match": written.headers["ETag"]})
    again, used = node.ran_on(lambda: node.client.get(SERVICE_PATH, headers=unchanged))
    assert again.status_code == 304
    assert "replica-1" in used  # the primary only told where the write is


def test_a_replica_that_does_not_answer_is_out_of_rotation_and_ready_says_so(database: tuple[str, dict[str, str]]) -> None:
    url, keys = database
    for node in _node(url, [_closed_port_url(url), url], keys):
        ready = node.client.get("/health/ready")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert body["replicas"]["replica-1"]["ok"] is False
        assert "unreachable" in body["replicas"]["replica-1"]["detail"]
        assert body["replicas"]["replica-2"]["ok"] is True
        for _ in range(4):
            response, used = node.ran_on(lambda: node.client.get("/api/v1/services"))  # noqa: B023
            assert response.status_code == 200
            assert used == {"replica-2"}


def test_with_the_primary_away_reads_answer_from_the_replica_and_writes_get_503(database: tuple[str, dict[str, str]]) -> None:
    url, keys = database
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        for node in _node(proxied, [url], keys):
            etag = node.client.get(SERVICE_PATH).headers["ETag"]
            proxy.reset()
            node.databases.check()

            read = node.client.get(SERVICE_PATH, headers=node.headers("reader"))
            assert read.status_code == 200
            assert READ_ONLY_HEADER in read.headers
            write = node.client.patch(SERVICE_PATH, json={"waiting_days": 3},
                                      headers=node.headers("editor", **{"If-Match": etag}))
            assert write.status_code == 503 and write.headers["Retry-After"] == "7"
            assert READ_ONLY_HEADER in write.headers
            # An editor's read does not wait on the primary either.
            assert node.client.get(SERVICE_PATH, headers=node.headers("editor")).status_code == 200
            ready = node.client.get("/health/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "read-only"
            assert ready.json()["checks"]["database"]["ok"] is False

            proxy.restore()
            node.databases.check()
            ready = node.client.get("/health/ready")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            write = node.client.patch(SERVICE_PATH, json={"waiting_days": 3},
                                      headers=node.headers("editor", **{"If-Match": etag}))
            assert write.status_code == 200, write.text
            assert READ_ONLY_HEADER not in write.headers
    finally:
        proxy.close()


def test_without_replicas_every_request_uses_the_one_database(demo_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    databases = demo_client.app.state.databases  # type: ignore[attr-defined]
    assert databases.replicas == []
    response = demo_client.get("/api/v1/services")
    assert response.status_code == 200 and READ_ONLY_HEADER not in response.headers
    assert demo_client.get("/health/ready").json()["replicas"] == {}
    monkeypatch.setenv("WIJKKAART_READ_DATABASE_URLS", " postgresql+psycopg://a/x, postgresql+psycopg://b/x ,")
    assert Settings().read_database_urls == ["postgresql+psycopg://a/x", "postgresql+psycopg://b/x"]


def test_migration_0015_keeps_and_drops_the_write_positions(backend: Any) -> None:
    url = backend.empty_url()
    config = alembic_config(url, legacy=True)
    engine = make_engine(url)
    try:
        command.upgrade(config, "0015")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO client_write_position (key_digest, lsn) VALUES ('k', 42)"))
            assert connection.execute(text("SELECT lsn FROM client_write_position")).scalar_one() == 42
        command.downgrade(config, "0014")
        assert "client_write_position" not in inspect(engine).get_table_names()
        assert "service_point" in inspect(engine).get_table_names()
        command.upgrade(config, "0015")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM client_write_position")).scalar_one() == 0
    finally:
        engine.dispose()


def test_an_import_dry_run_writes_on_the_primary_with_replicas_too(node: Node) -> None:
    """A dry run starts no write transaction, yet it writes what it rolls back: a read-only
    standby would refuse that, so it runs on the primary."""
    exported = node.client.get("/api/v1/export/services.csv", headers=node.headers("editor"))
    assert exported.status_code == 200, exported.text
    files = [("files", ("services.csv", exported.content, "text/csv"))]
    response, used = node.ran_on(lambda: node.client.post(
        "/api/v1/import", params={"dry_run": "true"}, headers=node.headers("editor"), files=files))
    assert response.status_code == 200, response.text
    assert "replica-1" not in used and "primary" in used
