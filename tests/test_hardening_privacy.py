"""Privacy and security hardening: search cursors, the secret, keys on every route,
erasure, CSV export and /metrics."""

import base64
import csv
import hashlib
import io
import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app import cli
from app.changelog.models import ChangeLogEntry
from app.contacts.models import Contact
from app.main import create_app
from app.search.schemas import SearchCriteria
from app.services.eligibility import PatientAttributes
from app.settings import SecretMissing, Settings, get_settings
from tests.conftest import Api
from tests.imports.test_import import export, upload
from tests.maintenance.test_write_scope import CONTACT, FRONT_DOOR, ORGANISATION, SERVICE

SEARCH = {"postcode": "4331AB", "limit": 2}
PATIENT = {"age": 67, "income_pct_social_minimum": 130}


def _scope(cursor: str) -> str:
    """The scope a cursor carries in the clear (after its 16-byte signature)."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return json.loads(raw[16:])["s"]


def _post_cursor(client: TestClient, patient: dict[str, Any]) -> str:
    response = client.post("/api/v1/search", json=SEARCH | {"patient": patient})
    assert response.status_code == 200, response.text
    cursor = response.json()["next_cursor"]
    assert cursor
    return cursor


def test_a_search_cursor_gives_away_no_patient_value_to_whoever_knows_the_criteria(
    demo_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cursor = _post_cursor(demo_client, PATIENT)
    scope = _scope(cursor)
    # Whoever holds the cursor and the criteria (and this code) tries every age and income,
    # written and hashed as the search writes them: no candidate confirms any values.
    criteria = SearchCriteria.model_validate(SEARCH).model_dump_json(exclude={"cursor", "limit"})
    found = [
        (age, income) for age in range(121) for income in range(301)
        if scope.endswith(hashlib.sha256(
            f"{criteria}{PatientAttributes(age=age, income_pct_social_minimum=income).model_dump_json()}False".encode()
        ).hexdigest()[:16])
    ]
    assert found == []
    # The scope depends on the server's secret: another secret, another scope for the same
    # search, so it cannot be recomputed without the key ...
    monkeypatch.setattr(get_settings(), "secret_key", "another deployment's secret")
    assert _scope(_post_cursor(demo_client, PATIENT)) != scope
    # ... and a cursor signed under one secret is refused under another.
    replayed = demo_client.post("/api/v1/search", json=SEARCH | {"patient": PATIENT, "cursor": cursor})
    assert replayed.status_code == 422 and replayed.json()["field"] == "cursor"


def test_a_search_cursor_replayed_with_other_patient_values_is_refused(demo_client: TestClient) -> None:
    cursor = _post_cursor(demo_client, PATIENT)
    same = demo_client.post("/api/v1/search", json=SEARCH | {"patient": PATIENT, "cursor": cursor})
    assert same.status_code == 200
    for other in ({"age": 66, "income_pct_social_minimum": 130}, {"age": 67, "income_pct_social_minimum": 131}, {}):
        replayed = demo_client.post("/api/v1/search", json=SEARCH | {"patient": other, "cursor": cursor})
        assert replayed.status_code == 422 and replayed.json()["field"] == "cursor"
    bare = demo_client.post("/api/v1/search", json=SEARCH | {"cursor": cursor})
    assert bare.status_code == 422 and bare.json()["field"] == "cursor"


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment without WIJKKAART_SECRET_KEY (restored afterwards, and read anew)."""
    monkeypatch.delenv("WIJKKAART_SECRET_KEY")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_app_refuses_to_start_without_a_secret(no_secret: None, demo_engine: Engine) -> None:
    with pytest.raises(SecretMissing, match="WIJKKAART_SECRET_KEY"):
        create_app(demo_engine, Settings())
    with pytest.raises(SecretMissing, match="WIJKKAART_SECRET_KEY"):
        create_app(demo_engine)


def test_serve_without_a_secret_refuses_other_hosts_and_makes_one_up_on_loopback(
    no_secret: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str | None] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: started.append(os.environ.get("WIJKKAART_SECRET_KEY")))
    refused = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "WIJKKAART_SECRET_KEY" in refused.output
    assert started == []
    # The README's demo: on 127.0.0.1, a secret of its own for each run, saying what that means.
    for _ in range(2):
        demo = CliRunner().invoke(cli.app, ["serve"])
        assert demo.exit_code == 0 and "restart" in demo.output
        monkeypatch.delenv("WIJKKAART_SECRET_KEY")
        get_settings.cache_clear()
    assert len(started) == 2 and started[0] != started[1] and all(len(secret or "") >= 32 for secret in started)


# Routes outside the API's key rule: FastAPI's own documentation, /metrics with a token of its own,
# and the static files of the practice page and the API docs (the same bytes for everyone).
_NOT_API_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics", "/static",
                   "/docs-assets"}
_PATH_VALUES = {"code": "GM0687", "postcode": "4331AB", "slug": "not-found"}


def _get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app, its parameters filled in; fails on a route of another kind."""
    paths = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            assert route.path in _NOT_API_ROUTES, f"{route.path} is not an API route: does it check keys?"
            continue
        if "GET" in (route.methods or ()):
            paths.append(re.sub(r"{(\w+)}", lambda m: _PATH_VALUES.get(m.group(1), str(uuid.uuid4())), route.path))
    return paths


def test_a_key_that_is_sent_must_be_valid_on_every_route(api: Api) -> None:
    paths = _get_paths(api.client.app)  # type: ignore[arg-type]
    named = {"/api/v1/organisations", "/api/v1/taxonomy", "/api/v1/postcodes/4331AB", "/hsds/services", "/fhir/metadata"}
    assert named <= set(paths)
    bad = {
        "unknown": "Bearer wk_not-a-key-anyone-was-given", "revoked": f"Bearer {api.keys['revoked']}",
        "expired": f"Bearer {api.keys['expired']}", "other scheme": "Basic d2s6d2s=",
    }
    refused = {}
    for path in paths:
        for name, authorization in bad.items():
            response = api.client.get(path, headers={"Authorization": authorization})
            fhir = path.startswith("/fhir")
            media_type = "application/fhir+json" if fhir else "application/problem+json"
            if not (
                response.status_code == 401 and response.headers["content-type"].startswith(media_type)
                and response.headers.get("www-authenticate", "").startswith("Bearer")
            ):
                refused[(path, name)] = response.status_code
    assert refused == {}


@pytest.mark.parametrize("path", ["/organisations", "/locations", "/taxonomy", "/areas/GM0687", "/postcodes/4331AB"])
def test_public_reads_stay_open_without_a_key_and_with_a_good_one(api: Api, path: str) -> None:
    assert api.client.get(f"/api/v1{path}").status_code == 200
    assert api.client.get(f"/api/v1{path}", headers=api.headers("reader")).status_code == 200
    assert api.client.get(f"/api/v1{path}", headers=api.headers("revoked")).status_code == 401


def test_metrics_are_not_served_without_a_token(demo_client: TestClient) -> None:
    assert demo_client.get("/metrics").status_code == 404
    assert demo_client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_answer_only_their_token(demo_engine: Engine) -> None:
    token = "scrape-token-of-sixteen-or-more"
    with TestClient(create_app(demo_engine, Settings(metrics_token=token))) as client:
        for authorization in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": token}):
            refused = client.get("/metrics", headers=authorization)
            assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "wijkkaart_http_requests_total" not in refused.text
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200 and "wijkkaart_db_pool_size" in scraped.text
    with pytest.raises(ValidationError, match="metrics_token"):
        Settings(metrics_token="short")


FORMULAS = {
    "GM0687-F1": ('=HYPERLINK("https://example.org","klik")', "-2+3 en verder"),
    "GM0687-F2": ("@SOM(A1:A9)", "+31 118 612 345 belt u terug"),
    "GM0687-F3": ("'=al tussen aanhalingstekens", "''+twee aanhalingstekens"),
    "GM0687-F4": ("Gewone naam", "'een citaat, geen formule"),
}


def _organisation_rows(api: Api) -> dict[str, dict[str, str]]:
    text = export(api, "admin", "organisations").decode("utf-8-sig")
    return {row["external_id"]: row for row in csv.DictReader(io.StringIO(text), delimiter=";")}


def test_csv_export_neutralises_formulas_and_import_reads_the_values_back(api: Api) -> None:
    items = [
        {"external_id": external_id, "name": name, "description": description, "owners": ["GM0687"]}
        for external_id, (name, description) in FORMULAS.items()
    ]
    created = api.client.post("/api/v1/import", json={"organisations": items}, headers=api.headers("admin"))
    assert created.status_code == 200, created.text
    rows = _organisation_rows(api)
    # A spreadsheet runs none of the cells: each one that starts like a formula starts with '.
    cells = [cell for row in rows.values() for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert rows["GM0687-F1"]["name"] == "'" + FORMULAS["GM0687-F1"][0]
    assert rows["GM0687-F2"]["description"] == "'" + FORMULAS["GM0687-F2"][1]
    assert rows["GM0687-F3"]["name"] == "''=al tussen aanhalingstekens"
    assert rows["GM0687-F4"]["description"] == "'een citaat, geen formule"  # not a formula: as it is
    # JSON keeps the values as they are.
    for organisation in api.client.get("/api/v1/organisations", params={"limit": 100}).json()["items"]:
        if organisation["external_id"] in FORMULAS:
            assert (organisation["name"], organisation["description"]) == FORMULAS[organisation["external_id"]]
    # The export imported again gives back every value: nothing changes.
    again = upload(api, "admin", {"organisations.csv": export(api, "admin", "organisations")})
    assert again.status_code == 200, again.text
    assert again.json()["counts"]["organisations"]["updated"] == 0


def test_a_phone_number_with_a_plus_imports_quoted_or_not(api: Api) -> None:
    rows = f"external_id;name;role;service_id;phone\nGM0687-P1;Test Een;wijkcoach;{SERVICE};+31 118 612 345\n"
    rows += f"GM0687-P2;Test Twee;wijkcoach;{SERVICE};'+31 6 12345678\n"
    imported = upload(api, "admin", {"contacts.csv": rows.encode()})
    assert imported.status_code == 200, imported.text
    ids = {change["external_id"]: change["id"] for change in imported.json()["changes"]}
    phones = [api.client.get(f"/api/v1/contacts/{ids[key]}", headers=api.headers("reader")).json()["phone"]
              for key in ("GM0687-P1", "GM0687-P2")]
    assert phones == ["0118 612 345", "06 12345678"]  # stored in national form: exported without a '
    exported = export(api, "admin", "contacts").decode("utf-8-sig")
    assert ";0118 612 345;" in exported and ";06 12345678;" in exported


def _patch(api: Api, path: str, body: dict[str, Any]) -> None:
    etag = api.client.get(path, headers=api.headers("admin")).headers["ETag"]
    response = api.client.patch(path, json=body, headers=api.headers("admin", **{"If-Match": etag}))
    assert response.status_code == 200, response.text


def test_erasure_clears_every_field_that_identifies_the_person_and_lists_the_prose_that_names_them(api: Api) -> None:
    contact_path = f"/api/v1/contacts/{CONTACT}"
    person = api.client.get(contact_path, headers=api.headers("admin")).json()
    _patch(api, contact_path, {"name": "Anouk de Groot", "external_id": "GM0687-MW-31415", "email": "a.groot@welzijn.example"})
    door_note = "Bel eerst mevrouw DE GROOT (dinsdag)."
    _patch(api, f"/api/v1/front-doors/{FRONT_DOOR}", {"note": door_note})
    _patch(api, f"/api/v1/services/{SERVICE}", {"cost_note": "Vraag naar Anouk.", "description": "Een groot loket."})
    _patch(api, f"/api/v1/organisations/{ORGANISATION}", {"description": "Anoukx en de grootste: geen van beide."})

    erased = api.client.post(f"{contact_path}/erase", headers=api.headers("admin"))
    assert erased.status_code == 200, erased.text
    mentions = {(m["entity_type"], m["id"], m["field"]) for m in erased.json()["mentions"]}
    assert mentions == {("front_door", FRONT_DOOR, "note"), ("service", SERVICE, "cost_note")}
    # Prose is the steward's to edit: erasure lists it and leaves it as it is.
    assert api.client.get(f"/api/v1/front-doors/{FRONT_DOOR}").json()["note"] == door_note
    again = api.client.post(f"{contact_path}/erase", headers=api.headers("admin"))
    assert again.status_code == 200 and again.json()["mentions"] == []

    with Session(api.engine) as session:
        row = session.get(Contact, uuid.UUID(CONTACT))
        assert row is not None
        assert (row.name, row.external_id, row.phone, row.email, row.secure_messaging) == ("(gewist)", None, None, None, None)
        payloads = [entry.changes for entry in session.exec(select(ChangeLogEntry).where(ChangeLogEntry.entity_id == CONTACT))]
    trail = api.client.get("/api/v1/audit", params={"entity_id": CONTACT, "limit": 100}, headers=api.headers("admin")).json()
    assert len(trail["items"]) >= 3
    for kept in (repr(payloads), repr(trail)):
        for identifying in ("GM0687-MW-31415", person["name"], "Anouk", "Groot", "a.groot@", person["phone"]):
            assert identifying not in kept
