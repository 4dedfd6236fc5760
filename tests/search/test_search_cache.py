"""The response cache of searches without patient attributes (app/search/cache.py), on both databases."""

from datetime import UTC, datetime

import anyio.to_thread
from sqlalchemy import event, text
from sqlmodel import Session
from starlette.requests import Request

from app.search import cache
from app.search.index import writer
from app.visibility import ANONYMOUS


def test_the_response_cache_follows_writes_viewers_and_never_holds_patients(api) -> None:
    params = {"postcode": "4337", "domain": "financien"}
    anonymous = api.client.get("/api/v1/search", params=params)
    assert api.client.get("/api/v1/search", params=params).content == anonymous.content
    assert anonymous.headers["cache-control"] == "public, max-age=60"
    top = anonymous.json()["items"][0]
    assert top["contact"]["phone"] is None
    # Same criteria, another viewer: a keyed caller sees the direct line.
    keyed = api.client.get("/api/v1/search", params=params, headers=api.headers("reader"))
    assert keyed.json()["items"][0]["contact"]["phone"] is not None
    assert keyed.headers["cache-control"] == "private, max-age=60"
    # A committed write shows at once.
    path = f"/api/v1/services/{top['service']['id']}"
    etag = api.client.get(path).headers["ETag"]
    changed = api.client.patch(path, json={"waiting_days": 77}, headers=api.headers("editor", **{"If-Match": etag}))
    assert changed.status_code == 200
    assert api.client.get("/api/v1/search", params=params).json()["items"][0]["waiting_time"]["days"] == 77
    # Searches with patient attributes are never kept.
    held = len(api.client.app.state.search_cache._entries)
    patient = {"age": 30, "income_pct_social_minimum": 150, "household": "alleenstaand", "target_groups": []}
    answer = api.client.post("/api/v1/search", json={"postcode": "4337", "domain": ["financien"], "patient": patient})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert len(api.client.app.state.search_cache._entries) == held


def test_a_write_committed_elsewhere_reaches_the_cache_within_its_bound(api, monkeypatch) -> None:
    """Another worker's write is not announced in this process: the data version is
    re-read from the database once DATA_VERSION_SECONDS have passed."""
    params = {"postcode": "4337", "domain": "financien"}
    top = api.client.get("/api/v1/search", params=params).json()["items"][0]["service"]["id"]
    # As another process would: a write, its change-log entry and its search card, outside this process's sessions.
    with Session(api.client.app.state.engine) as other, other.begin():
        sqlite = other.get_bind().dialect.name == "sqlite"
        other.execute(text("UPDATE service SET waiting_days = 88, version = version + 1 WHERE id = :id"),
                      {"id": top.replace("-", "") if sqlite else top})
        other.execute(text(
            "INSERT INTO change_log (entity_type, entity_id, operation, version, changed_at, actor, action) "
            "VALUES ('service', :id, 'upsert', 2, CURRENT_TIMESTAMP, 'elsewhere', 'update')"), {"id": top})
        writer.refresh(other, [("service", top)])

    def waiting_days() -> int:
        items = api.client.get("/api/v1/search", params=params).json()["items"]
        return next(item for item in items if item["service"]["id"] == top)["waiting_time"]["days"]

    assert waiting_days() != 88  # still the cached answer
    later = cache._clock() + cache.DATA_VERSION_SECONDS
    monkeypatch.setattr(cache, "_clock", lambda: later)
    assert waiting_days() == 88


def test_a_cache_hit_needs_neither_the_database_nor_the_thread_pool(api, monkeypatch) -> None:
    """Within the data version's bound, an anonymous hit is answered on the event loop:
    no connection is checked out and nothing is handed to the thread pool."""
    params = {"postcode": "4337", "domain": "financien"}
    first = api.client.get("/api/v1/search", params=params)
    checkouts: list[object] = []
    handed: list[object] = []
    to_thread = anyio.to_thread.run_sync

    async def counting_run_sync(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        handed.append(func)
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting_run_sync)
    engine = api.client.app.state.engine
    def listener(*args):
        return checkouts.append(args)
    event.listen(engine, "checkout", listener)
    try:
        replayed = api.client.get("/api/v1/search", params=params)
        read_again = api.client.get("/api/v1/search", params=dict(reversed(params.items())))
        assert replayed.content == read_again.content == first.content
        assert checkouts == [] and handed == []
        # A miss does both: the counters see them when they happen.
        api.client.get("/api/v1/search", params={"postcode": "4337", "domain": "werk_opleiding"})
        assert checkouts and handed
    finally:
        event.remove(engine, "checkout", listener)


def _headers(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name: value for name, value in response.headers.items() if name not in ("x-request-id", "date")}


def test_a_request_sent_again_is_answered_before_its_criteria_are_read(api, monkeypatch) -> None:
    """The same query string again is replayed (app/search/router.py, _ReplayingRoute) with
    its first answer's headers; sent another way it is read, and finds the entry by its key."""
    read: list[object] = []
    key = cache.key
    monkeypatch.setattr(cache, "key", lambda *args: read.append(args) or key(*args))
    first = api.client.get("/api/v1/search?postcode=4337&domain=financien")
    again = api.client.get("/api/v1/search?postcode=4337&domain=financien")
    assert len(read) == 1
    assert (again.content, _headers(again)) == (first.content, _headers(first))
    assert _headers(first)["cache-control"] == "public, max-age=60"
    for _ in range(2):  # read once, then replayed
        other_way = api.client.get("/api/v1/search?domain=financien&postcode=4337%20")
        assert other_way.content == first.content
    assert len(read) == 2
    # What was refused is never remembered: it is refused again.
    for _ in range(2):
        assert api.client.get("/api/v1/search?postcode=4337&radius_km=99").status_code == 422
    assert len(read) == 2


def test_a_replayed_search_still_needs_a_valid_key(api) -> None:
    admin = api.headers("admin")
    created = api.client.post("/api/v1/clients", json={"name": "HIS Kort", "role": "reader"}, headers=admin).json()
    key = {"Authorization": f"Bearer {created['key']}"}
    path = "/api/v1/search?postcode=4337&domain=financien"
    keyed = api.client.get(path, headers=key)
    assert keyed.json()["items"][0]["contact"]["phone"] is not None
    assert _headers(api.client.get(path, headers=key)) == _headers(keyed)
    assert _headers(keyed)["cache-control"] == "private, max-age=60"
    # The anonymous answer to the same request is its own, and a bad key is refused, not served as anonymous.
    assert api.client.get(path).json()["items"][0]["contact"]["phone"] is None
    assert api.client.get(path, headers={"Authorization": "Bearer wk_not-a-key"}).status_code == 401
    revoked = api.client.delete(f"/api/v1/clients/{created['id']}/keys/{created['keys'][0]['id']}", headers=admin)
    assert revoked.status_code == 204
    assert api.client.get(path, headers=key).status_code == 401


def test_a_request_asking_open_now_is_remembered_for_its_minute(monkeypatch) -> None:
    """However open_now (or open_only) is spelt in the query string, the opening state is not replayed past its minute."""

    def sent(query: bytes, minute: int) -> str | None:
        monkeypatch.setattr(cache, "utcnow", lambda: datetime(2026, 12, 7, 10, minute, tzinfo=UTC))
        request = Request({"type": "http", "query_string": query, "headers": []})
        return cache.request_key(request, ANONYMOUS, "json", 7)

    assert sent(b"postcode=4337&open%5Fnow=true", 0) != sent(b"postcode=4337&open%5Fnow=true", 1)
    assert sent(b"postcode=4337&open_only=true", 0) != sent(b"postcode=4337&open_only=true", 1)  # open now implied
    assert sent(b"postcode=4337", 0) == sent(b"postcode=4337", 1)
    assert sent(b"postcode=4337&q=" + b"x" * 2000, 0) is None  # too long to remember
