"""Open Referral HSDS 3.0 under /hsds, checked against the official schemas in ../shared/hsds.

Every response is validated with additionalProperties forced to false at every object
level, so a field this API misspells (or invents) fails instead of passing unnoticed.
Tests that need the official files skip, saying why, when the folder is absent.
"""

import copy
import json
import math
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from geopy.distance import geodesic
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlmodel import Session

from app.pagination import MAX_LIMIT
from app.services.models import Service
from tests.conftest import Api

HSDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "hsds"
# The URIs the HSDS API reference uses for the schema files.
SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
PROBLEM = "application/problem+json"

# List path -> the schema of one item of `contents`, as the reference's openapi.json names it.
LIST_ITEMS = {
    "/services": "compiled/service_list.json",
    "/organizations": "compiled/organization_list.json",
    "/service_at_locations": "compiled/service_at_location_list.json",
    "/taxonomies": "taxonomy.json",
    "/taxonomy_terms": "taxonomy_term.json",
}
# Read by id -> the full schema. The reference's openapi.json gives compiled/service.json for
# /service_at_locations/{id}; its documentation says that endpoint returns service_at_location data.
SINGLE = {
    "/services": "compiled/service.json",
    "/organizations": "compiled/organization.json",
    "/service_at_locations": "compiled/service_at_location.json",
    "/taxonomies": "taxonomy.json",
    "/taxonomy_terms": "taxonomy_term.json",
}
FULL_ITEMS = {"/services": "compiled/service.json", "/organizations": "compiled/organization.json",
              "/service_at_locations": "compiled/service_at_location.json"}


def forbid_additional_properties(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` in which every object that lists its properties refuses any other
    (where the schema says nothing about additionalProperties itself)."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions", "patternProperties"):
                for sub in value.values():
                    walk(sub)
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
                for sub in value:
                    walk(sub)
            elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
                walk(value)

    walk(schema)
    return schema


FORMATS = FormatChecker()  # uuid and email are built in; date-time and uri need extra packages, so:


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


@cache
def _official() -> tuple[Registry, dict[str, Any]]:
    if not HSDS_DIR.is_dir():
        pytest.skip(f"the official HSDS 3.0 files are not at {HSDS_DIR} (see its README in the shared folder)")
    folder = HSDS_DIR / "schema"
    resources = [
        (SCHEMA_BASE + path.relative_to(folder).as_posix(),
         Resource.from_contents(forbid_additional_properties(json.loads(path.read_text())), DRAFT202012))
        for path in [*folder.glob("*.json"), *folder.glob("compiled/*.json")]
        if path.name != "openapi.json"
    ]
    return Registry().with_resources(resources), json.loads((folder / "openapi.json").read_text())


def validator(name: str) -> Draft202012Validator:
    registry, _ = _official()
    return Draft202012Validator({"$ref": SCHEMA_BASE + name}, registry=registry, format_checker=FORMATS)


def check(document: Any, name: str) -> None:
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def check_page(body: dict[str, Any], item_schema: str) -> list[dict[str, Any]]:
    """The envelope against the reference's Page (all its fields required) and each item against its schema."""
    page = _official()[1]["components"]["schemas"]["Page"]
    # per_page: this API's one addition to the envelope (the reference's Page allows others), the page size applied.
    extension = {"per_page": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}}
    envelope = {"type": "object", "properties": {**page["properties"], **extension, "contents": {"type": "array"}}}
    envelope["required"] = list(envelope["properties"])
    errors = list(Draft202012Validator(forbid_additional_properties(envelope)).iter_errors(body))
    assert not errors, [e.message for e in errors]
    for item in body["contents"]:
        check(item, item_schema)
    return body["contents"]


def walk_pages(client, path: str, per_page: int, headers: dict | None = None, **params: Any) -> list[dict]:
    items, page = [], 1
    while True:
        response = client.get(f"/hsds{path}", params=params | {"page": page, "per_page": per_page}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["contents"]
        if body["last_page"]:
            return items
        page += 1


# --- the schemas and the reference ------------------------------------------------------------


def test_the_schema_choices_follow_the_reference() -> None:
    _, openapi = _official()
    for path, name in LIST_ITEMS.items():
        contents = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert contents["properties"]["contents"]["items"]["$ref"] == SCHEMA_BASE + name, path


def test_a_misspelled_field_fails_validation(demo_client) -> None:
    services = demo_client.get("/hsds/services", params={"full": True, "per_page": 100}).json()["contents"]
    service = next(s for s in services if s["service_at_locations"])
    check(service, "compiled/service.json")
    misspelled = {("fee_description" if k == "fees_description" else k): v for k, v in service.items()}
    with pytest.raises(ValidationError, match="fee_description"):
        validator("compiled/service.json").validate(misspelled)
    nested = copy.deepcopy(service)
    nested["service_at_locations"][0]["location"]["schedules"][0]["open_at"] = "09:00"
    with pytest.raises(ValidationError, match="open_at"):
        validator("compiled/service.json").validate(nested)
    # The official schema alone allows unknown fields: the helper is what catches them.
    raw = json.loads((HSDS_DIR / "schema" / "compiled" / "service.json").read_text())
    Draft202012Validator(raw).validate(misspelled)
    with pytest.raises(ValidationError, match="is not a 'uuid'"):
        validator("compiled/service.json").validate(service | {"organization_id": "zrm"})


# --- every endpoint validates ---------------------------------------------------------------


def test_api_details(demo_client) -> None:
    body = demo_client.get("/hsds/").json()
    schema = _official()[1]["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(forbid_additional_properties(schema), format_checker=FORMATS).validate(body)
    assert body["version"] == "3.0"
    spec = demo_client.get(urlsplit(body["openapi_url"]).path).json()
    assert {"/hsds/services", "/hsds/service_at_locations/{id}", "/hsds/taxonomy_terms"} <= set(spec["paths"])


@pytest.mark.parametrize("path", list(LIST_ITEMS))
def test_every_list_page_and_every_entity_validates(demo_client, path: str) -> None:
    items = []
    for page in range(1, 100):
        body = demo_client.get(f"/hsds{path}", params={"page": page, "per_page": 20}).json()
        items += check_page(body, LIST_ITEMS[path])
        if body["last_page"]:
            break
    assert len({item["id"] for item in items}) == len(items) == body["total_items"] > 0
    for item in items:
        response = demo_client.get(f"/hsds{path}/{item['id']}")
        assert response.status_code == 200, response.text
        check(response.json(), SINGLE[path])
        assert response.json()["id"] == item["id"]


@pytest.mark.parametrize("path", list(FULL_ITEMS))
def test_full_lists_validate_against_the_full_schemas(demo_client, path: str) -> None:
    body = demo_client.get(f"/hsds{path}", params={"full": True, "per_page": 100}).json()
    assert check_page(body, FULL_ITEMS[path])
    assert body["contents"][0] == demo_client.get(f"/hsds{path}/{body['contents'][0]['id']}").json()


def test_minimal_and_full_service_variants_validate(demo_client) -> None:
    minimal = check_page(demo_client.get("/hsds/services", params={"minimal": True, "per_page": 100}).json(),
                         "compiled/service_list.json")
    assert {tuple(sorted(item)) for item in minimal} == {("id", "last_modified", "name", "status")}
    for params in ({"full": True, "full_service": True}, {"full": True}):
        body = demo_client.get("/hsds/organizations", params=params | {"per_page": 100}).json()
        check_page(body, "compiled/organization.json")
    organisation = body["contents"][0]["id"]
    check(demo_client.get(f"/hsds/organizations/{organisation}", params={"full_service": True}).json(),
          "compiled/organization.json")


# --- paging -----------------------------------------------------------------------------------


def test_paging_math(demo_client) -> None:
    total = len(walk_pages(demo_client, "/services", per_page=100))
    assert total == 58
    pages = [demo_client.get("/hsds/services", params={"page": n, "per_page": 7}).json() for n in range(1, 11)]
    assert all(p["total_items"] == total and p["total_pages"] == math.ceil(total / 7) for p in pages)
    assert [p["size"] for p in pages] == [7] * 8 + [total - 56, 0]
    assert [p["first_page"] for p in pages] == [True] + [False] * 9
    assert [p["last_page"] for p in pages] == [False] * 8 + [True, True]
    assert [p["empty"] for p in pages] == [False] * 9 + [True]
    assert [p["page_number"] for p in pages] == list(range(1, 11))
    paged = [item["id"] for p in pages for item in p["contents"]]
    whole = demo_client.get("/hsds/services", params={"per_page": 100}).json()["contents"]
    assert paged == [item["id"] for item in whole]
    nothing = demo_client.get("/hsds/services", params={"modified_after": "2999-01-01T00:00:00Z"}).json()
    assert (nothing["total_items"], nothing["total_pages"], nothing["empty"], nothing["last_page"]) == (0, 0, True, True)


@pytest.mark.parametrize("params", [
    {"per_page": 0}, {"per_page": "ten"}, {"page": 0}, {"format": "xml"},
    {"taxonomy_term_id": "geluk"}, {"taxonomy_id": "icd10"}, {"organization_id": "x"}, {"search": "de"},
    {"modified_after": "gisteren"},
])
def test_bad_parameters_are_a_422_naming_them(demo_client, params: dict) -> None:
    for path in ("/hsds/services", "/hsds/service_at_locations"):
        response = demo_client.get(path, params=params)
        assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["field"] == next(iter(params))


# --- mapping ----------------------------------------------------------------------------------


def test_taxonomy_terms_hold_all_13_zrm_domains_and_the_target_groups(demo_client) -> None:
    vocabulary = demo_client.get("/api/v1/taxonomy").json()
    taxonomies = {t["name"]: t["id"] for t in demo_client.get("/hsds/taxonomies").json()["contents"]}
    zrm = walk_pages(demo_client, "/taxonomy_terms", per_page=5, taxonomy_id="zrm")
    assert [t["code"] for t in zrm] == [d["code"] for d in vocabulary["need_domains"]] and len(zrm) == 13
    assert zrm == walk_pages(demo_client, "/taxonomy_terms", per_page=50, taxonomy_id=taxonomies["zrm"])
    groups = walk_pages(demo_client, "/taxonomy_terms", per_page=50, taxonomy_id="doelgroep")
    assert [t["code"] for t in groups] == [g["code"] for g in vocabulary["target_groups"]]
    assert {t["taxonomy_id"] for t in groups} == {taxonomies["doelgroep"]}
    assert demo_client.get(f"/hsds/taxonomies/{taxonomies['zrm']}").json()["name"] == "zrm"
    # Every word must match, as the search reads it: "schuld" is an everyday word for Financiën, "fiets" none.
    assert [t["code"] for t in demo_client.get("/hsds/taxonomy_terms", params={"search": "schuld financien"}).json()
            ["contents"]] == ["financien"]
    assert [t["code"] for t in demo_client.get("/hsds/taxonomy_terms", params={"search": "fiets financien"}).json()
            ["contents"]] == []
    assert [t["code"] for t in demo_client.get("/hsds/taxonomy_terms", params={"search": "financiën"}).json()
            ["contents"]] == ["financien"]


def test_services_carry_the_catalogue_fields(demo_client) -> None:
    for app in [s for s in demo_client.get("/api/v1/services", params={"limit": 100}).json()["items"]]:
        hsds = demo_client.get(f"/hsds/services/{app['id']}").json()
        links = {(a["link_type"], a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in hsds["attributes"]}
        assert {code for kind, _, code in links if kind == "need"} == set(app["need_domains"])
        assert {code for kind, _, code in links if kind == "audience"} == set(app["target_groups"])
        assert all(taxonomy == ("zrm" if kind == "need" else "doelgroep") for kind, taxonomy, _ in links)
        status = {"active": "active", "paused": "temporarily closed", "ended": "defunct"}[app["status"]]
        assert hsds["status"] == status
        rules = app["eligibility"] or {}
        assert hsds.get("minimum_age") == rules.get("min_age") and hsds.get("maximum_age") == rules.get("max_age")
        if rules.get("max_income_pct_social_minimum"):
            assert f"{rules['max_income_pct_social_minimum']}% van het sociaal minimum" in hsds["eligibility_description"]
        assert ("wait_time" in hsds) == (app["waiting_time"]["days"] is not None)
        assert hsds["fees_description"].startswith("Gratis" if app["cost"] == "free" else "Eigen bijdrage")
        assert [lang["code"] for lang in hsds["languages"]] == app["languages"]
        assert [area["uri"].rsplit("/", 1)[1] for area in hsds["service_areas"]] == app["areas"]
        assert [sal["location_id"] for sal in hsds["service_at_locations"]] == [loc["id"] for loc in app["locations"]]
        assert [c["id"] for c in hsds["contacts"]] == [c["id"] for c in app["contacts"]]


def test_schedules_carry_the_weekly_hours_and_upcoming_exceptions(demo_client) -> None:
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    organisations = demo_client.get("/hsds/organizations", params={"full": True, "per_page": 100}).json()
    for location in [loc for org in organisations["contents"] for loc in org["locations"]]:
        app = demo_client.get(f"/api/v1/locations/{location['id']}").json()
        weekly = {(days.index(day), s["opens_at"], s["closes_at"])
                  for s in location["schedules"] for day in s["byday"].split(",")}
        assert weekly == {(h["weekday"], h["opens"][:5], h["closes"][:5]) for h in app["opening_hours"]}
        upcoming = [e for e in app["exceptions"] if e["date"] >= datetime.now(UTC).date().isoformat()]
        for schedule in location["schedules"]:
            assert all(e["date"] in schedule.get("notes", "") for e in upcoming)


def test_filters_combine(demo_client) -> None:
    financien = next(t for t in demo_client.get("/hsds/taxonomy_terms").json()["contents"] if t["code"] == "financien")
    debts = walk_pages(demo_client, "/services", per_page=10, taxonomy_term_id=financien["id"])
    app_debts = demo_client.get("/api/v1/services", params={"domain": "financien", "limit": 100}).json()["items"]
    assert {s["id"] for s in debts} == {s["id"] for s in app_debts}
    organisation = debts[0]["organization_id"]
    both = walk_pages(demo_client, "/services", per_page=10, taxonomy_term_id=financien["id"], organization_id=organisation)
    assert both and {s["id"] for s in both} == {s["id"] for s in debts if s["organization_id"] == organisation}
    grouped = walk_pages(demo_client, "/services", per_page=100, taxonomy_id="doelgroep")
    app_all = demo_client.get("/api/v1/services", params={"limit": 100}).json()["items"]
    assert {s["id"] for s in grouped} == {s["id"] for s in app_all if s["target_groups"]}
    found = demo_client.get("/hsds/services", params={"search": "schulden"}).json()["contents"]
    assert found and any("schuld" in s["name"].lower() for s in found[:3])
    # A form's empty search field is no search, not a 422.
    every = demo_client.get("/hsds/services", params={"per_page": 100}).json()["contents"]
    for blank in ("", "  "):
        assert demo_client.get("/hsds/services", params={"search": blank, "per_page": 100}).json()["contents"] == every
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert len(walk_pages(demo_client, "/services", per_page=100, modified_after=since)) == 58
    sal = walk_pages(demo_client, "/service_at_locations", per_page=100, taxonomy_term_id=financien["id"])
    assert {s["service_id"] for s in sal} <= {s["id"] for s in debts}


def test_service_at_locations_by_postcode_and_proximity(demo_client) -> None:
    centre = demo_client.get("/api/v1/postcodes/4331AB").json()
    covered = walk_pages(demo_client, "/service_at_locations", per_page=100, postcode="4331AB")
    everything = walk_pages(demo_client, "/service_at_locations", per_page=100)
    assert 0 < len(covered) < len(everything)
    near = walk_pages(demo_client, "/service_at_locations", per_page=100, postcode="4331AB", proximity=1500)
    assert 0 < len(near) < len(covered)
    for item in near:
        where = (item["location"]["latitude"], item["location"]["longitude"])
        assert geodesic((centre["lat"], centre["lon"]), where).m <= 1500 * 1.01
    response = demo_client.get("/hsds/service_at_locations", params={"proximity": 500})
    assert response.status_code == 422 and response.json()["field"] == "proximity"


def test_service_at_location_ids_are_stable_and_shared(demo_client) -> None:
    listed = walk_pages(demo_client, "/service_at_locations", per_page=100)
    assert listed == walk_pages(demo_client, "/service_at_locations", per_page=100)
    service = demo_client.get(f"/hsds/services/{listed[0]['service_id']}").json()
    assert listed[0]["id"] in {sal["id"] for sal in service["service_at_locations"]}


def test_unknown_and_malformed_ids(demo_client) -> None:
    for path in SINGLE:
        unknown = demo_client.get(f"/hsds{path}/{uuid.uuid4()}")
        assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM, path
        assert unknown.json()["type"] == "/problems/not-found"
    for path in SINGLE:  # an id that is no UUID names no entity, as with any other unknown id
        for malformed in ("0", "not-a-uuid"):
            response = demo_client.get(f"/hsds{path}/{malformed}")
            assert response.status_code == 404 and response.json()["type"] == "/problems/not-found", path


@pytest.mark.parametrize("path", ["/services", "/organizations", "/service_at_locations", "/taxonomy_terms"])
def test_a_large_per_page_is_capped_and_the_envelope_says_so(demo_client, path: str) -> None:
    every = walk_pages(demo_client, path, per_page=MAX_LIMIT)
    response = demo_client.get(f"/hsds{path}", params={"per_page": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    check_page(body, LIST_ITEMS[path])
    assert body["per_page"] == MAX_LIMIT
    assert body["size"] == min(len(every), MAX_LIMIT)
    assert body["total_pages"] == math.ceil(len(every) / MAX_LIMIT)
    asked = demo_client.get(f"/hsds{path}", params={"per_page": 7}).json()
    assert asked["per_page"] == 7 and asked["size"] == min(7, len(every))


@pytest.mark.parametrize("path", ["/services", "/service_at_locations"])
def test_an_empty_filter_is_no_filter(demo_client, path: str) -> None:
    every = demo_client.get(f"/hsds{path}", params={"per_page": MAX_LIMIT}).json()
    for name in ("organization_id", "modified_after", "taxonomy_id", "taxonomy_term_id", "search", "postcode", "proximity"):
        response = demo_client.get(f"/hsds{path}", params={name: "", "per_page": MAX_LIMIT})
        assert response.status_code == 200, (name, response.text)
        assert response.json() == every, name


@pytest.mark.parametrize("path", list(LIST_ITEMS))
def test_ndjson_gives_every_result_without_paging(demo_client, path: str) -> None:
    response = demo_client.get(f"/hsds{path}", params={"format": "ndjson"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.text.endswith("\n")
    for item in lines:
        check(item, LIST_ITEMS[path])
    assert [item["id"] for item in lines] == [item["id"] for item in walk_pages(demo_client, path, per_page=20)]
    filtered = demo_client.get("/hsds/services", params={"format": "ndjson", "taxonomy_id": "zrm", "search": "schulden"})
    paged = demo_client.get("/hsds/services", params={"taxonomy_id": "zrm", "search": "schulden", "per_page": MAX_LIMIT})
    assert [json.loads(line)["id"] for line in filtered.text.splitlines()] == [i["id"] for i in paged.json()["contents"]]


# --- visibility and deletion (on a writable copy) ---------------------------------------------


def _direct_lines(body: dict) -> list:
    contacts = body.get("contacts", []) + [c for sal in body.get("service_at_locations", []) for c in sal["contacts"]]
    return [c for c in contacts if c.get("email") or c["phones"]]


def test_direct_lines_only_for_authenticated_clients(api: Api) -> None:
    services = api.client.get("/hsds/services", params={"full": True, "per_page": 100}).json()["contents"]
    assert all(not _direct_lines(s) for s in services)
    assert any(s["contacts"] for s in services)
    keyed = api.client.get("/hsds/services", params={"full": True, "per_page": 100}, headers=api.headers("reader"))
    assert keyed.headers["Cache-Control"].startswith("private") and keyed.headers["Vary"] == "Authorization"
    for service in keyed.json()["contents"]:
        check(service, "compiled/service.json")
        for contact in service["contacts"]:
            app = api.client.get(f"/api/v1/contacts/{contact['id']}", headers=api.headers("reader")).json()
            assert [p["number"] for p in contact["phones"]] == [app["phone"]]
            assert contact.get("email") == app["email"]
    sal = next(s for s in services if s["service_at_locations"] and s["contacts"])["service_at_locations"][0]["id"]
    anonymous = api.client.get(f"/hsds/service_at_locations/{sal}").json()["service"]
    assert anonymous["contacts"] and not _direct_lines(anonymous)
    assert _direct_lines(api.client.get(f"/hsds/service_at_locations/{sal}", headers=api.headers("reader")).json()["service"])
    assert api.client.get("/hsds/services", headers={"Authorization": "Bearer wk_nonsense"}).status_code == 401


def test_deleted_entries_never_appear(api: Api) -> None:
    sal = api.client.get("/hsds/service_at_locations", params={"per_page": 1}).json()["contents"][0]
    with Session(api.engine) as session, session.begin():
        session.get_one(Service, uuid.UUID(sal["service_id"])).deleted_at = datetime.now(UTC)
    gone = api.client.get(f"/hsds/services/{sal['service_id']}")
    assert gone.status_code == 410 and gone.json()["type"] == "/problems/gone"
    assert api.client.get(f"/hsds/service_at_locations/{sal['id']}").status_code == 410
    services = walk_pages(api.client, "/services", per_page=100)
    assert len(services) == 57 and sal["service_id"] not in {s["id"] for s in services}
    listed = walk_pages(api.client, "/service_at_locations", per_page=100)
    assert sal["service_id"] not in {s["service_id"] for s in listed}
    organisation = api.client.get(f"/hsds/organizations/{sal['service']['organization_id']}").json()
    assert sal["service_id"] not in {s["id"] for s in organisation["services"]}
