"""A PostgreSQL outage: 503 problem with Retry-After within the configured timeouts, readiness
false, and recovery without a restart. The database sits behind a TCP proxy in the test that
can reset every connection (a crash or restart) or silently stop carrying traffic."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.dialect import ANSWER_GRACE_SECONDS
from app.main import create_app
from app.settings import Settings
from tests.support.tcp_proxy import TcpProxy

SETTINGS = Settings(
    db_connect_timeout=2, db_statement_timeout=1, db_pool_timeout=2, db_pool_size=2, db_max_overflow=0,
    health_timeout=1, retry_after_seconds=7, search_rate_limit="",
)
# The longest a request may wait on a dead database: a pooled connection's pre-ping gets no
# answer, then a new connection gets none; a generous margin for a busy machine on top.
BUDGET = SETTINGS.db_statement_timeout + ANSWER_GRACE_SECONDS + SETTINGS.db_connect_timeout + 10


@pytest.fixture
def proxied(backend: Any) -> Iterator[tuple[TcpProxy, TestClient]]:
    if backend.name != "postgresql":
        pytest.skip("an outage of a server: SQLite has none")
    url = make_url(backend.fresh_url())
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), SETTINGS)
    try:
        with TestClient(create_app(engine, SETTINGS)) as client:
            yield proxy, client
    finally:
        proxy.close()
        engine.dispose()


def _within_budget(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    """The response, failing the test if it takes longer than BUDGET (a hang)."""
    result: dict[str, Any] = {}

    def call() -> None:
        result["response"] = client.request(method, path, **kwargs)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(BUDGET)
    assert not worker.is_alive(), f"{method} {path} did not answer within {BUDGET} s"
    return result["response"]


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "7"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/service-unavailable"


def _assert_recovers(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while (ready := client.get("/health/ready")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready.status_code == 200, ready.json()
    assert ready.json()["status"] == "ready"
    assert client.get("/api/v1/services").status_code == 200


def _assert_not_ready(client: TestClient) -> None:
    ready = _within_budget(client, "GET", "/health/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not-ready"
    assert ready.json()["checks"]["database"]["ok"] is False


def _serving(client: TestClient) -> None:
    assert client.get("/api/v1/services").status_code == 200
    assert client.get("/health/ready").json()["checks"]["database"]["ok"] is True


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/search?postcode=4331AB", "/api/v1/export.ndjson"])
def test_reset_connections_give_503_then_recover(proxied: tuple[TcpProxy, TestClient], path: str) -> None:
    proxy, client = proxied
    _serving(client)
    proxy.reset()
    _assert_unavailable(_within_budget(client, "GET", path))
    _assert_not_ready(client)
    proxy.restore()
    _assert_recovers(client)


def test_silently_dropped_traffic_gives_503_then_recovers(proxied: tuple[TcpProxy, TestClient]) -> None:
    proxy, client = proxied
    _serving(client)
    proxy.drop()
    _assert_unavailable(_within_budget(client, "GET", "/api/v1/services"))
    _assert_not_ready(client)
    # A second request also answers in time (it does not queue behind the first forever).
    _assert_unavailable(_within_budget(client, "GET", "/api/v1/organisations"))
    proxy.restore()
    _assert_recovers(client)


def test_fhir_outage_is_an_operation_outcome(proxied: tuple[TcpProxy, TestClient]) -> None:
    proxy, client = proxied
    _serving(client)
    proxy.reset()
    response = _within_budget(client, "GET", "/fhir/HealthcareService")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "transient"
    proxy.restore()
    _assert_recovers(client)


def test_write_during_outage_is_a_503(proxied: tuple[TcpProxy, TestClient]) -> None:
    proxy, client = proxied
    _serving(client)
    proxy.drop()
    response = _within_budget(
        client, "POST", "/api/v1/organisations", json={"name": "X"}, headers={"Authorization": "Bearer wk_nothing"}
    )
    _assert_unavailable(response)
    proxy.restore()
    _assert_recovers(client)
