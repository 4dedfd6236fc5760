"""Front doors through the HTTP API on the demo region, on both databases: the postcode
answer (topics, paging, the place it resolved) and the contact a front door names."""

from typing import Any

import pytest

from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, FRONT_DOOR, SERVICE, dump, new_item

PATH = "/api/v1/front-doors"
# Not contacts of SERVICE (Wmo-loket Middelburg): one of the Wmo-loket Vlissingen, and one
# of the Sociaal wijkteam Middelburg with that service.
VLISSINGEN_CONTACT = "b21bfa4c-88e8-43d7-aead-a703e53f2583"
WIJKTEAM, WIJKTEAM_CONTACT = "31ed6e6a-399a-48b5-a736-56afb993e5fd", "3ec0d6a2-2a55-477c-b969-843568e6e8a4"


def _get(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get(PATH, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _topics(body: dict[str, Any]) -> list[str]:
    return [item["topic"] for item in body["items"]]


# --- the postcode answer keeps to its parameters ---------------------------------------------


def test_a_postcode_answer_keeps_to_the_topics_asked(demo_client) -> None:
    everything = _get(demo_client, postcode="4337")
    assert len(everything["items"]) > 2 and _topics(everything) == sorted(_topics(everything))

    wmo = _get(demo_client, postcode="4337", topic="wmo_2015", limit=2)
    assert _topics(wmo) == ["wmo_2015"]
    assert wmo["items"][0]["service"]["name"] == "Wmo-loket Middelburg"

    two = _get(demo_client, postcode="4337", topic=["wgs", "financien"])
    assert _topics(two) == ["financien", "wgs"]
    by_topic = {item["topic"]: item for item in everything["items"]}
    assert two["items"] == [by_topic["financien"], by_topic["wgs"]]


@pytest.mark.parametrize("params", [
    {"postcode": "4337", "topic": "bogus"},
    {"topic": "bogus"},
    {"postcode": "4337", "topic": ["wgs", "bogus"]},
    {"topic": ["financien", "geluk"], "area_code": "GM0687"},
    {"postcode": "4337", "topic": "a\x00b"},  # PostgreSQL would refuse it as text
], ids=str)
def test_an_unknown_topic_is_a_422_naming_topic_with_or_without_a_postcode(demo_client, params) -> None:
    response = demo_client.get(PATH, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "topic"


def test_the_listing_takes_several_topics_too(demo_client) -> None:
    both = _get(demo_client, topic=["wgs", "jeugdwet"], limit=100)["items"]
    each = [item for topic in ("wgs", "jeugdwet") for item in _get(demo_client, topic=topic, limit=100)["items"]]
    assert {item["id"] for item in both} == {item["id"] for item in each} and len(both) == len(each) > 2


def test_a_postcode_answer_pages_by_limit_and_cursor_and_echoes_only_the_limit_it_applied(demo_client) -> None:
    whole = _get(demo_client, postcode="4331")
    assert whole["limit"] == 50 and whole["next_cursor"] is None
    seen, cursor = [], None
    while True:
        body = _get(demo_client, postcode="4331", limit=3, **({"cursor": cursor} if cursor else {}))
        assert body["limit"] == 3 and len(body["items"]) <= 3
        assert body["place"] == whole["place"]
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == whole["items"] and len(seen) > 3

    # A cursor holds for the postcode and topics it came with, and a listing's is not one.
    first = _get(demo_client, postcode="4331", limit=2)["next_cursor"]
    listing = _get(demo_client, limit=2)["next_cursor"]
    for params in ({"postcode": "4337", "cursor": first}, {"postcode": "4331", "topic": "wgs", "cursor": first},
                   {"postcode": "4331", "cursor": listing}):
        response = demo_client.get(PATH, params=params)
        assert response.status_code == 422 and response.json()["field"] == "cursor", params


def test_an_area_code_with_a_postcode_is_refused_naming_it(demo_client) -> None:
    response = demo_client.get(PATH, params={"postcode": "4337", "area_code": "WK068703"})
    assert response.status_code == 422 and response.json()["field"] == "area_code"


# --- the place the answer was chosen for ---------------------------------------------------------


def test_the_postcode_answer_says_which_place_it_resolved(demo_client) -> None:
    body = _get(demo_client, postcode="4337kv")
    place = body["place"]
    assert place == demo_client.get("/api/v1/postcodes/4337KV").json()
    assert (place["postcode"], place["pc4"], place["resolved_via"]) == ("4337KV", "4337", "pc4")
    # 4337 spans two buurten, both linked from points only: a HIS can see the answer is the PC4's.
    assert [(b["name"], b["approximate"]) for b in place["buurten"]] == [("Dauwendaele", True), ("Mortiere", True)]
    financien = next(item for item in body["items"] if item["topic"] == "financien")
    assert financien["area"] == {"code": "BU06870301", "kind": "buurt", "name": "Dauwendaele"}
    assert _get(demo_client, limit=1)["place"] is None


def test_a_front_door_chosen_at_one_of_several_wijken_shows_as_such(demo_client) -> None:
    body = _get(demo_client, postcode="4331")
    assert [w["code"] for w in body["place"]["wijken"]] == ["WK068700", "WK068701"]
    areas = {item["topic"]: item["area"] for item in body["items"]}
    # Each wijk has its own door for one topic; for the others the gemeente's holds for all of 4331.
    assert (areas["huisvesting"]["code"], areas["huisvesting"]["kind"]) == ("WK068701", "wijk")
    assert (areas["sociaal_netwerk"]["code"], areas["sociaal_netwerk"]["kind"]) == ("WK068700", "wijk")
    assert areas["wmo_2015"]["kind"] == "gemeente"


# --- a front door's contact belongs to its service ---------------------------------------------


def test_a_front_door_cannot_name_a_contact_of_another_service(api: Api) -> None:
    before = dump(api.engine)
    body = new_item("front-doors") | {"area_code": "WK068702", "topic": "werk_opleiding"}
    # Another service's contact: of this gemeente a 422, of another gemeente not even this key's to name (403).
    for contact, status in ((WIJKTEAM_CONTACT, 422), (VLISSINGEN_CONTACT, 403)):
        response = api.client.post(PATH, json=body | {"contact_id": contact}, headers=api.headers("editor"))
        assert response.status_code == status, response.text
        assert response.json()["field"] == "contact_id"
        assert dump(api.engine) == before

    created = api.client.post(PATH, json=body | {"contact_id": CONTACT}, headers=api.headers("editor"))
    assert created.status_code == 201, created.text
    assert created.json()["contact"]["id"] == CONTACT


def test_patching_the_service_or_the_contact_alone_keeps_them_together(api: Api) -> None:
    body = new_item("front-doors") | {"area_code": "WK068702", "topic": "werk_opleiding"}
    created = api.client.post(PATH, json=body, headers=api.headers("editor"))
    assert created.status_code == 201, created.text
    door, etag = f"{PATH}/{created.json()['id']}", created.headers["ETag"]

    def patch(change: dict[str, Any]) -> Any:
        return api.client.patch(door, json=change, headers=api.headers("editor", **{"If-Match": etag}))

    before = dump(api.engine)
    for change, field, status in (
        ({"contact_id": VLISSINGEN_CONTACT}, "contact_id", 403),  # another gemeente's (app/clients/scope.py)
        ({"contact_id": WIJKTEAM_CONTACT}, "contact_id", 422), ({"service_id": WIJKTEAM}, "service_id", 422),
    ):
        refused = patch(change)
        assert refused.status_code == status and refused.json()["field"] == field, (change, refused.text)
        assert dump(api.engine) == before
    moved = patch({"service_id": WIJKTEAM, "contact_id": WIJKTEAM_CONTACT})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["service"]["id"], moved.json()["contact"]["id"]) == (WIJKTEAM, WIJKTEAM_CONTACT)
    etag = moved.headers["ETag"]
    unnamed = patch({"service_id": SERVICE, "contact_id": None})
    assert unnamed.status_code == 200 and unnamed.json()["contact"] is None


def test_a_contact_a_front_door_names_cannot_move_to_another_service_under_it(api: Api) -> None:
    contact = f"/api/v1/contacts/{CONTACT}"
    etag = api.client.get(contact, headers=api.headers("editor")).headers["ETag"]
    before = dump(api.engine)
    moved = api.client.patch(contact, json={"service_id": WIJKTEAM}, headers=api.headers("editor", **{"If-Match": etag}))
    assert moved.status_code == 409, moved.text
    assert moved.json()["field"] == "service_id" and FRONT_DOOR in moved.json()["detail"]
    assert dump(api.engine) == before

    door = f"{PATH}/{FRONT_DOOR}"
    door_etag = api.client.get(door, headers=api.headers("editor")).headers["ETag"]
    unnamed = api.client.patch(door, json={"contact_id": None}, headers=api.headers("editor", **{"If-Match": door_etag}))
    assert unnamed.status_code == 200, unnamed.text
    moved = api.client.patch(contact, json={"service_id": WIJKTEAM}, headers=api.headers("editor", **{"If-Match": etag}))
    assert moved.status_code == 200 and moved.json()["service_id"] == WIJKTEAM


def test_a_contact_a_front_door_names_is_not_deleted_under_it(api: Api) -> None:
    contact = f"/api/v1/contacts/{CONTACT}"

    def delete() -> Any:
        etag = api.client.get(contact, headers=api.headers("editor")).headers["ETag"]
        return api.client.delete(contact, headers=api.headers("editor", **{"If-Match": etag}))

    before = dump(api.engine)
    refused = delete()
    assert refused.status_code == 409, refused.text
    assert refused.json()["dependents"] == {"front doors": 1}
    assert dump(api.engine) == before

    door = f"{PATH}/{FRONT_DOOR}"
    door_etag = api.client.get(door, headers=api.headers("editor")).headers["ETag"]
    unnamed = api.client.patch(door, json={"contact_id": None}, headers=api.headers("editor", **{"If-Match": door_etag}))
    assert unnamed.status_code == 200, unnamed.text
    assert delete().status_code == 204


def test_erasing_a_contact_unnames_the_front_doors_that_named_it(api: Api) -> None:
    door = f"{PATH}/{FRONT_DOOR}"
    named = api.client.get(door, headers=api.headers("editor")).json()
    assert named["contact"]["id"] == CONTACT
    since = api.client.get("/api/v1/changes", params={"limit": 1000}, headers=api.headers("reader")).json()["next_cursor"]

    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("admin")).status_code == 200
    unnamed = api.client.get(door, headers=api.headers("editor")).json()
    assert unnamed["contact"] is None and unnamed["version"] == named["version"] + 1
    # Copies kept in sync learn it from the change feed, and the postcode answer names no erased person.
    changes = api.client.get("/api/v1/changes", params={"since": since}, headers=api.headers("reader")).json()["items"]
    assert [(c["entity_type"], c["entity_id"]) for c in changes] == [("contact", CONTACT), ("front_door", FRONT_DOOR)]
    [wmo] = _get(api.client, postcode="4331", topic="wmo_2015")["items"]
    assert wmo["id"] == FRONT_DOOR and (wmo["contact"] or {}).get("id") != CONTACT
