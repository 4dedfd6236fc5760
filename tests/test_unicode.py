"""Text is kept in NFC and matched without case or accents, on SQLite and PostgreSQL: an id
typed with a combining diaeresis is the same id, and 'cooperatie' finds 'Coöperatie'."""

import unicodedata
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.organisations.models import Organisation
from tests.conftest import Api

NAME = "Coöperatie Zorgzaam Walcheren"
EXTERNAL_ID = "MBG-COÖP-1"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def import_organisation(api: Api, external_id: str, name: str) -> dict[str, Any]:
    body = {"organisations": [{"external_id": external_id, "name": name, "owners": ["GM0687"]}]}
    response = api.client.post("/api/v1/import", json=body, headers=api.headers("editor"))
    assert response.status_code == 200, response.text
    return response.json()["counts"]["organisations"]


def stored(api: Api) -> list[tuple[str, str]]:
    with Session(api.engine) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(Organisation.external_id, Organisation.name).where(Organisation.name.like("Co%Zorgzaam%"))
        )]


def test_an_external_id_is_one_key_however_its_accents_are_composed(api: Api) -> None:
    assert nfd(EXTERNAL_ID) != EXTERNAL_ID
    assert import_organisation(api, nfd(EXTERNAL_ID), nfd(NAME))["created"] == 1
    assert import_organisation(api, EXTERNAL_ID, NAME) == {"created": 0, "updated": 0, "unchanged": 1}
    csv_file = f"external_id;name;owners\r\n{nfd(EXTERNAL_ID)};{nfd(NAME)};GM0687\r\n".encode()
    response = api.client.post("/api/v1/import", files=[("organisations", ("organisations.csv", csv_file, "text/csv"))],
                               headers=api.headers("editor"))
    assert response.status_code == 200 and response.json()["counts"]["organisations"]["unchanged"] == 1, response.text
    assert stored(api) == [(EXTERNAL_ID, NAME)]  # NFC, once


def test_names_match_without_case_or_accents_in_fhir_and_hsds(api: Api) -> None:
    import_organisation(api, EXTERNAL_ID, NAME)
    for asked in ("cooperatie", "COOPERATIE", "Coöperatie", nfd("coöperatie")):
        bundle = api.client.get("/fhir/Organization", params={"name": asked}).json()
        assert NAME in [entry["resource"]["name"] for entry in bundle.get("entry", [])], asked
    for asked in ("cooperatie zorgzaam", "ZORGZAAM"):
        bundle = api.client.get("/fhir/Organization", params={"name": asked}).json()
        assert [entry["resource"]["name"] for entry in bundle.get("entry", [])] == [NAME], asked
    contains = api.client.get("/fhir/Organization", params={"name:contains": "ÖPERATIE ZORG"}).json()
    assert [entry["resource"]["name"] for entry in contains.get("entry", [])] == [NAME]
    exact = api.client.get("/fhir/Organization", params={"name:exact": nfd(NAME)}).json()
    assert exact["total"] == 1
    assert api.client.get("/fhir/Organization", params={"name:exact": "Cooperatie Zorgzaam Walcheren"}).json()["total"] == 0
    for asked in ("cooperatie zorgzaam", "zorgzaam walcheren", "COÖPERATIE ZORGZAAM"):
        page = api.client.get("/hsds/organizations", params={"search": asked}).json()
        assert [organisation["name"] for organisation in page["contents"]] == [NAME], asked
