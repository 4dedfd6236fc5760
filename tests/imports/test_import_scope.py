"""An import row refused for its scope names the column (JSON field) the refusal is about,
and nothing is stored: the owning gemeenten are a service's or organisation's `owners`, a
location's `organisation_id`, a contact's `service_id` (or `organisation_id`) and a front
door's `area_code`. The API names the same field for the same write."""

from typing import Any

import pytest

from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, FRONT_DOOR, LOCATION, ORGANISATION, SERVICE, dump
from tests.maintenance.test_write_scope_references import (
    SHARED_ORGANISATION,
    VLISSINGEN_LOCATION,
    VLISSINGEN_ORGANISATION,
    VLISSINGEN_SERVICE,
)

VLISSINGEN_CONTACT = "b21bfa4c-88e8-43d7-aead-a703e53f2583"  # Noor Demo, Wmo-loket Vlissingen
VLISSINGEN_FRONT_DOOR = "3f2fe8c2-b53e-45b2-9b05-ac80c1b3b221"  # GM0718, wmo_2015
SHARED_SERVICE = "ba50c16f-54b4-4bfa-9dda-e52557b4be24"  # Welzijn op Recept: GM0687, GM0717, GM0718
NEW_SERVICE = {"external_id": "GM0687-NIEUW", "organisation_id": ORGANISATION, "name": "Nieuw",
               "need_domains": ["financien"], "access_route": "vrij_toegankelijk"}

# (key, kind, row, the field it names). `editor` maintains Middelburg (GM0687);
# `editor_other_organisation` too, limited to one of its organisations (not ORGANISATION's).
REFUSED_ROWS = [
    # Owned by another gemeente: a new entry naming it as owner, or a stored entry it owns.
    ("editor", "services", NEW_SERVICE | {"owners": ["GM0718"]}, "owners"),
    ("editor", "organisations", {"external_id": "GM0687-ELDERS", "name": "Elders", "owners": ["GM0718"]}, "owners"),
    ("editor", "services", {"id": VLISSINGEN_SERVICE, "waiting_days": 3}, "owners"),
    ("editor", "organisations", {"id": VLISSINGEN_ORGANISATION, "name": "Overgenomen"}, "owners"),
    ("editor", "locations", {"id": VLISSINGEN_LOCATION, "name": "Overgenomen"}, "organisation_id"),
    ("editor", "contacts", {"id": VLISSINGEN_CONTACT, "role": "wijkcoach"}, "service_id"),
    ("editor", "front_doors", {"id": VLISSINGEN_FRONT_DOOR, "note": "Overgenomen"}, "area_code"),
    ("editor", "front_doors", {"area_code": "WK071801", "topic": "wmo_2015", "service_id": SERVICE}, "area_code"),
    # Another set of owning gemeenten, through what the entry takes its owners from.
    ("editor", "locations", {"id": LOCATION, "organisation_id": SHARED_ORGANISATION}, "organisation_id"),
    ("editor", "contacts", {"id": CONTACT, "service_id": SHARED_SERVICE}, "service_id"),
    # Outside the organisations a key is limited to.
    ("editor_other_organisation", "organisations", {"id": ORGANISATION, "name": "Overgenomen"}, "id"),
    ("editor_other_organisation", "services", {"id": SERVICE, "waiting_days": 3}, "organisation_id"),
    ("editor_other_organisation", "contacts", {"id": CONTACT, "role": "wijkcoach"}, "service_id"),
    ("editor_other_organisation", "front_doors", {"id": FRONT_DOOR, "note": "Overgenomen"}, "service_id"),
]


def imported(api: Api, who: str, batch: dict[str, list[dict[str, Any]]]) -> Any:
    return api.client.post("/api/v1/import", json=batch, headers=api.headers(who))


@pytest.mark.parametrize(("who", "kind", "row", "field"), REFUSED_ROWS, ids=lambda v: str(v)[:24])
def test_a_row_outside_the_keys_scope_names_the_field_and_nothing_is_stored(
    api: Api, who: str, kind: str, row: dict[str, Any], field: str
) -> None:
    before = dump(api.engine)

    response = imported(api, who, {kind: [row]})

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["entity"], e["row"], e["field"]) for e in errors] == [(kind, 1, field)], errors
    assert response.json()["field"] == field
    assert dump(api.engine) == before
    if "id" in row:  # the same change through the API: a 403 naming the same field
        path = f"/api/v1/{kind.replace('_', '-')}/{row['id']}"
        etag = api.client.get(path, headers=api.headers("admin")).headers["ETag"]
        patched = api.client.patch(path, json={k: v for k, v in row.items() if k != "id"},
                                   headers=api.headers(who, **{"If-Match": etag}))
        assert patched.status_code == 403 and patched.json()["field"] == field, patched.text
        assert dump(api.engine) == before


def test_a_csv_row_naming_another_gemeente_as_owner_names_the_owners_column(api: Api) -> None:
    services = (
        "external_id;organisation_id;name;need_domains;access_route;owners\r\n"
        f"GM0687-ELDERS;{ORGANISATION};Elders;financien;vrij_toegankelijk;GM0718\r\n"
        f"GM0687-SAMEN;{ORGANISATION};Samen;financien;vrij_toegankelijk;GM0687|GM0718\r\n"
        f"GM0687-EIGEN;{ORGANISATION};Eigen;financien;vrij_toegankelijk;GM0687\r\n"
    )
    before = dump(api.engine)

    response = api.client.post("/api/v1/import", headers=api.headers("editor"),
                               files=[("services", ("services.csv", services.encode(), "text/csv"))])

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["file"], e["row"], e["field"]) for e in errors] == [("services.csv", 2, "owners"), ("services.csv", 3, "owners")]
    assert all("GM0718" in e["message"] for e in errors)
    assert dump(api.engine) == before  # nor the good row: all or nothing


def test_a_row_the_write_schema_refuses_as_a_whole_names_the_row(api: Api) -> None:
    # A contact belongs to a service or an organisation: a rule on no single field.
    response = imported(api, "editor", {"contacts": [{"name": "Fenna Fictief", "role": "wijkcoach"}]})
    assert response.status_code == 422, response.text
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "row")]
