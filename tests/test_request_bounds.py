"""Every route that takes lists takes a bounded number of values: per parameter and per request.

Each value of a list becomes a clause of a query: unbounded, a FHIR parameter repeated 200
times ran PostgreSQL into its statement timeout, and 1,000 times went past SQLite's limit on
the depth of an expression (a 500). The routes are found from the app itself, so a new one
cannot be missed.
"""

from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.request_checks import MAX_QUERY_VALUES, MAX_VALUES_PER_PARAMETER
from tests.ops.test_ops_methods import example_path

PROBLEM = "application/problem+json"
OVER = MAX_VALUES_PER_PARAMETER + 1


def _is_array(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or any(_is_array(option) for option in schema.get("anyOf", ()))


def list_query_parameters(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path, parameter) of every query parameter the OpenAPI document declares a list."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and _is_array(parameter["schema"]):
                    found.append((method.upper(), path, parameter["name"]))
    return found


def fhir_searches(client: TestClient) -> list[str]:
    return [route.path for route in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
            if route.path.startswith("/fhir/") and "{" not in route.path and route.path != "/fhir/metadata"]


def test_every_list_query_parameter_refuses_too_many_values(demo_client: TestClient) -> None:
    lists = list_query_parameters(demo_client)
    assert ("GET", "/api/v1/search", "domain") in lists and ("GET", "/api/v1/front-doors", "topic") in lists
    for method, path, name in lists:
        response = demo_client.request(method, example_path(path), params=[(name, "x")] * OVER)
        assert response.status_code == 422, (method, path, name, response.status_code)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["field"] == name, (method, path)
        assert f"at most {MAX_VALUES_PER_PARAMETER} values" in response.json()["detail"]


def test_the_values_of_a_whole_query_are_bounded_too(demo_client: TestClient) -> None:
    params = [("domain", "financien")] * MAX_VALUES_PER_PARAMETER
    params += [(f"unknown{i}", "x") for i in range(MAX_QUERY_VALUES - len(params) + 1)]
    response = demo_client.get("/api/v1/search", params=[("postcode", "4331AB"), *params])
    assert response.status_code == 422 and response.json()["field"] == "domain"
    assert f"at most {MAX_QUERY_VALUES}" in response.json()["detail"]


def test_at_the_bound_a_list_is_taken(demo_client: TestClient) -> None:
    params = [("postcode", "4331AB"), *[("domain", "financien")] * MAX_VALUES_PER_PARAMETER]
    response = demo_client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["items"]


def test_a_search_body_takes_as_many_domains_as_its_query(demo_client: TestClient) -> None:
    response = demo_client.post("/api/v1/search", json={"postcode": "4331AB", "domain": ["financien"] * OVER})
    assert response.status_code == 422 and response.json()["field"] == "domain"


def _fhir_refusal(response: Any, name: str) -> None:
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "invalid"
    assert outcome["issue"][0]["diagnostics"].startswith(f"{name}:")


def test_every_fhir_search_refuses_a_parameter_repeated_too_often(demo_client: TestClient) -> None:
    searches = fhir_searches(demo_client)
    assert "/fhir/HealthcareService" in searches and "/fhir/Practitioner" in searches
    for path in searches:
        _fhir_refusal(demo_client.get(path, params=[("name", "a")] * OVER), "name")
        _fhir_refusal(demo_client.get(path, params=[("_id", "x")] * 1000), "_id")


def test_a_fhir_value_counts_its_alternatives(demo_client: TestClient) -> None:
    _fhir_refusal(demo_client.get("/fhir/HealthcareService", params={"name": ",".join(["a"] * OVER)}), "name")
    params = [("service-category", "financien")] * 40 + [("name", "a")] * 40 + [("_id", "x")] * 40
    response = demo_client.get("/fhir/HealthcareService", params=params)
    assert response.status_code == 400 and str(MAX_QUERY_VALUES) in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("name,value", [("service-category", "financien"), ("name", "schuld")])
def test_a_fhir_search_at_the_bound_is_answered(demo_client: TestClient, name: str, value: str) -> None:
    # The most a client may send is answered in time on both databases, not a 503 or a 500.
    response = demo_client.get("/fhir/HealthcareService", params=[(name, value)] * MAX_VALUES_PER_PARAMETER)
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "Bundle" and response.json()["total"] > 0
    spread = demo_client.get("/fhir/HealthcareService", params={name: ",".join([value] * MAX_VALUES_PER_PARAMETER)})
    assert spread.status_code == 200 and spread.json()["total"] == response.json()["total"]


def test_fhir_names_repeated_are_the_words_of_one_query(demo_client: TestClient) -> None:
    # Repeats are ANDed: the same services as the words in one value, and 50 different words
    # are answered (one test of every name, not a join per repeat).
    apart = demo_client.get("/fhir/HealthcareService", params=[("name", "schuld"), ("name", "walcheren")])
    together = demo_client.get("/fhir/HealthcareService", params={"name": "schuld walcheren"})
    assert apart.status_code == together.status_code == 200
    assert apart.json()["total"] == together.json()["total"] > 0
    words = [f"woord{i}" for i in range(MAX_VALUES_PER_PARAMETER - 1)] + ["schuld"]
    response = demo_client.get("/fhir/HealthcareService", params=[("name", w) for w in words])
    assert response.status_code == 200 and response.json()["total"] == 0
