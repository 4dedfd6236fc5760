"""Languages are ISO 639-1 codes, on every path a code comes in by: service writes (POST,
PUT, PATCH), the search's `language` (GET and POST), bulk imports (CSV and JSON). An unknown
code is a 422 naming the field (a list item by its index) and changes nothing; a stored code
that is not ISO 639-1 stays readable, and a service holding one can still be verified, exported
and deleted."""

import json
import uuid
from typing import Any

import pycountry
import pytest
from sqlalchemy import update
from sqlmodel import Session

from app.demo import SEED_DIR
from app.fields import ISO_639_1
from app.services.models import Service
from tests.conftest import Api
from tests.maintenance.test_write_scope import ORGANISATION, SERVICE, dump, new_item

PROBLEM = "application/problem+json"


def assert_refused(response: Any, field: str, code: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input" and problem["field"] == field, problem
    assert f"{code!r} is not an ISO 639-1 language code" in problem["detail"], problem


def test_the_codes_are_pycountrys_iso_639_1_codes() -> None:
    assert frozenset(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2")) == ISO_639_1
    assert {"nl", "en", "ar", "tr", "ti", "uk", "fy"} <= ISO_639_1 and len(ISO_639_1) > 180
    assert not {"xx", "qq", "NL", "nld", ""} & ISO_639_1


def test_the_demo_catalogue_uses_real_codes() -> None:
    catalogue = json.loads((SEED_DIR / "catalogue.json").read_text(encoding="utf-8"))
    used = {code for service in catalogue["services"] for code in service.get("languages", [])}
    assert used and used <= ISO_639_1


@pytest.mark.parametrize(
    ("method", "body", "field", "code"),
    [
        ("POST", {"languages": ["nl", "xx"]}, "languages.1", "xx"),
        ("PUT", {"languages": ["NL"]}, "languages.0", "NL"),  # codes are lower-case
        ("PATCH", {"languages": ["en", "nld"]}, "languages.1", "nld"),  # ISO 639-3 is not 639-1
    ],
)
def test_a_service_write_with_an_unknown_code_is_refused(
    api: Api, method: str, body: dict[str, Any], field: str, code: str
) -> None:
    path = "/api/v1/services" if method == "POST" else f"/api/v1/services/{SERVICE}"
    if method != "PATCH":
        body = new_item("services") | body
    headers = api.headers("editor")
    if method != "POST":
        headers["If-Match"] = api.client.get(path).headers["ETag"]
    before = dump(api.engine)

    response = api.client.request(method, path, json=body, headers=headers)

    assert_refused(response, field, code)
    assert dump(api.engine) == before
    # Real codes pass, any of the 184, sorted and without repeats as before.
    passed = api.client.request(method, path, json=body | {"languages": ["ti", "nl", "ti"]}, headers=headers)
    assert passed.status_code in (200, 201), passed.text
    assert passed.json()["languages"] == ["nl", "ti"]


def test_the_search_language_must_be_a_code(demo_client: Any) -> None:
    assert_refused(demo_client.get("/api/v1/search", params={"postcode": "4331", "language": "xx"}), "language", "xx")
    posted = demo_client.post("/api/v1/search", json={"postcode": "4331", "language": "zz"})
    assert_refused(posted, "language", "zz")
    found = demo_client.post("/api/v1/search", json={"postcode": "4382", "language": "ar", "limit": 100})
    assert found.status_code == 200 and found.json()["items"]


def test_an_import_row_with_an_unknown_code_is_refused_and_nothing_is_stored(api: Api) -> None:
    before = dump(api.engine)
    services = (
        "external_id;organisation_id;name;need_domains;access_route;languages\r\n"
        f"TAAL-1;{ORGANISATION};Spreekuur;financien;vrij_toegankelijk;nl|ar\r\n"
        f"TAAL-2;{ORGANISATION};Taalcafé;financien;vrij_toegankelijk;nl|xx\r\n"
    )
    response = api.client.post("/api/v1/import", headers=api.headers("editor"),
                               files=[("services", ("services.csv", services.encode(), "text/csv"))])
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["file"], e["row"], e["field"]) for e in errors] == [("services.csv", 3, "languages")]  # the column
    assert "'xx' is not an ISO 639-1 language code" in errors[0]["message"]

    batch = {"services": [{"id": SERVICE, "languages": ["en", "xx"]}]}
    response = api.client.post("/api/v1/import", json=batch, headers=api.headers("editor"))
    assert response.status_code == 422, response.text
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "languages.1")]
    assert dump(api.engine) == before


def store_unchecked(api: Api, service_id: str, languages: list[str]) -> None:
    """Languages as a service may hold them from before codes were checked."""
    with Session(api.engine) as session, session.begin():
        session.exec(update(Service).where(Service.id == uuid.UUID(service_id)).values(languages=languages))  # type: ignore[call-overload]


def test_a_code_stored_before_the_rule_stays_readable_and_must_go_at_the_next_write(api: Api) -> None:
    store_unchecked(api, SERVICE, ["nl", "xx"])
    path = f"/api/v1/services/{SERVICE}"
    read = api.client.get(path)
    assert read.status_code == 200 and read.json()["languages"] == ["nl", "xx"]
    exported = api.client.get("/api/v1/export/services.csv", headers=api.headers("editor"))
    assert exported.status_code == 200 and "nl|xx" in exported.text
    verified = api.client.post(f"{path}/verify", headers=api.headers("editor"))
    assert verified.status_code == 200, verified.text

    # A write stores the whole entry again: it names the code to fix, and then passes.
    etag = api.client.get(path).headers["ETag"]
    kept = api.client.patch(path, json={"waiting_days": 3}, headers=api.headers("editor", **{"If-Match": etag}))
    assert_refused(kept, "languages.1", "xx")
    fixed = api.client.patch(path, json={"waiting_days": 3, "languages": ["nl"]},
                             headers=api.headers("editor", **{"If-Match": etag}))
    assert fixed.status_code == 200 and fixed.json()["languages"] == ["nl"], fixed.text


def test_a_service_holding_a_code_stored_before_the_rule_can_be_deleted(api: Api) -> None:
    created = api.client.post("/api/v1/services", json=new_item("services"), headers=api.headers("editor"))
    assert created.status_code == 201, created.text
    path = f"/api/v1/services/{created.json()['id']}"
    store_unchecked(api, created.json()["id"], ["xx"])
    deleted = api.client.delete(path, headers=api.headers("editor", **{"If-Match": created.headers["ETag"]}))
    assert deleted.status_code == 204, deleted.text
    assert api.client.get(path).status_code == 410
