"""Every write × every client that must not make it: refused, and nothing changes.

Each refusal is checked against an ordered dump of every table, and the same request
with the right key is shown to pass the scope check, so a refusal is never an accident
of the request itself.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.demo import SEED_DIR
from app.models import metadata
from tests.conftest import Api

CATALOGUE = json.loads((SEED_DIR / "catalogue.json").read_text(encoding="utf-8"))
# Middelburg's own entries (GM0687 alone owns them).
ORGANISATION = "e0f92502-06c3-469f-830c-a127882d9f26"  # Loket Voorbeeldzorg Middelburg
SERVICE = "f28ce5b6-67bd-4f6c-a764-9dcd3b3add45"  # Wmo-loket Middelburg
LOCATION = "c1c6dbe3-fe17-4935-94ba-44958c952cc7"
CONTACT = "094abe17-ca71-4bbe-8f81-1f7451548e66"
FRONT_DOOR = "1a0de1c6-083a-46f6-b8b1-5a6e31a445fc"
TARGETS = {
    "organisations": ORGANISATION, "services": SERVICE, "locations": LOCATION,
    "contacts": CONTACT, "front-doors": FRONT_DOOR,
}
REFUSED = {
    "anonymous": 401, "reader": 403, "practice": 403, "editor_other_gemeente": 403,
    "editor_other_organisation": 403, "revoked": 401, "expired": 401,
}


def seed_item(path: str, entity_id: str) -> dict[str, Any]:
    kind = path.replace("-", "_")
    return next(item for item in CATALOGUE[kind] if item["id"] == entity_id)


def new_item(path: str) -> dict[str, Any]:
    """A new entry for Middelburg, modelled on the target."""
    item = {k: v for k, v in seed_item(path, TARGETS[path]).items() if k != "id"}
    if path == "front-doors":
        return item | {"area_code": "BU06870101", "topic": "financien"}
    return item | {"name": "Nieuw in Middelburg"}


@dataclass(frozen=True)
class Write:
    method: str
    path: str
    body: Callable[[], dict[str, Any] | None]
    if_match: bool = True

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


WRITES = [
    op
    for path, target in TARGETS.items()
    for op in (
        Write("POST", f"/api/v1/{path}", lambda path=path: new_item(path), if_match=False),
        Write("PUT", f"/api/v1/{path}/{target}", lambda path=path, target=target: seed_item(path, target) | {"note": "x"}
              if path == "front-doors" else seed_item(path, target) | {"name": "Vervangen"}),
        Write("PATCH", f"/api/v1/{path}/{target}",
              lambda path=path: {"note": "x"} if path == "front-doors" else {"name": "Gewijzigd"}),
        Write("DELETE", f"/api/v1/{path}/{target}", lambda: None),
        Write("POST", f"/api/v1/{path}/{target}/verify", lambda: None, if_match=False),
    )
] + [Write("POST", f"/api/v1/contacts/{CONTACT}/erase", lambda: None, if_match=False)]


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables
        }


def send(api: Api, write: Write, who: str) -> Any:
    headers = api.headers(who, **({"If-Match": '"1"'} if write.if_match else {}))
    return api.client.request(write.method, write.path, json=write.body(), headers=headers)


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_a_write_is_refused_to_every_client_outside_its_scope_and_changes_nothing(api: Api, write: Write) -> None:
    before = dump(api.engine)
    for who, status in REFUSED.items():
        response = send(api, write, who)
        assert response.status_code == status, (who, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert dump(api.engine) == before, f"{who} changed something"

    # The same request with a key that may make it passes the scope check.
    allowed = "admin" if write.path.endswith("/erase") else "editor"
    response = send(api, write, allowed)
    assert response.status_code not in (401, 403), response.text
    if response.status_code < 300:
        assert dump(api.engine) != before
        trail = api.client.get("/api/v1/audit", headers=api.headers("admin"), params={"limit": 1}).json()["items"]
        assert trail[0]["actor"] == ("client:Beheer" if allowed == "admin" else "client:Gemeente Middelburg")
    else:
        assert response.status_code == 409, response.text  # a delete of an entry others still use
        assert dump(api.engine) == before


def test_a_second_front_door_for_the_same_area_and_topic_is_a_conflict_not_a_server_error(api: Api) -> None:
    first = api.client.post("/api/v1/front-doors", json=new_item("front-doors"), headers=api.headers("admin"))
    assert first.status_code == 201, first.text
    second = api.client.post("/api/v1/front-doors", json=new_item("front-doors"), headers=api.headers("admin"))
    assert second.status_code == 409 and second.json()["field"] == "topic"
    assert first.json()["id"] in second.json()["detail"]
