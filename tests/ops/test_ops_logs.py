"""Request logs: JSON, with the request id, method, route template, status and duration, and
never a query string or a body (they may carry a patient's attributes)."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.ops.logs import HANDLER_NAME


@pytest.fixture
def log_lines(demo_client: TestClient) -> Iterator[io.StringIO]:
    """What the app's JSON log handler writes, while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME)
    assert isinstance(handler, logging.StreamHandler)
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        yield captured
    finally:
        handler.setStream(previous)


def _records(captured: io.StringIO) -> list[dict]:
    # httpx's lines are the test client's own, not the app's.
    return [record for line in captured.getvalue().splitlines() if (record := json.loads(line))["logger"] != "httpx"]


def test_search_logs_no_patient_attributes(demo_client: TestClient, log_lines: io.StringIO) -> None:
    post = demo_client.post(
        "/api/v1/search",
        json={"postcode": "4331AB", "q": "schulden",
              "patient": {"age": 67, "income_pct_social_minimum": 113, "postcode": "4381AA"}},
        headers={"X-Request-ID": "poh-lookup-42"},
    )
    assert post.status_code == 200, post.text
    assert post.headers["x-request-id"] == "poh-lookup-42"
    get = demo_client.get(
        "/api/v1/search", params={"postcode": "4337KV", "q": "eenzaamheid", "target_group": "ouderen"},
        headers={"X-Request-ID": "poh-lookup-43"},
    )
    assert get.status_code == 200
    # The clock's milliseconds and the measured duration may happen to read "113"; the request ids are given.
    server_made = {"time", "duration_ms"}
    text = json.dumps([{k: v for k, v in r.items() if k not in server_made} for r in _records(log_lines)])
    for value in ("4331AB", "4331", "schulden", "113", "4381AA", "4381", "4337KV", "4337", "eenzaamheid", "ouderen",
                  "postcode="):
        assert value not in text, value
    access = [record for record in _records(log_lines) if record["logger"] == "wijkkaart.access"]
    assert [(r["method"], r["route"], r["status"]) for r in access] == [
        ("POST", "/api/v1/search", 200), ("GET", "/api/v1/search", 200),
    ]
    assert access[0]["request_id"] == "poh-lookup-42"
    assert access[1]["request_id"] == get.headers["x-request-id"] == "poh-lookup-43"
    assert all(record["duration_ms"] >= 0 for record in access)


def test_path_parameters_are_logged_as_the_template(demo_client: TestClient, log_lines: io.StringIO) -> None:
    assert demo_client.get("/api/v1/postcodes/4331AB").status_code == 200
    assert "4331AB" not in json.dumps(_records(log_lines))
    assert _records(log_lines)[-1]["route"] == "/api/v1/postcodes/{postcode}"


def test_a_request_id_that_is_not_plain_is_replaced(demo_client: TestClient) -> None:
    response = demo_client.get("/health/live", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    assert response.headers["x-request-id"] != "a b\tc"
    assert len(response.headers["x-request-id"]) == 32
    assert demo_client.get("/health/live").headers["x-request-id"] != response.headers["x-request-id"]


def test_a_head_request_is_logged_as_head_with_its_route(demo_client: TestClient, log_lines: io.StringIO) -> None:
    assert demo_client.head("/api/v1/postcodes/4331AB").status_code == 200
    (line,) = [r for r in _records(log_lines) if r["logger"] == "wijkkaart.access"]
    assert (line["method"], line["route"], line["status"]) == ("HEAD", "/api/v1/postcodes/{postcode}", 200)
