"""The collector: a worker freezes what start-up and its first requests built (app/ops/collector.py)."""

import gc

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from app.settings import Settings


def _search(client: TestClient) -> None:
    assert client.get("/api/v1/search", params={"postcode": "4331AB", "q": "schulden"}).status_code == 200


def _in_reach(kept: object) -> bool:
    """Whether the collector's passes still walk `kept` (frozen objects are in no generation)."""
    return any(tracked is kept for tracked in gc.get_objects())


def test_start_up_freezes_what_it_built(demo_engine: Engine) -> None:
    app = create_app(demo_engine, Settings(gc_freeze_after_requests=0))
    kept: list[object] = [app]
    assert _in_reach(kept)
    with TestClient(app):
        assert not _in_reach(kept)


def test_the_first_requests_are_frozen_once_after_warm_up(demo_engine: Engine) -> None:
    with TestClient(create_app(demo_engine, Settings(gc_freeze_after_requests=3, search_rate_limit=""))) as client:
        built_while_warming: list[object] = []
        _search(client)
        _search(client)
        assert _in_reach(built_while_warming)
        _search(client)
        assert not _in_reach(built_while_warming)
        built_later: list[object] = []
        for _ in range(3):
            _search(client)
        assert _in_reach(built_later)


def test_no_freeze_after_warm_up_when_turned_off(demo_engine: Engine) -> None:
    with TestClient(create_app(demo_engine, Settings(gc_freeze_after_requests=0, search_rate_limit=""))) as client:
        built_while_warming: list[object] = []
        for _ in range(4):
            _search(client)
        assert _in_reach(built_while_warming)
