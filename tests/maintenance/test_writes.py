"""Writes through the API: ETags and If-Match, validation, soft delete, verify, patches."""

import threading
import time
import uuid

import pytest
from sqlmodel import Session

from app.clients.scope import Actor
from app.errors import PreconditionFailed
from app.maintenance import service as maintenance
from app.maintenance.kinds import SERVICE
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, FRONT_DOOR, LOCATION, ORGANISATION, dump, new_item, seed_item
from tests.maintenance.test_write_scope import SERVICE as SERVICE_ID

PROBLEM = "application/problem+json"


def read(api: Api, path: str) -> tuple[dict, str]:
    response = api.client.get(path, headers=api.headers("editor"))
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def test_an_update_needs_the_current_etag_and_a_stale_one_changes_nothing(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE_ID}"
    service, etag = read(api, path)
    assert etag.startswith(f'"{service["version"]}-')

    missing = api.client.patch(path, json={"waiting_days": 5}, headers=api.headers("editor"))
    assert missing.status_code == 428 and missing.json()["type"] == "/problems/precondition-required"
    star = api.client.patch(path, json={"waiting_days": 5}, headers=api.headers("editor", **{"If-Match": "*"}))
    assert star.status_code == 428

    first = api.client.patch(path, json={"waiting_days": 5}, headers=api.headers("editor", **{"If-Match": etag}))
    assert first.status_code == 200 and first.json()["waiting_time"]["days"] == 5
    assert first.headers["ETag"].startswith(f'"{service["version"] + 1}-')

    before = dump(api.engine)
    stale = api.client.patch(path, json={"waiting_days": 9}, headers=api.headers("editor", **{"If-Match": etag}))
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    assert dump(api.engine) == before
    current, current_etag = read(api, path)
    assert current["waiting_time"]["days"] == 5
    assert stale.headers["ETag"] == current_etag  # the current version, as reads tag it, for If-Match
    again = api.client.patch(path, json={"waiting_days": 9}, headers=api.headers("editor", **{"If-Match": stale.headers["ETag"]}))
    assert again.status_code == 200, again.text


def test_put_replaces_the_whole_entry_and_patch_merges_objects(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE_ID}"
    _, etag = read(api, path)
    body = seed_item("services", SERVICE_ID) | {"description": None, "eligibility": {"min_age": 18, "max_age": 67}}
    replaced = api.client.put(path, json=body, headers=api.headers("editor", **{"If-Match": etag}))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["description"] is None

    patched = api.client.patch(
        path, json={"eligibility": {"max_age": None, "needs_gp_referral": True}},
        headers=api.headers("editor", **{"If-Match": replaced.headers["ETag"]}),
    )
    assert patched.status_code == 200, patched.text
    rules = patched.json()["eligibility"]
    assert (rules["min_age"], rules["max_age"], rules["needs_gp_referral"]) == (18, None, True)


@pytest.mark.parametrize("path", [
    f"organisations/{ORGANISATION}", f"services/{SERVICE_ID}", f"locations/{LOCATION}",
    f"contacts/{CONTACT}", f"front-doors/{FRONT_DOOR}",
])
def test_put_takes_back_what_get_returns(api: Api, path: str) -> None:
    """Read-only fields equal to the stored ones are accepted and ignored, so a client can
    change a field of what it read and send the whole body back."""
    body, etag = read(api, f"/api/v1/{path}")
    text_field = "note" if path.startswith("front-doors") else "name"
    body[text_field] = "Teruggestuurd na het lezen"
    replaced = api.client.put(f"/api/v1/{path}", json=body, headers=api.headers("editor", **{"If-Match": etag}))
    assert replaced.status_code == 200, replaced.text
    after, _ = read(api, f"/api/v1/{path}")
    assert after[text_field] == "Teruggestuurd na het lezen"
    unchanged = {k: v for k, v in body.items() if k not in (text_field, "version", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged


@pytest.mark.parametrize(("field", "value"), [
    ("version", 99), ("created_at", "2020-01-01T00:00:00Z"),
    ("organisation", {"id": ORGANISATION, "name": "Een andere naam"}), ("waiting_time", {"days": 1, "reported_on": None}),
])
def test_put_refuses_a_read_only_field_that_differs_naming_it(api: Api, field: str, value: object) -> None:
    path = f"/api/v1/services/{SERVICE_ID}"
    body, etag = read(api, path)
    before = dump(api.engine)
    refused = api.client.put(path, json=body | {field: value}, headers=api.headers("editor", **{"If-Match": etag}))
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert field in {error["field"] for error in refused.json()["errors"]}, refused.json()
    assert dump(api.engine) == before


def test_create_returns_201_with_location_and_etag_and_refuses_an_existing_id(api: Api) -> None:
    created = api.client.post("/api/v1/contacts", json=new_item("contacts"), headers=api.headers("editor"))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/contacts/{created.json()['id']}"
    assert created.headers["ETag"].startswith('"1-')
    assert created.json()["phone"] is not None  # a writer sees what it wrote

    again = api.client.post("/api/v1/contacts", json=seed_item("contacts", CONTACT), headers=api.headers("editor"))
    assert again.status_code == 409 and again.json()["field"] == "id"


def test_a_deleted_entry_is_gone_from_reads_lists_and_search_but_stays_in_the_log(api: Api) -> None:
    created = api.client.post(
        "/api/v1/services", json=new_item("services") | {"name": "Schuldenmaatje Tijdelijk"},
        headers=api.headers("editor"),
    ).json()
    path = f"/api/v1/services/{created['id']}"
    found = api.client.get("/api/v1/search", params={"postcode": "4331AB", "q": "schuldenmaatje"}).json()
    assert [r["service"]["id"] for r in found["items"]] == [created["id"]]

    deleted = api.client.delete(path, headers=api.headers("editor", **{"If-Match": '"1"'}))
    assert deleted.status_code == 204
    assert api.client.get(path).status_code == 410
    assert api.client.delete(path, headers=api.headers("editor", **{"If-Match": '"2"'})).status_code == 410
    listed = api.client.get("/api/v1/services", params={"gemeente": "GM0687", "limit": 100}).json()["items"]
    assert created["id"] not in {s["id"] for s in listed}
    found = api.client.get("/api/v1/search", params={"postcode": "4331AB", "q": "schuldenmaatje"}).json()
    # Nothing matches any more: what the page offers is the related need domain's services, marked so.
    assert created["id"] not in {r["service"]["id"] for r in found["items"]}
    assert all(r["why"]["fallback"] for r in found["items"])
    trail = api.client.get("/api/v1/audit", params={"entity_id": created["id"]}, headers=api.headers("admin")).json()
    assert [(e["action"], e["version"]) for e in trail["items"]] == [("delete", 2), ("create", 1)]


def test_a_deleted_entry_cannot_be_referred_to_anew(api: Api) -> None:
    editor = api.headers("editor")

    def deleted(path: str, body: dict) -> str:
        created = api.client.post(f"/api/v1/{path}", json=body, headers=editor)
        assert created.status_code == 201, created.text
        gone = api.client.delete(f"/api/v1/{path}/{created.json()['id']}", headers=editor | {"If-Match": '"1"'})
        assert gone.status_code == 204, gone.text
        return created.json()["id"]

    organisation = deleted("organisations", new_item("organisations"))
    location = deleted("locations", new_item("locations"))
    contact = deleted("contacts", new_item("contacts"))
    before = dump(api.engine)
    for path, change, field in (
        ("services", {"organisation_id": organisation}, "organisation_id"),
        ("services", {"location_ids": [location]}, "location_ids"),
        ("locations", {"organisation_id": organisation}, "organisation_id"),
        ("front-doors", {"contact_id": contact}, "contact_id"),
    ):
        response = api.client.post(f"/api/v1/{path}", json=new_item(path) | change, headers=editor)
        assert response.status_code == 422 and response.json()["field"] == field, (path, response.text)
    assert dump(api.engine) == before


def test_an_entry_others_depend_on_cannot_be_deleted(api: Api) -> None:
    response = api.client.delete(f"/api/v1/organisations/{ORGANISATION}", headers=api.headers("admin", **{"If-Match": '"1"'}))
    assert response.status_code == 409
    assert response.json()["dependents"]["services"] > 0


def test_verify_marks_the_entry_checked_now_and_bumps_its_version(api: Api) -> None:
    path = f"/api/v1/contacts/{CONTACT}"
    before, _ = read(api, path)
    response = api.client.post(f"{path}/verify", headers=api.headers("editor", **{"X-On-Behalf-Of": "Anna de Vries"}))
    assert response.status_code == 200
    after = response.json()
    assert after["version"] == before["version"] + 1 and after["last_verified_at"] > before["last_verified_at"]
    trail = api.client.get("/api/v1/audit", params={"entity_id": CONTACT}, headers=api.headers("editor")).json()
    assert trail["items"][0]["action"] == "verify" and trail["items"][0]["on_behalf_of"] == "Anna de Vries"


def test_an_editor_cannot_change_owners_or_set_areas_outside_them(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE_ID}"
    _, etag = read(api, path)
    owners = api.client.patch(path, json={"owners": ["GM0687", "GM0718"]}, headers=api.headers("editor", **{"If-Match": etag}))
    assert owners.status_code == 403 and owners.json()["field"] == "owners"
    areas = api.client.patch(path, json={"areas": ["WK071801"]}, headers=api.headers("editor", **{"If-Match": etag}))
    assert areas.status_code == 403 and areas.json()["field"] == "areas"
    inside = api.client.patch(path, json={"areas": ["WK068701"]}, headers=api.headers("editor", **{"If-Match": etag}))
    assert inside.status_code == 200, inside.text
    admin = api.client.patch(
        path, json={"owners": ["GM0687", "GM0718"]}, headers=api.headers("admin", **{"If-Match": inside.headers["ETag"]})
    )
    assert admin.status_code == 200 and admin.json()["owners"] == ["GM0687", "GM0718"]


INVALID = [
    ("organisations", {"kvk_number": "1234567"}, "kvk_number"),
    ("organisations", {"agb_code": "AB123456"}, "agb_code"),
    ("organisations", {"website": "geen url"}, "website"),
    ("organisations", {"email": "loket@"}, "email"),
    ("organisations", {"phone": "0118 12"}, "phone"),
    ("organisations", {"owners": ["GM9999"]}, "owners"),
    ("services", {"areas": ["BU06879999"]}, "areas"),
    ("services", {"need_domains": ["geluk"]}, "need_domains"),
    ("services", {"eligibility": {"min_age": 70, "max_age": 18}}, "eligibility"),
    ("services", {"waiting_days": -1}, "waiting_days"),
    ("services", {"naam": "typo"}, "naam"),
    ("services", {"name": "   "}, "name"),  # spaces alone: a result card without a name
    # A typo's year would rank as checked, or as a waiting time reported, for ever.
    ("services", {"waiting_days": 14, "waiting_reported_on": "2062-11-01"}, "waiting_reported_on"),
    ("contacts", {"last_verified_at": "2062-11-01T09:00:00Z"}, "last_verified_at"),
    ("organisations", {"description": "\t\n"}, "description"),
    ("locations", {"postcode": "0123AB"}, "postcode"),
    ("locations", {"postcode": "4330AA"}, "postcode"),  # PO boxes only: no visiting address
    ("locations", {"opening_hours": [
        {"weekday": 0, "opens": "09:00", "closes": "12:00"}, {"weekday": 0, "opens": "11:00", "closes": "13:00"}
    ]}, "opening_hours"),
    ("contacts", {"valid_from": "2027-01-01", "valid_until": "2026-01-01"}, "valid_until"),
    ("contacts", {"phone": "+32 2 123 45 67"}, "phone"),
    ("front-doors", {"topic": "geluk"}, "topic"),
    # PostgreSQL cannot store a NUL, so no database may: an export must import again.
    ("organisations", {"description": "a\x00b"}, "description"),
    ("services", {"cost_note": "gratis\x00"}, "cost_note"),
    ("contacts", {"name": "Fenna\x00"}, "name"),
    # References to entries that do not exist.
    ("locations", {"organisation_id": str(uuid.UUID(int=1))}, "organisation_id"),
    ("contacts", {"service_id": str(uuid.UUID(int=1))}, "service_id"),
    ("front-doors", {"service_id": str(uuid.UUID(int=1))}, "service_id"),
    ("front-doors", {"contact_id": str(uuid.UUID(int=1))}, "contact_id"),
]


@pytest.mark.parametrize(("path", "change", "field"), INVALID, ids=lambda v: str(v)[:40])
def test_invalid_input_is_a_422_naming_the_field_and_changes_nothing(api: Api, path: str, change: dict, field: str) -> None:
    before = dump(api.engine)
    response = api.client.post(f"/api/v1/{path}", json=new_item(path) | change, headers=api.headers("editor"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem
    assert dump(api.engine) == before


def test_names_and_texts_are_trimmed(api: Api) -> None:
    created = api.client.post(
        "/api/v1/services", json=new_item("services") | {"name": "  Hulp bij geldzorgen ", "description": " Elke dinsdag.\n"},
        headers=api.headers("editor"),
    )
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["description"]) == ("Hulp bij geldzorgen", "Elke dinsdag.")


def test_phone_numbers_are_stored_in_the_dutch_national_format(api: Api) -> None:
    created = api.client.post(
        "/api/v1/contacts", json=new_item("contacts") | {"phone": "+31612345678"}, headers=api.headers("editor")
    )
    assert created.status_code == 201 and created.json()["phone"] == "06 12345678"


def test_of_two_concurrent_updates_with_the_same_etag_exactly_one_succeeds(api: Api) -> None:
    """The first writer holds the entry (row lock on PostgreSQL, the write lock on SQLite)
    until it commits; the second then sees the new version and is refused."""
    service_id = uuid.UUID(SERVICE_ID)
    actor = Actor("test")
    outcome: list[str] = []

    def second_writer() -> None:
        with Session(api.engine) as session, session.begin():
            from app import dialect

            dialect.begin_write(session)
            try:
                maintenance.update(session, SERVICE, service_id, {"waiting_days": 2}, frozenset({1}), actor)
                outcome.append("second succeeded")
            except PreconditionFailed:
                outcome.append("second refused")

    with Session(api.engine) as session, session.begin():
        from app import dialect

        dialect.begin_write(session)
        maintenance.update(session, SERVICE, service_id, {"waiting_days": 1}, frozenset({1}), actor)
        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second writer did not wait for the first"
    thread.join(timeout=30)
    assert outcome == ["second refused"]
    assert read(api, f"/api/v1/services/{SERVICE_ID}")[0]["waiting_time"]["days"] == 1
