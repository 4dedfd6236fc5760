"""An editor attaches its entries only to entries it may write itself, and names no other
gemeente as an owner: otherwise one municipality could write into another's data (a
service under its organisation, a location linked to its own) or make it co-owner.

Each refusal is a 403 naming the field and changes nothing; the same request aimed at an
entry the editor may write, or made by an admin, passes.
"""

from typing import Any

from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, ORGANISATION, SERVICE, dump, new_item

PROBLEM = "application/problem+json"
VLISSINGEN_ORGANISATION = "9dd2c708-355c-4258-a418-327b459ca469"  # Loket Voorbeeldzorg Vlissingen: GM0718
VLISSINGEN_SERVICE = "cb95c2ee-cb9e-449e-9930-4b853639fff8"  # Wmo-loket Vlissingen
VLISSINGEN_LOCATION = "1a019cb8-eca9-4881-9a0b-56778a174a66"  # Stadhuis Vlissingen
# Stichting Welzijn Voorbeeld Walcheren and one of its places: GM0687, GM0717 and GM0718 own both.
SHARED_ORGANISATION = "719bf387-f617-4de0-865a-34778f9f5eec"
SHARED_LOCATION = "be796903-b482-4c92-a8ab-65427e64d939"


def refused(api: Api, method: str, path: str, body: dict[str, Any] | None, field: str, who: str = "editor") -> None:
    """The write is a 403 naming `field`, and nothing changes."""
    before = dump(api.engine)
    headers = api.headers(who, **({"If-Match": etag(api, path)} if method != "POST" else {}))
    response = api.client.request(method, path, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == field, response.json()
    assert dump(api.engine) == before


def passes(api: Api, method: str, path: str, body: dict[str, Any], who: str = "editor") -> dict[str, Any]:
    headers = api.headers(who, **({"If-Match": etag(api, path)} if method != "POST" else {}))
    response = api.client.request(method, path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def etag(api: Api, path: str) -> str:
    return api.client.get(path, headers=api.headers("admin")).headers["ETag"]


def test_an_editor_cannot_put_a_service_under_another_gemeentes_organisation(api: Api) -> None:
    evil = {"organisation_id": VLISSINGEN_ORGANISATION, "name": "Evil svc", "need_domains": ["financien"],
            "access_route": "vrij_toegankelijk", "owners": ["GM0687"], "areas": ["GM0687"]}
    refused(api, "POST", "/api/v1/services", evil, "organisation_id")
    path = f"/api/v1/services/{SERVICE}"
    refused(api, "PATCH", path, {"organisation_id": VLISSINGEN_ORGANISATION}, "organisation_id")
    refused(api, "PUT", path, new_item("services") | {"organisation_id": VLISSINGEN_ORGANISATION}, "organisation_id")

    # Its own organisation, and one its gemeente shares, are fine; an admin may do anything.
    passes(api, "POST", "/api/v1/services", evil | {"organisation_id": ORGANISATION})
    moved = passes(api, "PATCH", path, {"organisation_id": SHARED_ORGANISATION})
    assert moved["organisation"]["id"] == api.client.get(path).json()["organisation"]["id"] == SHARED_ORGANISATION
    assert passes(api, "POST", "/api/v1/services", evil, who="admin")["organisation"]["id"] == VLISSINGEN_ORGANISATION


def test_a_bulk_import_refuses_the_same_service_row(api: Api) -> None:
    before = dump(api.engine)
    row = {"external_id": "GM0687-EVIL", "organisation_id": VLISSINGEN_ORGANISATION, "name": "Evil svc",
           "need_domains": ["financien"], "access_route": "vrij_toegankelijk", "owners": ["GM0687"]}
    response = api.client.post("/api/v1/import", json={"services": [row]}, headers=api.headers("editor"))
    assert response.status_code == 422, response.text
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "organisation_id")]
    assert dump(api.engine) == before


def test_an_editor_names_only_its_own_gemeenten_as_owners_of_a_new_entry(api: Api) -> None:
    organisation = {"name": "Stichting Samen", "owners": ["GM0687", "GM0718"]}
    refused(api, "POST", "/api/v1/organisations", organisation, "owners")
    service = new_item("services") | {"owners": ["GM0687", "GM0718"]}
    refused(api, "POST", "/api/v1/services", service, "owners")

    assert passes(api, "POST", "/api/v1/organisations", organisation | {"owners": ["GM0687"]})["owners"] == ["GM0687"]
    assert passes(api, "POST", "/api/v1/organisations", organisation, who="admin")["owners"] == ["GM0687", "GM0718"]
    # A service in an organisation the gemeenten share is shared as the organisation is.
    shared = new_item("services") | {"organisation_id": SHARED_ORGANISATION, "areas": []}
    assert passes(api, "POST", "/api/v1/services", shared | {"owners": None})["owners"] == ["GM0687", "GM0717", "GM0718"]
    assert passes(api, "POST", "/api/v1/services", shared | {"owners": ["GM0687", "GM0718"]})["owners"] == ["GM0687", "GM0718"]


def test_an_editor_attaches_contacts_only_to_its_own_services_and_organisations(api: Api) -> None:
    refused(api, "POST", "/api/v1/contacts", new_item("contacts") | {"organisation_id": VLISSINGEN_ORGANISATION},
            "organisation_id")
    refused(api, "PATCH", f"/api/v1/contacts/{CONTACT}", {"organisation_id": VLISSINGEN_ORGANISATION}, "organisation_id")
    refused(api, "POST", "/api/v1/contacts", new_item("contacts") | {"service_id": VLISSINGEN_SERVICE}, "service_id")

    created = passes(api, "POST", "/api/v1/contacts", new_item("contacts") | {"organisation_id": ORGANISATION})
    assert created["organisation_id"] == ORGANISATION


def test_an_editor_links_a_service_only_to_locations_it_may_write(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE}"
    current = api.client.get(path, headers=api.headers("editor")).json()["locations"]
    own = [location["id"] for location in current]
    refused(api, "PATCH", path, {"location_ids": [*own, VLISSINGEN_LOCATION]}, "location_ids")
    refused(api, "POST", "/api/v1/services", new_item("services") | {"location_ids": [VLISSINGEN_LOCATION]}, "location_ids")
    refused(api, "POST", "/api/v1/locations", new_item("locations") | {"organisation_id": VLISSINGEN_ORGANISATION},
            "organisation_id")

    linked = passes(api, "PATCH", path, {"location_ids": [*own, SHARED_LOCATION]})
    assert {location["id"] for location in linked["locations"]} == {*own, SHARED_LOCATION}
    # A link an admin made stays, and does not stop the editor changing the rest.
    passes(api, "PATCH", path, {"location_ids": [*own, VLISSINGEN_LOCATION]}, who="admin")
    renamed = passes(api, "PATCH", path, {"name": "Wmo-loket Middelburg en Vlissingen"})
    assert {location["id"] for location in renamed["locations"]} == {*own, VLISSINGEN_LOCATION}


def test_an_editor_points_a_front_door_only_at_its_own_service(api: Api) -> None:
    door = new_item("front-doors") | {"service_id": VLISSINGEN_SERVICE, "contact_id": None}
    refused(api, "POST", "/api/v1/front-doors", door, "service_id")
    assert passes(api, "POST", "/api/v1/front-doors", door | {"service_id": SERVICE})["service"]["id"] == SERVICE


def test_a_key_limited_to_organisations_names_only_organisations_of_its_gemeenten(api: Api) -> None:
    client = {"name": "Wijkteam", "role": "editor", "gemeenten": ["GM0687"], "organisations": [VLISSINGEN_ORGANISATION]}
    response = api.client.post("/api/v1/clients", json=client, headers=api.headers("admin"))
    assert response.status_code == 422 and response.json()["field"] == "organisations", response.text
    assert response.headers["content-type"] == PROBLEM
    fitting = client | {"organisations": [ORGANISATION, SHARED_ORGANISATION]}
    created = api.client.post("/api/v1/clients", json=fitting, headers=api.headers("admin"))
    assert created.status_code == 201, created.text
    changed = api.client.put(f"/api/v1/clients/{created.json()['id']}", json=client, headers=api.headers("admin"))
    assert changed.status_code == 422 and changed.json()["field"] == "organisations"
