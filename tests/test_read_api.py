"""The read API against the demo region: lists, reads, visibility and problems."""

import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.contacts.models import Contact
from app.main import create_app
from app.services.models import Service
from tests.support.factories import make_organisation, make_region, make_service

LISTS = ["services", "organisations", "locations", "contacts", "front-doors"]
PROBLEM = "application/problem+json"


def _walk(client, path: str, limit: int, **filters: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = filters | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/api/v1/{path}", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


@pytest.mark.parametrize("path", LISTS)
def test_every_list_pages_through_everything_once_in_a_stable_order(demo_client, path: str) -> None:
    whole = demo_client.get(f"/api/v1/{path}", params={"limit": 100}).json()["items"]
    paged = _walk(demo_client, path, limit=7)
    assert [item["id"] for item in paged] == [item["id"] for item in whole]
    assert len({item["id"] for item in paged}) == len(paged) > 7


@pytest.mark.parametrize("path", LISTS)
def test_every_item_of_a_list_reads_back_by_id(demo_client, path: str) -> None:
    for item in demo_client.get(f"/api/v1/{path}", params={"limit": 5}).json()["items"]:
        response = demo_client.get(f"/api/v1/{path}/{item['id']}")
        assert response.status_code == 200
        assert response.json() == item


@pytest.mark.parametrize("path", LISTS)
def test_bad_and_unknown_ids(demo_client, path: str) -> None:
    bad = demo_client.get(f"/api/v1/{path}/not-a-uuid")
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert bad.json()["field"].endswith("_id") and bad.json()["type"] == "/problems/invalid-input"
    unknown = demo_client.get(f"/api/v1/{path}/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM
    assert unknown.json()["type"] == "/problems/not-found"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "garbage"}])
def test_bad_paging_is_a_422_naming_the_parameter(demo_client, params: dict) -> None:
    response = demo_client.get("/api/v1/services", params=params)
    assert response.status_code == 422
    assert response.json()["field"] == next(iter(params))


def test_a_tampered_or_foreign_cursor_is_refused(demo_client) -> None:
    cursor = demo_client.get("/api/v1/services", params={"limit": 2}).json()["next_cursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert demo_client.get("/api/v1/services", params={"cursor": tampered}).status_code == 422
    foreign = demo_client.get("/api/v1/contacts", params={"cursor": cursor})
    assert foreign.status_code == 422 and foreign.json()["field"] == "cursor"


def test_direct_lines_are_redacted_for_anonymous_clients_everywhere(demo_client) -> None:
    contact = demo_client.get("/api/v1/contacts", params={"limit": 1}).json()["items"][0]
    service = demo_client.get("/api/v1/services", params={"limit": 1}).json()["items"][0]
    door = demo_client.get("/api/v1/front-doors", params={"limit": 1}).json()["items"][0]
    for view in (contact, service["contacts"][0], door["contact"]):
        assert view["redacted"] == ["phone", "email", "secure_messaging"]
        assert view["phone"] is None and view["email"] is None and view["secure_messaging"] is None


def test_expired_contacts_are_never_presented_as_current(demo_client, demo_engine) -> None:
    today = datetime.now(UTC).date()
    with Session(demo_engine) as session:
        expired = session.exec(select(Contact).where(Contact.valid_until < today)).all()
    assert expired
    current_ids = {c["id"] for c in _walk(demo_client, "contacts", limit=100)}
    for contact in expired:
        assert str(contact.id) not in current_ids
        read = demo_client.get(f"/api/v1/contacts/{contact.id}").json()
        assert read["is_current"] is False
        if contact.service_id:
            service = demo_client.get(f"/api/v1/services/{contact.service_id}").json()
            assert str(contact.id) not in {c["id"] for c in service["contacts"]}
    with_expired = demo_client.get("/api/v1/contacts", params={"include_expired": True, "limit": 100}).json()
    assert len(with_expired["items"]) > len([i for i in with_expired["items"] if i["is_current"]])


def test_service_filters(demo_client) -> None:
    debts = _walk(demo_client, "services", limit=10, domain="financien")
    assert debts and all("financien" in s["need_domains"] for s in debts)
    veere = demo_client.get("/api/v1/services", params={"gemeente": "GM0717", "limit": 100}).json()["items"]
    assert veere and all("GM0717" in s["owners"] for s in veere)
    unknown = demo_client.get("/api/v1/services", params={"domain": "geluk"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "domain"
    assert demo_client.get("/api/v1/services", params={"gemeente": "0687"}).status_code == 422


def test_area_with_parent_and_children(demo_client) -> None:
    wijk = demo_client.get("/api/v1/areas/WK068700").json()
    assert wijk["parent"] == {"code": "GM0687", "kind": "gemeente", "name": "Middelburg"}
    assert "BU06870000" in {child["code"] for child in wijk["children"]}
    assert demo_client.get("/api/v1/areas/WK999999").status_code == 404
    bad = demo_client.get("/api/v1/areas/0687")
    assert bad.status_code == 422 and bad.json()["field"] == "code"


def test_postcode_resolution(demo_client) -> None:
    body = demo_client.get("/api/v1/postcodes/4331 ab").json()
    assert body["postcode"] == "4331AB" and body["resolved_via"] == "pc4"
    assert body["gemeente"]["code"] == "GM0687"
    assert "BU06870000" in {b["code"] for b in body["buurten"]}
    assert all(b["approximate"] for b in body["buurten"])
    assert demo_client.get("/api/v1/postcodes/4331").json()["postcode"] == "4331"
    for raw, status in (("0331AB", 422), ("4331SS", 422), ("43", 422), ("4330", 422), ("9999", 404)):
        response = demo_client.get(f"/api/v1/postcodes/{raw}")
        assert response.status_code == status, raw
        assert response.headers["content-type"] == PROBLEM


def test_taxonomy(demo_client) -> None:
    body = demo_client.get("/api/v1/taxonomy").json()
    assert len(body["need_domains"]) == 13
    assert {r["code"] for r in body["access_routes"]} == {
        "vrij_toegankelijk", "via_huisarts", "via_wijkteam", "met_beschikking"
    }
    assert {t["code"] for t in body["front_door_topics"]} >= {"financien", "wmo_2015", "jeugdwet", "wgs"}
    assert {"jeugd", "ouderen", "mantelzorgers", "statushouders"} <= {g["code"] for g in body["target_groups"]}


def test_unknown_paths_and_methods_are_problems_too(demo_client) -> None:
    missing = demo_client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    wrong = demo_client.delete("/api/v1/taxonomy")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == PROBLEM
    assert demo_client.get("/problems/not-found").status_code == 200
    unknown = demo_client.get("/problems/no-such-type")  # a 404, not a 200 describing an unknown type
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


def test_head_answers_like_get_without_a_body(demo_client) -> None:
    # Uptime checks send HEAD; a client may want only the ETag.
    service = demo_client.get("/api/v1/services", params={"limit": 1}).json()["items"][0]["id"]
    for path in ("/health/live", f"/api/v1/services/{service}", "/api/v1/search?postcode=4331AB"):
        got, head = demo_client.get(path), demo_client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and got.content
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers.get("etag") == got.headers.get("etag")
    assert demo_client.head("/api/v1/import").status_code == 405  # POST only
    assert demo_client.head("/api/v1/nothing").status_code == 404


def test_openapi_documents_every_operation(demo_client) -> None:
    spec = demo_client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path}"
            if operation.get("parameters"):
                assert "422" in operation["responses"], f"{method} {path}"


def test_a_deleted_service_reads_as_gone_and_leaves_the_lists(engine) -> None:
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation_id = make_organisation(session)
        kept = make_service(session, organisation_id, name="Blijft")
        deleted = make_service(session, organisation_id, name="Verdwenen")
        session.get_one(Service, deleted).deleted_at = datetime.now(UTC)
    with TestClient(create_app(engine)) as client:
        response = client.get(f"/api/v1/services/{deleted}")
        assert response.status_code == 410 and response.json()["type"] == "/problems/gone"
        assert client.get(f"/api/v1/services/{kept}").status_code == 200
        listed = client.get("/api/v1/services").json()["items"]
        assert [s["id"] for s in listed] == [str(kept)]


def test_a_nul_character_is_the_clients_problem_not_a_crash(demo_client) -> None:
    # PostgreSQL refuses NUL in text; SQLite stores it. Either way: no 500.
    for path in ("/api/v1/front-doors?topic=a%00b", "/api/v1/search?postcode=4331&q=schuld%00"):
        response = demo_client.get(path)
        assert response.status_code in (200, 422), (path, response.text)
        if response.status_code == 422:
            assert response.headers["content-type"] == "application/problem+json"
