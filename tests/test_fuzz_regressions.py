"""Edge cases of the kind schema fuzzing (tests/test_schema_fuzz.py) probes, as plain tests: each must be a
documented 4xx problem, never a 500 or an undocumented status."""

import re

import pytest
from fastapi.testclient import TestClient

from app.services import service as services
from tests.conftest import Api


def test_a_body_that_is_not_json_is_a_422_naming_the_body(api: Api) -> None:
    # Not FastAPI's body parser's undocumented 400, on every operation with a JSON body.
    response = api.client.post(
        "/api/v1/organisations", content=b"\xff\xfe{", headers=api.headers("admin", **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-input"
    assert response.json()["field"] == "body"


def test_a_malformed_multipart_import_is_a_422_naming_the_body(api: Api) -> None:
    # Not Starlette's form parser's undocumented 400: a part without its headers.
    boundary = "a222103b9b30b1f9e8be6882ecedb1d2"
    response = api.client.post(
        "/api/v1/import", content=f"--{boundary}\r\n[]--{boundary}--\r\n".encode(),
        headers=api.headers("admin", **{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invalid-input"
    assert response.json()["field"] == "body"
    assert "multipart" in response.json()["detail"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00"])
def test_a_moment_past_the_calendar_is_a_422_naming_it(api: Api, moment: str) -> None:
    # Not a 500 (OverflowError): the moment has no UTC or no local time in Python's years 1 to 9999.
    admin = api.headers("admin")
    for path, params in (
        ("/api/v1/search", {"postcode": "4331", "open_at": moment}), ("/api/v1/audit", {"since": moment}),
        ("/api/v1/audit", {"until": moment}), ("/hsds/services", {"modified_after": moment}),
    ):
        response = api.client.get(path, params=params, headers=admin)
        field = next(name for name in params if name != "postcode")
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == field, response.text
    response = api.client.post("/api/v1/clients", json={"name": "Verloopt nooit", "role": "reader", "key_expires_at": moment},
                               headers=admin)
    assert response.status_code == 422, response.text
    for bound in ("gt", "lt"):
        response = api.client.get("/fhir/HealthcareService", params={"_lastUpdated": bound + moment})
        assert response.status_code == 400, response.text
        assert response.json()["resourceType"] == "OperationOutcome"
    # The same moments a day inside the calendar are answered.
    inside = moment.replace("0001-01-01", "0001-01-02").replace("9999-12-31", "9999-12-30")
    assert api.client.get("/api/v1/search", params={"postcode": "4331", "open_at": inside}).status_code == 200
    assert api.client.get("/api/v1/audit", params={"since": inside}, headers=admin).status_code == 200


def test_an_if_match_with_a_number_no_version_can_be_is_a_412(api: Api) -> None:
    # Not a 500: int() of a 5,000-digit "version" raises (Python's limit on digits).
    service = api.client.get("/api/v1/services", params={"limit": 1}).json()["items"][0]["id"]
    for tag in ('"' + "9" * 5000 + '"', '"' + "9" * 19 + '-ab"'):
        response = api.client.patch(f"/api/v1/services/{service}", json={"name": "Nieuw"},
                                    headers=api.headers("admin", **{"If-Match": tag}))
        assert response.status_code == 412, response.text
        assert response.json()["type"] == "/problems/precondition-failed"


def test_numbers_of_thousands_of_digits_are_a_4xx(api: Api) -> None:
    # Were 500s: int() of more than 4,300 digits raises (Python's limit), in FHIR's paging and
    # in the body limit's reading of Content-Length.
    huge = "9" * 5000
    for name in ("_count", "_offset"):
        response = api.client.get("/fhir/HealthcareService", params={name: huge})
        assert response.status_code == 400, response.text
        assert name in response.json()["issue"][0]["diagnostics"]
    response = api.client.post("/api/v1/search", content=b'{"postcode": "4331"}',
                               headers={"Content-Type": "application/json", "Content-Length": huge})
    assert response.status_code == 413, response.text


def test_a_lone_surrogate_echoed_in_a_problem_is_a_422_with_its_escape(api: Api) -> None:
    # Not a 500: the problem's detail quotes the postcode sent, "\ud800" (valid in a JSON string,
    # not in UTF-8), which must not break writing the response.
    response = api.client.post("/api/v1/search", content=b'{"postcode": "\\ud800"}',
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "postcode"
    assert "\ud800" in response.json()["detail"]  # the JSON escape read back as the character sent


def test_a_body_that_is_not_json_is_a_422_naming_the_body_and_where_it_breaks(api: Api) -> None:
    # Was named "21", the character offset pydantic locates the error at.
    response = api.client.post("/api/v1/search", content=b'{"postcode": "4331AB",}',
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body" and "character 22" in response.json()["detail"]


def test_an_import_nested_too_deeply_is_a_422_naming_the_body(api: Api) -> None:
    # Not a 500: json.loads raises RecursionError on a JSON batch nested thousands deep.
    body = '{"services": ' + "[" * 3000 + "]" * 3000 + "}"
    response = api.client.post("/api/v1/import", content=body.encode(),
                               headers=api.headers("admin", **{"Content-Type": "application/json"}))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body"
    # The same as a JSON file in a multipart upload: the file's problem, with its name.
    response = api.client.post("/api/v1/import", files={"files": ("batch.json", body.encode(), "application/json")},
                               headers=api.headers("admin"))
    assert response.status_code == 422, response.text
    assert "batch.json is not valid JSON" in response.text


def test_a_write_that_loses_a_race_for_an_external_id_is_a_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two creates with one external_id at the same moment both pass the service's check; the
    # database's unique index refuses the second: a 409, not a 500 (IntegrityError). The race is
    # reproduced by skipping the check, so that the index is what refuses.
    organisation = api.client.get("/api/v1/organisations", params={"limit": 1}).json()["items"][0]["id"]
    body = {"organisation_id": organisation, "name": "Dubbel", "need_domains": ["financien"],
            "access_route": "vrij_toegankelijk", "owners": ["GM0687"], "external_id": "GM0687-RACE-1"}
    assert api.client.post("/api/v1/services", json=body, headers=api.headers("admin")).status_code == 201
    monkeypatch.setattr(services, "require_unique_external_id", lambda *args, **kwargs: None)

    response = api.client.post("/api/v1/services", json=body, headers=api.headers("admin"))

    assert response.status_code == 409, response.text
    assert response.json()["type"] == "/problems/conflict"
    found = api.client.get("/api/v1/services", params={"limit": 100}, headers=api.headers("admin")).json()["items"]
    assert [s["external_id"] for s in found].count("GM0687-RACE-1") == 1  # the loser wrote nothing


def test_opening_times_match_their_schema(demo_client: TestClient) -> None:
    # Was format "time" (RFC 3339: an offset is required) while times go out as "09:00:00".
    schema = demo_client.get("/openapi.json").json()["components"]["schemas"]
    pattern = re.compile(schema["OpeningInterval"]["properties"]["opens"]["pattern"])
    assert "format" not in schema["OpeningInterval"]["properties"]["opens"]
    locations = demo_client.get("/api/v1/locations", params={"limit": 100}).json()["items"]
    times = [
        value for location in locations for entry in location["opening_hours"] + location["exceptions"]
        for value in (entry.get("opens"), entry.get("closes")) if value is not None
    ]
    assert times
    assert all(pattern.fullmatch(value) for value in times), times
    assert pattern.fullmatch("09:00") and not pattern.fullmatch("24:00") and not pattern.fullmatch("09:00+01:00")


def test_an_opening_time_with_an_offset_is_a_422(api: Api) -> None:
    # Not a 500: a number (read as seconds in UTC) or an offset makes the time aware, and comparing
    # it with a local one raises TypeError.
    organisation = api.client.get("/api/v1/organisations", params={"limit": 1}).json()["items"][0]["id"]
    for hours in (
        {"exceptions": [{"date": "2026-12-24", "opens": "09:00", "closes": 0}]},
        {"opening_hours": [{"weekday": 0, "opens": "09:00", "closes": "12:00+01:00"}]},
    ):
        response = api.client.post(
            "/api/v1/locations", json={"organisation_id": organisation, "name": "Balie", "lat": 51.5, "lon": 3.61, **hours},
            headers=api.headers("admin"),
        )
        assert response.status_code == 422, response.text
        assert any("without an offset" in error["message"] for error in response.json()["errors"]), response.text
