"""/fhir against the demo region: every resource and Bundle validated with the R4B models
of fhir.resources, paging, each search parameter, references that resolve, visibility of
direct lines, and errors as OperationOutcome."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from geopy.distance import geodesic

from app.fhir import mapping, systems
from app.main import create_app
from app.search.text import stem_words
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, FRONT_DOOR, LOCATION, ORGANISATION, SERVICE

FHIR_JSON = "application/fhir+json"
MODELS = {
    model.__name__: model
    for model in (HealthcareService, Organization, Location, Practitioner, PractitionerRole, OperationOutcome,
                  CapabilityStatement, Bundle)
}
TYPES = ["HealthcareService", "Organization", "Location", "Practitioner", "PractitionerRole"]
# How many of each the demo region holds (Location: 16 places and 125 CBS areas).
DEMO_TOTALS = {"HealthcareService": 58, "Organization": 19, "Location": 141, "Practitioner": 97, "PractitionerRole": 97}


def assert_fhir_json(value: Any, path: str = "$") -> None:
    """FHIR's JSON rules the models do not check: no nulls, no empty strings, arrays or objects."""
    assert value not in (None, "", [], {}), f"empty value at {path}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_fhir_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_fhir_json(item, f"{path}[{index}]")


def valid(body: dict[str, Any]) -> dict[str, Any]:
    """The body, after its R4B model (and, for a Bundle, each entry's) accepted it."""
    assert_fhir_json(body)
    MODELS[body["resourceType"]].model_validate(body)
    return body


def get(client, path: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == FHIR_JSON
    return valid(response.json())


def outcome(client, path: str, status: int, code: str, **kwargs: Any) -> str:
    body = get(client, path, status, **kwargs)
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == code
    return body["issue"][0]["diagnostics"]


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: relative(link["url"]) for link in bundle["link"]}


def search(client, resource_type: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    bundle = get(client, f"/fhir/{resource_type}", params=params, headers=headers)
    assert bundle["type"] == "searchset"
    return bundle


def walk(
    client, resource_type: str, count: int = 2, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Every match, following the next links from the first page; checks the pages agree."""
    bundle = search(client, resource_type, headers, _count=count, **params)
    total, pages, entries = bundle["total"], [bundle], list(bundle.get("entry", []))
    while "next" in links(bundle):
        previous_self = links(bundle)["self"]
        bundle = get(client, links(bundle)["next"], headers=headers)
        assert bundle["total"] == total
        assert links(bundle)["previous"] == previous_self
        assert 0 < len(bundle.get("entry", [])) <= count
        pages.append(bundle)
        entries += bundle["entry"]
    assert len(entries) == total
    assert len({entry["fullUrl"] for entry in entries}) == total
    assert all(entry["search"]["mode"] == "match" for entry in entries)
    return [entry["resource"] for entry in entries]


def ids(resources: list[dict[str, Any]]) -> set[str]:
    return {resource["id"] for resource in resources}


def codes(concepts: list[dict[str, Any]], system: str) -> set[str]:
    return {c["code"] for concept in concepts for c in concept.get("coding", []) if c["system"] == system}


@pytest.fixture(scope="module")
def everything(demo_client) -> dict[str, list[dict[str, Any]]]:
    """Each resource type in full, paged two at a time (module-scoped: per backend, once)."""
    return {resource_type: walk(demo_client, resource_type) for resource_type in TYPES}


# --- Reading, validating and paging -----------------------------------------------------


def test_metadata_is_a_capability_statement_listing_what_the_routes_serve(demo_client) -> None:
    statement = get(demo_client, "/fhir/metadata")
    assert statement["status"] == "active" and statement["kind"] == "instance"
    assert statement["fhirVersion"] == "4.0.1" and "json" in statement["format"]
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert sorted(resources) == sorted(TYPES)
    for resource in resources.values():
        assert {i["code"] for i in resource["interaction"]} == {"read", "search-type"}
        assert {"_id", "_lastUpdated"} <= {p["name"] for p in resource["searchParam"]}
    assert {"name", "location", "service-category", "active"} <= {
        p["name"] for p in resources["HealthcareService"]["searchParam"]
    }


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_resource_pages_through_once_and_reads_back_by_id(demo_client, everything, resource_type: str) -> None:
    resources = everything[resource_type]
    assert len(resources) == DEMO_TOTALS[resource_type]
    assert all(resource["resourceType"] == resource_type for resource in resources)
    # The same order at any page size.
    assert [r["id"] for r in walk(demo_client, resource_type, count=100)] == [r["id"] for r in resources]
    for resource in resources:
        response = demo_client.get(f"/fhir/{resource_type}/{resource['id']}")
        assert response.status_code == 200 and response.headers["content-type"] == FHIR_JSON
        assert valid(response.json()) == resource
        assert response.headers["ETag"].startswith(f'"{resource["meta"]["versionId"]}-')


def test_paging_links_first_previous_next_last(demo_client) -> None:
    middle = search(demo_client, "HealthcareService", _count=5, _offset=10)
    assert len(middle["entry"]) == 5
    assert links(middle) == {
        "self": "/fhir/HealthcareService?_count=5&_offset=10",
        "first": "/fhir/HealthcareService?_count=5&_offset=0",
        "previous": "/fhir/HealthcareService?_count=5&_offset=5",
        "next": "/fhir/HealthcareService?_count=5&_offset=15",
        "last": "/fhir/HealthcareService?_count=5&_offset=55",
    }
    last = get(demo_client, links(middle)["last"])
    assert len(last["entry"]) == 3 and "next" not in links(last)
    # Searching keeps its parameters in every link.
    debts = search(demo_client, "HealthcareService", **{"service-category": "financien", "_count": 1})
    assert parse_qs(urlsplit(debts["link"][1]["url"]).query)["service-category"] == ["financien"]


def test_count_is_capped_at_100_and_zero_gives_only_the_total(demo_client) -> None:
    capped = search(demo_client, "Location", _count=500)
    assert len(capped["entry"]) == 100 and links(capped)["self"].endswith("_count=100&_offset=0")
    only_total = search(demo_client, "Location", _count=0)
    assert only_total["total"] == DEMO_TOTALS["Location"] and "entry" not in only_total


# --- What the resources say -------------------------------------------------------------


def test_references_resolve_coverage_areas_included(demo_client, everything) -> None:
    targets: set[str] = set()
    for service in everything["HealthcareService"]:
        targets |= {ref["reference"] for ref in service.get("coverageArea", []) + service.get("location", [])}
        targets.add(service["providedBy"]["reference"])
    for role in everything["PractitionerRole"]:
        targets |= {role["practitioner"]["reference"], role["organization"]["reference"]}
        targets |= {ref["reference"] for ref in role.get("healthcareService", [])}
    for place in everything["Location"]:
        targets |= {place[key]["reference"] for key in ("partOf", "managingOrganization") if key in place}
    assert any(target.startswith("Location/GM") for target in targets)
    for target in sorted(targets):
        assert get(demo_client, f"/fhir/{target}")["id"] == target.split("/")[1]
    area = get(demo_client, "/fhir/Location/BU06870000")
    assert area["identifier"] == [{"use": "official", "system": systems.CBS_AREA_CODE, "value": "BU06870000"}]
    assert area["partOf"]["reference"] == "Location/WK068700" and area["physicalType"]["coding"][0]["code"] == "area"


def test_a_healthcare_service_carries_what_the_rest_api_says(demo_client, everything) -> None:
    services = {s["id"]: s for s in everything["HealthcareService"]}
    for rest in demo_client.get("/api/v1/services", params={"limit": 100}).json()["items"]:
        fhir = services[rest["id"]]
        assert fhir["name"] == rest["name"] and fhir["active"] == (rest["status"] == "active")
        assert codes(fhir["category"], systems.NEED_DOMAIN) == set(rest["need_domains"])
        assert codes(fhir.get("characteristic", []), systems.TARGET_GROUP) == set(rest["target_groups"])
        assert codes(fhir["referralMethod"], systems.ACCESS_ROUTE) == {rest["access_route"]}
        assert {ref["reference"] for ref in fhir.get("coverageArea", [])} == {f"Location/{a}" for a in rest["areas"]}
        assert fhir["providedBy"]["reference"] == f"Organization/{rest['organisation']['id']}"
        hours = {(h["weekday"], h["opens"][:5], h["closes"][:5]) for p in rest["locations"] for h in p["opening_hours"]}
        days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        assert hours == {
            (days.index(day), t["availableStartTime"][:5], t["availableEndTime"][:5])
            for t in fhir.get("availableTime", []) for day in t["daysOfWeek"]
        }
        rules = rest["eligibility"] or {}
        expected = {name for name, value in rules.items() if value and name != "note"}
        assert {e["code"]["coding"][0]["code"] for e in fhir.get("eligibility", []) if "code" in e} == expected
        # The service's telecom is the organisation's: never a contact person's direct line.
        organisation = demo_client.get(f"/api/v1/organisations/{rest['organisation']['id']}").json()
        assert {t["value"] for t in fhir.get("telecom", [])} <= {
            organisation["phone"], organisation["email"], organisation["website"]
        }


def test_closures_become_not_available_and_other_hours_the_rest_of_that_day(demo_client) -> None:
    service = get(demo_client, f"/fhir/HealthcareService/{SERVICE}")  # one location, closed at Christmas
    closed = {entry["during"]["start"]: entry for entry in service["notAvailable"]}
    christmas = {"description": "Eerste Kerstdag", "during": {"start": "2026-12-25", "end": "2026-12-25"}}
    assert closed["2026-12-25"] == christmas
    # Christmas Eve open 09:00-12:00 only: the parts of the day outside those hours, in local time.
    assert closed["2026-12-24T12:00:00+01:00"]["during"]["end"] == "2026-12-25T00:00:00+01:00"
    assert closed["2026-12-24T00:00:00+01:00"]["during"]["end"] == "2026-12-24T09:00:00+01:00"
    place = get(demo_client, f"/fhir/Location/{LOCATION}")
    assert "25-12-2026 gesloten (Eerste Kerstdag)" in place["availabilityExceptions"]
    assert {"daysOfWeek": ["thu"], "openingTime": "18:00:00", "closingTime": "20:00:00"} in place["hoursOfOperation"]


def test_organisations_carry_kvk_and_agb_identifiers(demo_client, everything) -> None:
    rest = {o["id"]: o for o in demo_client.get("/api/v1/organisations", params={"limit": 100}).json()["items"]}
    for organisation in everything["Organization"]:
        known = rest[organisation["id"]]
        expected = {(systems.KVK, known["kvk_number"]), (systems.AGB, known["agb_code"])}
        found = {(i["system"], i["value"]) for i in organisation.get("identifier", [])}
        assert found == {pair for pair in expected if pair[1]}


def test_anonymous_practitioner_roles_have_no_direct_lines_a_reader_gets_them(api: Api) -> None:
    direct = api.client.get(f"/api/v1/contacts/{CONTACT}", headers=api.headers("reader")).json()
    anonymous = get(api.client, f"/fhir/PractitionerRole/{CONTACT}")
    assert "telecom" not in anonymous and anonymous["meta"]["security"][0]["code"] == "REDACTED"
    keyed = get(api.client, f"/fhir/PractitionerRole/{CONTACT}", headers=api.headers("reader"))
    assert "security" not in keyed["meta"]
    lines = {(t["system"], t["value"]) for t in keyed["telecom"]}
    assert lines == {("phone", direct["phone"]), ("email", direct["email"])}
    # Not in searches either, nor on the Practitioner.
    for role in walk(api.client, "PractitionerRole", count=50):
        assert "telecom" not in role
    assert all("telecom" not in p for p in walk(api.client, "Practitioner", count=50))
    with_lines = walk(api.client, "PractitionerRole", count=50, headers=api.headers("reader"))
    assert any("telecom" in role for role in with_lines)
    # A cached anonymous copy is never revalidated as the full one.
    tag = api.client.get(f"/fhir/PractitionerRole/{CONTACT}").headers["ETag"]
    again = api.client.get(f"/fhir/PractitionerRole/{CONTACT}", headers=api.headers("reader", **{"If-None-Match": tag}))
    assert again.status_code == 200 and "telecom" in again.json()


def test_expired_contacts_are_inactive_roles_with_their_period(demo_client, everything) -> None:
    today = datetime.now(UTC).date()
    roles = everything["PractitionerRole"]
    expired = [r for r in roles if "end" in r.get("period", {}) and date.fromisoformat(r["period"]["end"]) < today]
    assert expired and all(r["active"] is False for r in expired)
    current = ids(walk(demo_client, "PractitionerRole", count=50, active="true"))
    rest = demo_client.get("/api/v1/contacts", params={"limit": 100}).json()["items"]
    assert current == {c["id"] for c in rest}
    assert not current & ids(expired)
    assert ids(walk(demo_client, "PractitionerRole", count=50, active="false")) == ids(roles) - current


def test_reads_are_conditional(demo_client) -> None:
    first = demo_client.get(f"/fhir/HealthcareService/{SERVICE}")
    same = demo_client.get(f"/fhir/HealthcareService/{SERVICE}", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.content == b""
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert demo_client.get("/fhir/Location", params={"_count": 1}).headers["Cache-Control"] == "public, max-age=60"


# --- Search parameters ------------------------------------------------------------------


def test_id_with_alternatives_for_places_and_areas(demo_client, everything) -> None:
    service_ids = [s["id"] for s in everything["HealthcareService"][:2]]
    assert ids(walk(demo_client, "HealthcareService", _id=",".join(service_ids))) == set(service_ids)
    assert ids(walk(demo_client, "Location", _id=f"GM0687,{LOCATION},not-an-id")) == {"GM0687", LOCATION}
    assert search(demo_client, "Organization", _id="GM0687")["total"] == 0


@pytest.mark.parametrize("resource_type", ["HealthcareService", "Organization", "Location", "Practitioner"])
def test_name_matches_the_start_of_a_word_or_with_contains_anywhere(demo_client, everything, resource_type) -> None:
    def name(resource: dict[str, Any]) -> str:
        return resource["name"][0]["text"] if resource_type == "Practitioner" else resource["name"]

    everyone = everything[resource_type]
    word = name(everyone[0]).replace("-", " ").split()[-1]
    fragment = word[1:4].upper()
    starts = walk(demo_client, resource_type, name=word[:3].lower(), count=50)
    expected = {
        r["id"] for r in everyone
        if any(w.lower().startswith(word[:3].lower()) for w in name(r).replace("-", " ").split())
    }
    if resource_type == "HealthcareService":  # words as the search matches them: "ver" starts "Veere"'s stem
        expected = {r["id"] for r in everyone if any(s.startswith(word[:3].lower()) for s in stem_words(name(r)))}
    assert ids(starts) == expected and everyone[0]["id"] in expected
    contains = walk(demo_client, resource_type, count=50, **{"name:contains": fragment})
    assert ids(contains) == {r["id"] for r in everyone if fragment.lower() in name(r).lower()}
    # A comma separates alternatives; one inside a value is escaped.
    exact = walk(demo_client, resource_type, count=50, **{"name:exact": name(everyone[0]).replace(",", "\\,")})
    assert everyone[0]["id"] in ids(exact) and all(name(r) == name(everyone[0]) for r in exact)


def test_service_category_is_a_zrm_domain(demo_client, everything) -> None:
    services = everything["HealthcareService"]
    expected = {s["id"] for s in services if "financien" in codes(s["category"], systems.NEED_DOMAIN)}
    rest = demo_client.get("/api/v1/services", params={"domain": "financien", "limit": 100}).json()["items"]
    assert expected == {s["id"] for s in rest}
    for value in ("financien", f"{systems.NEED_DOMAIN}|financien", "werk_opleiding,financien"):
        found = ids(walk(demo_client, "HealthcareService", count=50, **{"service-category": value}))
        assert expected <= found and (found == expected) == (value != "werk_opleiding,financien")
    for nothing in ("http://example.org/other|financien", "|financien", "geluk"):
        assert search(demo_client, "HealthcareService", **{"service-category": nothing})["total"] == 0
    assert search(demo_client, "HealthcareService", **{"service-category": f"{systems.NEED_DOMAIN}|"})["total"] == 58


def test_location_organization_and_characteristic_filter_services(demo_client, everything) -> None:
    services = everything["HealthcareService"]
    at = {s["id"] for s in services if f"Location/{LOCATION}" in {r["reference"] for r in s.get("location", [])}}
    assert at and ids(walk(demo_client, "HealthcareService", location=f"Location/{LOCATION}")) == at
    assert ids(walk(demo_client, "HealthcareService", location=LOCATION)) == at
    by = {s["id"] for s in services if s["providedBy"]["reference"] == f"Organization/{ORGANISATION}"}
    assert by and ids(walk(demo_client, "HealthcareService", organization=f"Organization/{ORGANISATION}")) == by
    carers = {s["id"] for s in services if "mantelzorgers" in codes(s.get("characteristic", []), systems.TARGET_GROUP)}
    assert carers and ids(walk(demo_client, "HealthcareService", count=50, characteristic="mantelzorgers")) == carers


def test_active_follows_the_status(demo_client, everything) -> None:
    active = ids(walk(demo_client, "HealthcareService", count=50, active="true"))
    inactive = ids(walk(demo_client, "HealthcareService", count=50, active="false"))
    assert active == {s["id"] for s in everything["HealthcareService"] if s["active"]}
    assert inactive and active | inactive == ids(everything["HealthcareService"]) and not active & inactive
    assert search(demo_client, "Organization", active="false")["total"] == 0
    assert search(demo_client, "Organization", active="true")["total"] == DEMO_TOTALS["Organization"]


@pytest.mark.parametrize("resource_type", TYPES)
def test_last_updated_with_prefixes(demo_client, everything, resource_type: str) -> None:
    resources = everything[resource_type]
    moments = sorted(datetime.fromisoformat(r["meta"]["lastUpdated"]) for r in resources)
    middle = moments[len(moments) // 2].replace(microsecond=0)
    low, high = middle, middle + timedelta(seconds=1)  # a dateTime to the second is that whole second
    value = middle.isoformat().replace("+00:00", "Z")
    expected = {
        "ge": lambda t: t >= low, "gt": lambda t: t >= high, "le": lambda t: t < high, "lt": lambda t: t < low,
        "eq": lambda t: low <= t < high, "ne": lambda t: not low <= t < high,
    }
    for prefix, holds in expected.items():
        found = ids(walk(demo_client, resource_type, count=100, _lastUpdated=f"{prefix}{value}"))
        assert found == {r["id"] for r in resources if holds(datetime.fromisoformat(r["meta"]["lastUpdated"]))}, prefix
    # Dates at day precision, local time, and two bounds together.
    year = moments[0].year
    assert search(demo_client, resource_type, _lastUpdated=f"ge{year}", _count=0)["total"] == len(resources)
    assert search(demo_client, resource_type, _lastUpdated=f"lt{year}-01-01", _count=0)["total"] == 0
    both = get(demo_client, f"/fhir/{resource_type}?_lastUpdated=ge{year - 1}&_lastUpdated=lt{year + 1}&_count=0")
    assert both["total"] == len(resources)


def test_practitioner_role_references_filter(demo_client, everything) -> None:
    roles = everything["PractitionerRole"]
    assert ids(walk(demo_client, "PractitionerRole", practitioner=f"Practitioner/{CONTACT}")) == {CONTACT}
    service = f"HealthcareService/{SERVICE}"
    of_service = {r["id"] for r in roles if service in {s["reference"] for s in r.get("healthcareService", [])}}
    assert CONTACT in of_service and ids(walk(demo_client, "PractitionerRole", service=service)) == of_service
    at = {r["id"] for r in roles if r["organization"]["reference"] == f"Organization/{ORGANISATION}"}
    assert ids(walk(demo_client, "PractitionerRole", organization=ORGANISATION)) == at


def test_organisation_identifier_and_area_partof(demo_client, everything) -> None:
    found = walk(demo_client, "Organization", identifier=f"{systems.KVK}|90687001")
    assert ids(found) == {ORGANISATION}
    assert search(demo_client, "Organization", identifier=f"{systems.AGB}|90687001")["total"] == 0
    wijken = walk(demo_client, "Location", count=50, partof="Location/GM0687")
    assert wijken and all(w["id"].startswith("WK0687") for w in wijken)
    parts = {p["id"] for p in everything["Location"] if p.get("partOf", {}).get("reference") == "Location/GM0687"}
    assert ids(wijken) == parts


# --- Errors -----------------------------------------------------------------------------


def test_errors_are_operation_outcomes(demo_client) -> None:
    outcome(demo_client, "/fhir/HealthcareService/00000000-0000-0000-0000-000000000000", 404, "not-found")
    outcome(demo_client, "/fhir/Organization/not-a-uuid", 404, "not-found")
    outcome(demo_client, "/fhir/Location/WK999999", 404, "not-found")
    outcome(demo_client, "/fhir/Patient", 404, "not-found")
    for params in ({"_count": "ten"}, {"_offset": "-1"}, {"_lastUpdated": "gt2026-13"}, {"active": "yes"},
                   {"name:fuzzy": "x"}):
        assert next(iter(params)) in outcome(demo_client, "/fhir/HealthcareService", 400, "invalid", params=params)
    response = demo_client.post("/fhir/HealthcareService", json={})
    assert response.status_code == 405 and response.headers["content-type"] == FHIR_JSON
    assert valid(response.json())["issue"][0]["code"] == "not-supported"
    outcome(demo_client, "/fhir/metadata", 406, "not-supported", params={"_format": "xml"})
    outcome(demo_client, "/fhir/Organization", 401, "login", headers={"Authorization": "Bearer wk_unknown"})
    # The REST API keeps problem+json.
    assert demo_client.get("/api/v1/services/nope").headers["content-type"] == "application/problem+json"


def test_unknown_parameters_are_ignored_unless_strict_handling_is_asked(demo_client) -> None:
    lenient = search(demo_client, "Organization", _count=1, _sort="name", colour="blue")
    assert lenient["total"] == DEMO_TOTALS["Organization"]
    assert links(lenient)["self"] == "/fhir/Organization?_count=1&_offset=0"  # what was used, not what was sent
    diagnostics = outcome(demo_client, "/fhir/Organization", 400, "invalid", params={"colour": "blue"},
                          headers={"Prefer": "handling=strict"})
    assert "colour" in diagnostics
    assert search(demo_client, "Organization", name="", _count=0)["total"] == DEMO_TOTALS["Organization"]


def test_deleted_entries_are_gone_and_never_found(api: Api) -> None:
    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("admin")).status_code == 200
    for resource_type in ("Practitioner", "PractitionerRole"):
        outcome(api.client, f"/fhir/{resource_type}/{CONTACT}", 410, "deleted")
        assert search(api.client, resource_type, _id=CONTACT)["total"] == 0
    # A place no service uses any more (one in use cannot be deleted).
    created = api.client.post("/api/v1/locations", json={"name": "Tijdelijk punt", "lat": 51.5, "lon": 3.6},
                              headers=api.headers("admin"))
    assert created.status_code == 201, created.text
    place = created.json()["id"]
    assert get(api.client, f"/fhir/Location/{place}")["name"] == "Tijdelijk punt"
    # The service's dependants go first.
    for path, resource in ((f"front-doors/{FRONT_DOOR}", None), (f"services/{SERVICE}", f"HealthcareService/{SERVICE}"),
                           (f"locations/{place}", f"Location/{place}")):
        tag = api.client.get(f"/api/v1/{path}").headers["ETag"]
        deleted = api.client.delete(f"/api/v1/{path}", headers=api.headers("admin", **{"If-Match": tag}))
        assert deleted.status_code in (200, 204), deleted.text
        if resource:
            outcome(api.client, f"/fhir/{resource}", 410, "deleted")
            resource_type, resource_id = resource.split("/")
            assert search(api.client, resource_type, _id=resource_id)["total"] == 0


def test_an_unexpected_failure_is_an_operation_outcome_too(demo_engine, monkeypatch) -> None:
    def broken(_organisation: object) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(mapping, "organization", broken)
    with TestClient(create_app(demo_engine), raise_server_exceptions=False) as client:
        assert "boom" not in outcome(client, f"/fhir/Organization/{ORGANISATION}", 500, "exception")
        assert client.get(f"/api/v1/organisations/{ORGANISATION}").status_code == 200


def covering(service: dict[str, Any], code: str) -> bool:
    """A service area that is the area, lies within it or holds it (CBS codes nest by prefix)."""
    areas = [area["reference"].removeprefix("Location/") for area in service.get("coverageArea", [])]
    digits = code[2:]
    return any(area[2:].startswith(digits) or digits.startswith(area[2:]) for area in areas)


@pytest.mark.parametrize("value", ["Location/GM0687", "GM0687", "Location/WK068703", "BU06870301"])
def test_coverage_area_finds_the_services_for_an_area(demo_client, everything, value: str) -> None:
    code = value.removeprefix("Location/")
    found = walk(demo_client, "HealthcareService", count=100, **{"coverage-area": value})
    expected = {s["id"] for s in everything["HealthcareService"] if covering(s, code)}
    assert ids(found) == expected
    assert 0 < len(expected) < len(everything["HealthcareService"])
    assert search(demo_client, "HealthcareService", **{"coverage-area": "Organization/GM0687"})["total"] == 0


def test_summary_count_gives_the_total_alone(demo_client) -> None:
    bundle = search(demo_client, "HealthcareService", _summary="count", **{"service-category": "financien"})
    assert "entry" not in bundle
    assert bundle["total"] == search(demo_client, "HealthcareService", **{"service-category": "financien"})["total"] > 0


@pytest.mark.parametrize(("resource_type", "parameter"), [
    ("HealthcareService", "specialty"), ("HealthcareService", "program"), ("HealthcareService", "endpoint"),
    ("Location", "address-state"), ("Location", "operational-status"), ("Organization", "address"),
    ("Practitioner", "gender"), ("PractitionerRole", "role"), ("Organization", "_tag"),
    ("Organization", "_elements"), ("Organization", "_summary"),
])
def test_a_standard_parameter_not_served_is_refused_not_ignored(demo_client, resource_type: str, parameter: str) -> None:
    diagnostics = outcome(demo_client, f"/fhir/{resource_type}", 400, "invalid", params={parameter: "x"})
    assert parameter in diagnostics


def test_the_capability_statement_lists_what_is_served(demo_client) -> None:
    statement = get(demo_client, "/fhir/metadata")
    for resource in statement["rest"][0]["resource"]:
        for parameter in resource["searchParam"]:
            response = demo_client.get(f"/fhir/{resource['type']}", params={parameter["name"]: "x"})
            assert response.status_code in (200, 400), response.text
            if response.status_code == 400:  # a value of the wrong shape, never an unsupported parameter
                assert "does not support" not in response.json()["issue"][0]["diagnostics"], parameter


def rest_search_ids(client, postcode: str) -> set[str]:
    found, cursor = set(), None
    while True:
        params = {"postcode": postcode, "limit": 100} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/search", params=params).json()
        found |= {item["service"]["id"] for item in body["items"]}
        if not (cursor := body.get("next_cursor")):
            return found


@pytest.mark.parametrize("postcode", ["4331AB", "4331", "4381"])
def test_services_for_a_postcode_as_the_rest_search_finds_them(demo_client, postcode: str) -> None:
    chained = {"coverage-area.address-postalcode": postcode, "active": "true"}
    assert ids(walk(demo_client, "HealthcareService", count=100, **chained)) == rest_search_ids(demo_client, postcode)
    # Location?address-postalcode gives the CBS areas holding the postcode, as the REST API resolves it.
    areas = ids(walk(demo_client, "Location", count=100, **{"address-postalcode": postcode}))
    resolved = demo_client.get(f"/api/v1/postcodes/{postcode}").json()
    assert resolved["gemeente"]["code"] in areas, resolved


def test_locations_by_postcode_and_city(demo_client, everything) -> None:
    places = [r for r in everything["Location"] if r.get("address", {}).get("postalCode")]
    place = places[0]
    postcode, city = place["address"]["postalCode"], place["address"]["city"]
    by_postcode = walk(demo_client, "Location", count=100, **{"address-postalcode": f"{postcode[:4]} {postcode[4:].lower()}"})
    assert place["id"] in ids(by_postcode)
    assert all(r["address"]["postalCode"] == postcode for r in by_postcode if "postalCode" in r.get("address", {}))
    by_city = walk(demo_client, "Location", count=100, **{"address-city": city.lower()})
    assert ids(by_city) == {r["id"] for r in places if r["address"].get("city", "").lower().startswith(city.lower())}


def test_a_service_is_found_by_its_identifier(api: Api) -> None:
    path = f"/api/v1/services/{SERVICE}"
    tag = api.client.get(path, headers=api.headers("editor")).headers["ETag"]
    changed = api.client.patch(path, json={"external_id": "MBG-WMO-01"}, headers=api.headers("editor", **{"If-Match": tag}))
    assert changed.status_code == 200, changed.text
    service = get(api.client, f"/fhir/HealthcareService/{SERVICE}")
    system = service["identifier"][0]["system"]
    assert service["identifier"][0]["value"] == "MBG-WMO-01"
    for value in ("MBG-WMO-01", f"{system}|MBG-WMO-01"):
        assert ids(walk(api.client, "HealthcareService", identifier=value)) == {SERVICE}
    assert search(api.client, "HealthcareService", identifier="http://elders.example|MBG-WMO-01")["total"] == 0


def test_include_and_revinclude_add_the_referenced_resources(demo_client, everything) -> None:
    bundle = search(demo_client, "HealthcareService", _count=5, _include=["HealthcareService:organization",
                    "HealthcareService:location"], _revinclude="PractitionerRole:service")
    matches = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert len(matches) == 5 and bundle["total"] == len(everything["HealthcareService"])
    wanted = {s["providedBy"]["reference"] for s in matches} | {p["reference"] for s in matches for p in s.get("location", [])}
    page = {f"HealthcareService/{s['id']}" for s in matches}
    wanted |= {f"PractitionerRole/{r['id']}" for r in everything["PractitionerRole"]
               if r.get("healthcareService", [{}])[0].get("reference") in page}
    assert {f"{r['resourceType']}/{r['id']}" for r in included} == wanted
    assert any(r["resourceType"] == "PractitionerRole" for r in included)
    assert "_include=HealthcareService%3Aorganization" in bundle["link"][0]["url"]
    outcome(demo_client, "/fhir/HealthcareService", 400, "invalid", params={"_include": "HealthcareService:endpoint"})
    resources = {r["type"]: r for r in get(demo_client, "/fhir/metadata")["rest"][0]["resource"]}
    assert resources["HealthcareService"]["searchRevInclude"] == ["PractitionerRole:service"]


@pytest.mark.parametrize(("distance", "unit", "km"), [("2", "km", 2.0), ("1500", "m", 1.5), ("", "", 5.0)])
def test_near_finds_places_and_areas_within_the_distance(demo_client, everything, distance: str, unit: str, km: float) -> None:
    located = [r for r in everything["Location"] if "position" in r]
    centre = located[0]["position"]
    point = (centre["latitude"], centre["longitude"])
    value = "|".join(part for part in (str(point[0]), str(point[1]), distance, unit) if part)
    found = ids(walk(demo_client, "Location", count=100, near=value))
    away = {r["id"]: geodesic(point, (r["position"]["latitude"], r["position"]["longitude"])).km for r in located}
    assert {i for i, d in away.items() if d < km * 0.99} <= found <= {i for i, d in away.items() if d <= km * 1.01}
    assert located[0]["id"] in found and len(found) < len(located)


def test_a_malformed_near_is_refused(demo_client) -> None:
    for value in ("51.5", "51.5|3.6|-1|km", "51.5|3.6|1|mi", "north|east"):
        assert "near" in outcome(demo_client, "/fhir/Location", 400, "invalid", params={"near": value})
