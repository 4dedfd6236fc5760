"""What every route checks before it reads its parameters (app/request_checks.py): a body in a
media type the route does not take is a 415 and changes nothing; a query parameter that takes
one value, sent more than once, is a 422 naming it, while lists may repeat."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, LOCATION, SERVICE, TARGETS, dump, new_item, seed_item

PROBLEM = "application/problem+json"
JSON_ONLY = "application/json"
MERGE_PATCH = "application/merge-patch+json, application/json"
SPEC = create_app().openapi()
OPERATIONS = [(method.upper(), path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]

# Every operation that takes a body, and the media types it answers a wrong one with (in
# `Accept`, or `Accept-Patch` for PATCH). Any application/...+json type is taken as JSON too.
BODY_MEDIA_TYPES = {
    ("POST", "/api/v1/search"): JSON_ONLY,
    ("POST", "/api/v1/services/{service_id}/eligibility"): JSON_ONLY,
    ("POST", "/api/v1/clients"): JSON_ONLY,
    ("PUT", "/api/v1/clients/{client_id}"): JSON_ONLY,
    ("POST", "/api/v1/clients/{client_id}/keys"): JSON_ONLY,
    ("POST", "/api/v1/import"): "multipart/form-data, application/json",
    ("POST", "/api/v1/referrals"): JSON_ONLY,
    ("POST", "/api/v1/referrals/{code}/status"): JSON_ONLY,
    **{("POST", f"/api/v1/{kind}s/{{{kind}_id}}/reports"): JSON_ONLY for kind in ("service", "contact", "location")},
    **{
        (method, f"/api/v1/{kind}{suffix}"): types
        for kind in TARGETS
        for method, suffix, types in (
            ("POST", "", JSON_ONLY),
            ("PUT", f"/{{{kind.replace('-', '_').removesuffix('s')}_id}}", JSON_ONLY),
            ("PATCH", f"/{{{kind.replace('-', '_').removesuffix('s')}_id}}", MERGE_PATCH),
        )
    },
}


def _filled(path: str) -> str:
    # Any id: the checks come before the path's parameters are read.
    return re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)


def _assert_415(response: Any, header: str, types: str) -> None:
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "/problems/unsupported-media-type"
    assert problem["field"] == "Content-Type"
    assert problem["detail"].startswith(f"This endpoint takes {types.replace(', ', ' or ')}")
    assert response.headers[header] == types


def test_every_operation_with_a_body_refuses_other_media_types_and_documents_it(demo_client: TestClient) -> None:
    with_body = {(method, path) for method, path, op in OPERATIONS if "requestBody" in op}
    assert with_body == set(BODY_MEDIA_TYPES)
    for (method, path), types in BODY_MEDIA_TYPES.items():
        header = "Accept-Patch" if method == "PATCH" else "Accept"
        op = SPEC["paths"][path][method.lower()]
        assert set(op["requestBody"]["content"]) <= set(types.split(", ")), (method, path)
        assert PROBLEM in op["responses"]["415"]["content"] and header in op["responses"]["415"]["headers"]
        # Anonymous: a body no endpoint can read is refused before the key is asked for.
        response = demo_client.request(method, _filled(path), content=b'{"a": 1}', headers={"Content-Type": "text/plain"})
        _assert_415(response, header, types)
        assert response.json()["detail"].endswith("not text/plain.")


def _write_requests(api: Api) -> Iterator[tuple[str, str, str, str, bytes]]:
    """(who, method, path template, url, a body that the right media type makes succeed) per operation."""
    admin = api.headers("admin")
    domains = api.client.get(f"/api/v1/services/{SERVICE}").json()["need_domains"]
    referral = {"service_id": SERVICE, "need_domains": domains[:1], "urgency": "normaal"}
    made = api.client.post("/api/v1/referrals", json=referral, headers=api.headers("practice"))
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    client_id = next(c["id"] for c in api.client.get("/api/v1/clients", headers=admin).json()["items"]
                     if c["name"] == "HIS Voorbeeld")
    bodies: dict[tuple[str, str], tuple[str, Any]] = {
        ("POST", "/api/v1/search"): ("/api/v1/search", {"postcode": "4331"}),
        ("POST", "/api/v1/services/{service_id}/eligibility"): (f"/api/v1/services/{SERVICE}/eligibility", {"age": 70}),
        ("POST", "/api/v1/clients"): ("/api/v1/clients", {"name": "Nieuw", "role": "reader"}),
        ("PUT", "/api/v1/clients/{client_id}"): (f"/api/v1/clients/{client_id}", {"name": "HIS Anders", "role": "reader"}),
        ("POST", "/api/v1/clients/{client_id}/keys"): (f"/api/v1/clients/{client_id}/keys", {}),
        ("POST", "/api/v1/import"): ("/api/v1/import", {"services": [{"id": SERVICE, "waiting_days": 3}]}),
        ("POST", "/api/v1/referrals"): ("/api/v1/referrals", referral),
        ("POST", "/api/v1/referrals/{code}/status"): (f"/api/v1/referrals/{code}/status", {"status": "ontvangen"}),
        ("POST", "/api/v1/services/{service_id}/reports"): (f"/api/v1/services/{SERVICE}/reports", {"kind": "anders"}),
        ("POST", "/api/v1/contacts/{contact_id}/reports"): (f"/api/v1/contacts/{CONTACT}/reports", {"kind": "anders"}),
        ("POST", "/api/v1/locations/{location_id}/reports"): (f"/api/v1/locations/{LOCATION}/reports", {"kind": "anders"}),
    }
    # Referrals are made by a practice and moved on by an editor of the service's gemeente.
    who = {("POST", "/api/v1/referrals"): "practice", ("POST", "/api/v1/referrals/{code}/status"): "editor"}
    for kind, target in TARGETS.items():
        id_name = "{" + kind.replace("-", "_").removesuffix("s") + "_id}"
        patch = {"note": "x"} if kind == "front-doors" else {"name": "Gewijzigd"}
        replace = seed_item(kind, target) | ({"note": "x"} if kind == "front-doors" else {"name": "Vervangen"})
        bodies[("POST", f"/api/v1/{kind}")] = (f"/api/v1/{kind}", new_item(kind))
        bodies[("PUT", f"/api/v1/{kind}/{id_name}")] = (f"/api/v1/{kind}/{target}", replace)
        bodies[("PATCH", f"/api/v1/{kind}/{id_name}")] = (f"/api/v1/{kind}/{target}", patch)
    assert set(bodies) == set(BODY_MEDIA_TYPES)
    for (method, template), (url, body) in bodies.items():
        yield who.get((method, template), "admin"), method, template, url, json.dumps(body).encode()


def test_a_body_in_another_media_type_changes_nothing_and_the_right_one_goes_through(api: Api) -> None:
    # One database for all: every refusal must leave it as it was; then the same body, sent
    # as what the endpoint takes, is accepted, so the refusal was the media type's alone.
    for who, method, template, url, body in _write_requests(api):
        header = "Accept-Patch" if method == "PATCH" else "Accept"
        types = BODY_MEDIA_TYPES[(method, template)]
        headers = api.headers(who)
        if method in ("PUT", "PATCH") and not template.startswith("/api/v1/clients"):
            headers["If-Match"] = api.client.get(url, headers=headers).headers["ETag"]
        before = dump(api.engine)
        for sent in ("text/plain", "text/csv; charset=utf-8", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=x"):
            if sent.split(";")[0] in types:
                continue
            response = api.client.request(method, url, content=body, headers=headers | {"Content-Type": sent})
            _assert_415(response, header, types)
            assert response.json()["detail"].endswith(f"not {sent.split(';')[0]}.")
        # httpx sends no Content-Type for raw content of its own accord.
        response = api.client.request(method, url, content=body, headers=headers)
        _assert_415(response, header, types)
        assert response.json()["detail"].endswith("and the body came without a Content-Type.")
        assert dump(api.engine) == before, f"{method} {url}"
        taken = "application/merge-patch+json" if method == "PATCH" else "application/json; charset=utf-8"
        response = api.client.request(method, url, content=body, headers=headers | {"Content-Type": taken})
        assert response.status_code in (200, 201), (method, url, response.text)


def test_any_json_type_is_taken_as_json(demo_client: TestClient) -> None:
    for sent in ("application/json", "APPLICATION/JSON; charset=UTF-8", "application/vnd.his-plugin+json",
                 "application/merge-patch+json"):
        response = demo_client.post("/api/v1/search", content=b'{"postcode": "4331"}', headers={"Content-Type": sent})
        assert response.status_code == 200, (sent, response.text)


def test_no_body_is_answered_as_before(api: Api) -> None:
    admin = api.headers("admin")
    # A required body left out: the 422 naming it, with or without a Content-Type.
    for headers in ({}, {"Content-Type": "text/plain"}):
        missing = api.client.post("/api/v1/search", headers=headers)
        assert missing.status_code == 422, missing.text
        assert missing.json()["errors"][0] == {"field": "request", "in": "body", "message": "Field required"}
    # The import reads its body itself: nothing sent is a 422 naming the body (it named Content-Type).
    empty_import = api.client.post("/api/v1/import", headers=admin)
    assert (empty_import.status_code, empty_import.json()["field"]) == (422, "body"), empty_import.text
    # Operations without a body do not look at one, whatever it is sent as.
    verify = api.client.post(f"/api/v1/services/{SERVICE}/verify", content=b"ok", headers=admin | {"Content-Type": "text/plain"})
    assert verify.status_code == 200, verify.text


def _scalar(parameter: dict[str, Any]) -> bool:
    schema = parameter["schema"]
    return "array" not in {schema.get("type"), *(option.get("type") for option in schema.get("anyOf", []))}


def test_every_single_valued_query_parameter_sent_twice_is_a_422_naming_it(demo_client: TestClient) -> None:
    # Every operation the API describes (/api/v1 and /hsds), read from its OpenAPI description.
    checked = set()
    for method, path, op in OPERATIONS:
        for parameter in op.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            response = demo_client.request(method, f"{_filled(path)}?{name}=1&{name}=2")
            refused = response.status_code == 422 and "only once" in response.json()["detail"]
            if not _scalar(parameter):
                assert not refused, (method, path, name, response.text)
                continue
            assert refused, (method, path, name, response.text)
            assert response.headers["content-type"] == PROBLEM
            problem = response.json()
            assert problem["type"] == "/problems/invalid-input"
            assert problem["field"] == name
            assert problem["detail"] == f"{name}: may be given only once; it was sent 2 times"
            checked.add(f"{method} {path} {name}")
    assert {"GET /api/v1/search radius_km", "GET /hsds/services page", "POST /api/v1/import dry_run"} <= checked


@pytest.mark.parametrize(("path", "query"), [
    ("/api/v1/search", "postcode=4331&radius_km=500&radius_km=5"),
    ("/api/v1/search", "postcode=4331&postcode=4337"),
    ("/api/v1/services", "domain=financien&domain=huisvesting"),  # one domain on this list
    ("/api/v1/organisations", "limit=1&limit=100"),
    ("/api/v1/front-doors", "postcode=4331&topic=wgs&postcode=4337"),
    ("/hsds/services", "page=1&page=2"),
    ("/hsds/organizations", "full_service=true&full_service=false"),
])
def test_a_repeated_parameter_is_refused_on_every_kind_of_list(demo_client: TestClient, path: str, query: str) -> None:
    response = demo_client.get(f"{path}?{query}")
    assert response.status_code == 422, response.text
    name = next(name for name in re.findall(r"(\w+)=", query) if query.count(f"{name}=") > 1)
    assert response.json()["field"] == name


def test_list_parameters_may_repeat(demo_client: TestClient) -> None:
    both = demo_client.get("/api/v1/search?postcode=4331&domain=financien&domain=huisvesting&limit=100")
    one = demo_client.get("/api/v1/search?postcode=4331&domain=financien&limit=100")
    assert both.status_code == 200 and one.status_code == 200
    assert len(both.json()["items"]) >= len(one.json()["items"])
    doors = demo_client.get("/api/v1/front-doors?postcode=4331&topic=wgs&topic=financien")
    assert doors.status_code == 200, doors.text
    assert {item["topic"] for item in doors.json()["items"]} == {"wgs", "financien"}


def test_a_repeated_parameter_is_never_answered_from_the_search_cache(demo_client: TestClient) -> None:
    # The search replays a query string it answered before (app/search/router.py, _ReplayingRoute);
    # one with a repeated parameter must be refused, not remembered and replayed as its last value.
    once = "/api/v1/search?postcode=4331&radius_km=5"
    assert [demo_client.get(once).status_code for _ in range(2)] == [200, 200]
    twice = "/api/v1/search?postcode=4331&radius_km=5&radius_km=5"
    assert [demo_client.get(twice).status_code for _ in range(3)] == [422, 422, 422]
    assert demo_client.head(twice).status_code == 422


def test_a_repeated_parameter_on_a_write_changes_nothing(api: Api) -> None:
    before = dump(api.engine)
    batch = {"services": [{"id": SERVICE, "waiting_days": 3}]}
    # dry_run=true then false: which one was meant?
    response = api.client.post("/api/v1/import?dry_run=true&dry_run=false", json=batch, headers=api.headers("admin"))
    assert (response.status_code, response.json()["field"]) == (422, "dry_run"), response.text
    assert dump(api.engine) == before


def test_fhir_keeps_its_own_rules_for_repeated_parameters(demo_client: TestClient) -> None:
    # In FHIR a repeated parameter means "all of" (app/fhir reads them itself).
    response = demo_client.get("/fhir/HealthcareService?_lastUpdated=ge2000&_lastUpdated=lt2999&_count=0")
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle"
