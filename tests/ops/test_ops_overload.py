"""Many requests at once: they wait for their turn at the database holding neither a pooled
connection nor a thread, past a bound they are refused at once (503 + Retry-After), and a
burst on a quiet machine is answered in full, by a live server."""

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.conftest import Api
from tests.maintenance.test_write_scope import ORGANISATION, SERVICE
from tests.support.live_server import live_server

BURST = 100


def _engine_like(engine: Engine, settings: Settings) -> Engine:
    return make_engine(engine.url.render_as_string(hide_password=False), settings)


async def _at_once(base_url: str, requests: list[tuple[str, dict[str, str]]], transport: Any = None) -> list[int]:
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=base_url, transport=transport, limits=limits, timeout=120) as client:
        responses = await asyncio.gather(*(client.get(path, headers=headers) for path, headers in requests))
    return [response.status_code for response in responses]


@pytest.fixture
def small_pool(api: Api) -> Iterator[Engine]:
    """Two connections, given up for after one second: what many requests at once run out of."""
    engine = _engine_like(api.engine, Settings(db_pool_size=2, db_max_overflow=0, db_pool_timeout=1))
    yield engine
    engine.dispose()


def test_requests_beyond_the_pool_wait_their_turn_instead_of_timing_out(api: Api, small_pool: Engine) -> None:
    # Each request takes a thread for its key's check and another for its endpoint: with far
    # more requests than connections, threads waited for connections held by requests that
    # waited for threads, until the pool's timeout answered 503.
    settings = Settings(db_pool_size=2, db_max_overflow=0, db_pool_timeout=1, search_rate_limit="")
    app = create_app(small_pool, settings)
    key = api.headers("editor")
    requests = [(f"/api/v1/services/{SERVICE}", key), (f"/api/v1/organisations/{ORGANISATION}", key)] * 30
    with TestClient(app):  # runs the lifespan
        statuses = asyncio.run(_at_once("http://test", requests, httpx.ASGITransport(app=app)))
    assert statuses == [200] * len(requests)


def test_past_the_queue_a_request_is_refused_at_once_with_retry_after(api: Api) -> None:
    app = create_app(api.engine, Settings(db_pool_size=1, max_queued_requests=0, retry_after_seconds=3))
    with TestClient(app) as client:
        turn = object()
        limiter = app.state.admission.limiter
        client.portal.call(limiter.acquire_on_behalf_of, turn)  # the one turn is taken
        try:
            refused = client.get(f"/api/v1/services/{SERVICE}")
            fhir = client.get(f"/fhir/HealthcareService/{SERVICE}")
        finally:
            client.portal.call(limiter.release_on_behalf_of, turn)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "3"
        assert refused.json()["type"] == "/problems/overloaded"
        assert fhir.status_code == 503 and fhir.json()["issue"][0]["code"] == "transient"
        assert client.get(f"/api/v1/services/{SERVICE}").status_code == 200


def test_a_burst_of_requests_to_a_live_server_is_answered_in_full(demo_engine: Engine) -> None:
    engine = _engine_like(demo_engine, Settings())
    paths = [
        "/api/v1/search?postcode=4331AB", "/api/v1/services", f"/api/v1/services/{SERVICE}",
        "/api/v1/organisations", "/fhir/HealthcareService?name=wmo", "/hsds/services",
        "/api/v1/taxonomy", "/api/v1/search?postcode=4381AA&domain=financien",
    ]
    requests = [(paths[i % len(paths)], {}) for i in range(BURST)]
    try:
        with live_server(create_app(engine, Settings(search_rate_limit=""))) as base:
            statuses = asyncio.run(_at_once(base, requests))
    finally:
        engine.dispose()
    assert statuses == [200] * BURST
