"""Body size limit, anonymous search rate limit, CORS and security headers."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from app.settings import Settings
from tests.conftest import Api


def _client(engine: Engine, **settings: object) -> TestClient:
    return TestClient(create_app(engine, Settings(**settings)))  # type: ignore[arg-type]


@pytest.fixture
def limited(demo_engine: Engine) -> Iterator[TestClient]:
    with _client(demo_engine, search_rate_limit="3/minute", max_body_bytes=2000, max_import_body_bytes=5000) as client:
        yield client


def test_anonymous_search_is_rate_limited_per_address(limited: TestClient) -> None:
    for _ in range(2):
        assert limited.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 200
    assert limited.post("/api/v1/search", json={"postcode": "4331AB"}).status_code == 200
    refused = limited.get("/api/v1/search", params={"postcode": "4331AB"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/too-many-requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert limited.post("/api/v1/search", json={"postcode": "4331AB"}).status_code == 429
    # Other reads are not counted, nor limited.
    assert limited.get("/api/v1/services").status_code == 200


def test_search_with_a_key_is_not_limited(api: Api) -> None:
    with _client(api.engine, search_rate_limit="1/minute") as client:
        assert client.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 200
        assert client.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 429
        for _ in range(3):
            keyed = client.get("/api/v1/search", params={"postcode": "4331AB"}, headers=api.headers("reader"))
            assert keyed.status_code == 200


def test_rate_limit_off(demo_engine: Engine) -> None:
    with _client(demo_engine, search_rate_limit="") as client:
        for _ in range(5):
            assert client.get("/api/v1/search", params={"postcode": "4331AB"}).status_code == 200


def test_body_over_the_limit_is_a_413(limited: TestClient) -> None:
    big = {"postcode": "4331AB", "q": "x" * 3000}
    response = limited.post("/api/v1/search", json=big, headers={"Authorization": "Bearer wk_x"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/payload-too-large"
    assert "2000 bytes" in response.json()["detail"]


def test_body_without_length_over_the_limit_is_a_413(limited: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"postcode": "4331AB", "q": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = limited.post("/api/v1/search", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"


def test_import_has_its_own_larger_limit(api: Api) -> None:
    with _client(api.engine, max_body_bytes=2000, max_import_body_bytes=50_000) as client:
        body = {"organisations": [{"name": f"Organisatie {i}", "owners": ["GM0687"]} for i in range(40)]}
        response = client.post("/api/v1/import?dry_run=true", json=body, headers=api.headers("admin"))
        assert response.status_code == 200, response.text
        too_big = {"organisations": [{"name": "x" * 60_000}]}
        assert client.post("/api/v1/import", json=too_big, headers=api.headers("admin")).status_code == 413


def test_413_under_fhir_is_an_operation_outcome(limited: TestClient) -> None:
    response = limited.post("/fhir/HealthcareService/_search", content=b"x" * 3000)
    assert response.status_code == 413
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "too-costly"


def test_security_headers(demo_client: TestClient) -> None:
    headers = demo_client.get("/api/v1/services").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in headers  # plain HTTP
    # Swagger UI runs an inline script: the docs set a policy of their own (app/web/router.py).
    assert "script-src 'self' 'unsafe-inline'" in demo_client.get("/docs").headers["content-security-policy"]
    https = TestClient(demo_client.app, base_url="https://testserver")
    assert https.get("/health/live").headers["strict-transport-security"] == "max-age=31536000"


def test_cors_for_configured_origins(demo_engine: Engine) -> None:
    with _client(demo_engine, cors_origins="https://his.example.nl") as client:
        preflight = client.options("/api/v1/search", headers={
            "Origin": "https://his.example.nl", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        })
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://his.example.nl"
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        response = client.get("/api/v1/services", headers={"Origin": "https://his.example.nl"})
        assert response.headers["access-control-allow-origin"] == "https://his.example.nl"
        assert "etag" in response.headers["access-control-expose-headers"].lower()
        other = client.get("/api/v1/services", headers={"Origin": "https://elders.example"})
        assert "access-control-allow-origin" not in other.headers


def test_no_cors_by_default(demo_client: TestClient) -> None:
    response = demo_client.get("/api/v1/services", headers={"Origin": "https://his.example.nl"})
    assert "access-control-allow-origin" not in response.headers
