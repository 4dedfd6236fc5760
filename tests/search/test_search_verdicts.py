"""The verdicts of POST /api/v1/search: the same, per patient, as the eligibility endpoint's,
and the input both refuse alike. On the demo region, on both databases."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.main import create_app
from tests.support.factories import make_service

BIJSTAND_MIDDELBURG = "19c1e29f-e469-4339-830f-bd2a44ed52ff"  # must_live_in_area, areas GM0687
LOKET_MIDDELBURG = uuid.UUID("e0f92502-06c3-469f-830c-a127882d9f26")  # owned by GM0687
DAUWENDAELE, ZUIDOOST = "BU06870301", "WK068703"  # PC4 4337 is linked to Dauwendaele and Mortiere, approximately


def _search(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/search", json={"limit": 100, **body})


def _check(client: TestClient, service_id: Any, patient: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/services/{service_id}/eligibility", json=patient)


def _verdicts(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return {item["service"]["name"]: item["eligibility"] for item in response.json()["items"]}


@pytest.fixture
def zuidoost(writable_demo: Engine) -> Iterator[tuple[TestClient, dict[str, uuid.UUID]]]:
    """The demo with services for residents of Dauwendaele (a buurt) and of Middelburg-Zuidoost (a wijk)."""
    with Session(writable_demo) as session, session.begin():
        ids = {
            name: make_service(session, LOKET_MIDDELBURG, name=name, areas=[area], owners=["GM0687"],
                               eligibility={"must_live_in_area": True})
            for name, area in (("Buurthulp Dauwendaele", DAUWENDAELE), ("Wijkhulp Zuidoost", ZUIDOOST))
        }
    with TestClient(create_app(writable_demo)) as client:
        yield client, ids


# (search body, the postcode the patient lives at as the eligibility endpoint is told it)
SEARCHES = [
    ({"postcode": "4331AB", "domain": ["financien"],
      "patient": {"age": 30, "income_pct_social_minimum": 100, "postcode": "4381AA"}}, "4381AA"),
    ({"postcode": "4337AB", "patient": {"age": 40}}, "4337AB"),
    ({"postcode": "4337", "patient": {"age": 70, "household": "alleenstaand"}}, "4337"),
    ({"postcode": "4388", "patient": {"age": 70, "postcode": "4337AB"}}, "4337AB"),
    ({"postcode": "4331AB", "patient": {"age": 20, "postcode": "4331AB"}}, "4331AB"),
]


@pytest.mark.parametrize(("body", "home"), SEARCHES)
def test_a_search_gives_each_result_the_eligibility_endpoints_verdict(zuidoost, body, home) -> None:
    client, _ = zuidoost
    items = _search(client, body).json()["items"]
    assert any(item["eligibility"]["failed"] or item["eligibility"]["unknown"] for item in items)
    patient = body["patient"] | {"postcode": home}
    for item in items:
        checked = _check(client, item["service"]["id"], patient)
        assert checked.status_code == 200, checked.text
        assert item["eligibility"] == checked.json(), item["service"]["name"]


def test_the_patients_own_postcode_decides_residence_not_the_search_postcode(demo_client) -> None:
    body = {"postcode": "4331AB", "domain": ["financien"],
            "patient": {"age": 30, "income_pct_social_minimum": 100, "postcode": "4381AA"}}
    verdict = _verdicts(_search(demo_client, body))["Bijzondere bijstand Middelburg"]
    assert verdict["verdict"] == "not_eligible"
    assert [(o["rule"], o["detail"]) for o in verdict["failed"]] == [
        ("must_live_in_area", "Alleen voor inwoners van het werkgebied; patiënt woont erbuiten"),
    ]
    # Without one, the search's postcode is where the patient lives.
    inside = _verdicts(_search(demo_client, body | {"patient": {"age": 30, "income_pct_social_minimum": 100}}))
    assert inside["Bijzondere bijstand Middelburg"]["verdict"] == "eligible"
    kept = _search(demo_client, body | {"eligible_only": True}).json()["items"]
    assert "Bijzondere bijstand Middelburg" not in {item["service"]["name"] for item in kept}


UNDECIDED_PC6 = ("Alleen voor inwoners van het werkgebied; de buurt van 4337AB is niet bekend en "
                 "de buurten van postcode 4337 zijn alleen bij benadering bekend")
UNDECIDED_PC4 = ("Alleen voor inwoners van het werkgebied; de buurten van postcode 4337 zijn alleen bij "
                 "benadering bekend (geef de volledige postcode)")


@pytest.mark.parametrize(("search_postcode", "patient", "detail"), [
    ("4337AB", {"age": 40}, UNDECIDED_PC6),
    ("4337", {"age": 40}, UNDECIDED_PC4),
    ("4331AB", {"age": 40, "postcode": "4337 ab"}, UNDECIDED_PC6),
])
def test_residence_from_approximate_buurt_links_is_unknown_below_the_gemeente(
    zuidoost, search_postcode, patient, detail
) -> None:
    """4337AB has no PC6 row, and 4337's buurten are derived from points: only the
    gemeente is known, so living in Dauwendaele (or its wijk) is neither certain nor excluded."""
    client, ids = zuidoost
    body = {"postcode": search_postcode, "patient": patient}
    verdicts = _verdicts(_search(client, body))
    if search_postcode.startswith("4337"):
        for name in ("Buurthulp Dauwendaele", "Wijkhulp Zuidoost"):
            assert verdicts[name]["verdict"] == "unknown", name
            assert verdicts[name]["unknown"] == [{"rule": "must_live_in_area", "detail": detail, "missing": "postcode"}]
        assert verdicts["Wmo-loket Middelburg"]["verdict"] == "eligible"  # the gemeente is known
        kept = {item["service"]["name"] for item in _search(client, body | {"eligible_only": True}).json()["items"]}
        assert kept and not kept & {"Buurthulp Dauwendaele", "Wijkhulp Zuidoost"}
    home = {"postcode": patient.get("postcode", search_postcode)}
    checked = _check(client, ids["Buurthulp Dauwendaele"], home).json()
    assert checked["verdict"] == "unknown" and checked["unknown"][0]["detail"] == detail


def test_a_patient_postcode_outside_the_gemeente_is_not_eligible_for_its_buurten(zuidoost) -> None:
    client, ids = zuidoost
    verdicts = _verdicts(_search(client, {"postcode": "4337AB", "patient": {"postcode": "4381AA"}}))
    assert verdicts["Buurthulp Dauwendaele"]["verdict"] == "not_eligible"
    assert _check(client, ids["Buurthulp Dauwendaele"], {"postcode": "4381AA"}).json()["verdict"] == "not_eligible"


@pytest.mark.parametrize(("postcode", "problem"), [
    ("4330", "/problems/postcode-not-residential"),  # PO boxes only
    ("9999", "/problems/invalid-input"),  # not known
    ("0331AB", "/problems/invalid-input"),
])
def test_a_patient_postcode_nobody_lives_at_is_refused_by_both_endpoints(demo_client, postcode, problem) -> None:
    for search in ({"postcode": "4331AB"}, {"lat": 51.5, "lon": 3.61}):
        found = _search(demo_client, search | {"patient": {"postcode": postcode}})
        assert found.status_code == 422, found.text
        assert (found.json()["type"], found.json()["field"]) == (problem, "patient.postcode")
    # Refused also where the service's rules would not have needed it.
    for service_id in (BIJSTAND_MIDDELBURG, _an_open_service(demo_client)):
        checked = _check(demo_client, service_id, {"postcode": postcode})
        assert checked.status_code == 422, checked.text
        assert (checked.json()["type"], checked.json()["field"]) == (problem, "postcode")


def _an_open_service(client: TestClient) -> str:
    """A service without eligibility rules."""
    items = _search(client, {"postcode": "4331AB"}).json()["items"]
    return next(item["service"]["id"] for item in items if item["service"]["eligibility"] is None)


def test_eligible_only_needs_patient_attributes(demo_client) -> None:
    refused = _search(demo_client, {"postcode": "4331AB", "eligible_only": True})
    assert refused.status_code == 422 and refused.json()["field"] == "eligible_only"
    assert _search(demo_client, {"postcode": "4331AB", "eligible_only": True, "patient": {}}).status_code == 200
    assert _search(demo_client, {"postcode": "4331AB", "eligible_only": False}).status_code == 200
    # A refused patient is the error reported, not eligible_only as well.
    bad = _search(demo_client, {"postcode": "4331AB", "eligible_only": True, "patient": {"age": -1}}).json()
    assert [error["field"] for error in bad["errors"]] == ["patient.age"]


@pytest.mark.parametrize(("patient", "field"), [
    ({"age": True}, "age"),
    ({"age": False}, "age"),
    ({"age": "40"}, "age"),
    ({"age": 40.5}, "age"),
    ({"income_pct_social_minimum": True}, "income_pct_social_minimum"),
    ({"income_pct_social_minimum": "110"}, "income_pct_social_minimum"),
    ({"household": True}, "household"),
    ({"target_groups": "ouderen"}, "target_groups"),
    ({"target_groups": [True]}, "target_groups.0"),
    ({"postcode": 4331}, "postcode"),
])
def test_patient_attributes_are_strict_about_types(demo_client, patient, field) -> None:
    found = _search(demo_client, {"postcode": "4331AB", "patient": patient})
    assert found.status_code == 422 and found.json()["field"] == f"patient.{field}", found.text
    checked = _check(demo_client, BIJSTAND_MIDDELBURG, patient)
    assert checked.status_code == 422 and checked.json()["field"] == field, checked.text


def test_patient_attributes_of_the_right_types_are_taken(demo_client) -> None:
    patient = {"age": 70, "income_pct_social_minimum": 110, "household": "alleenstaand", "target_groups": ["ouderen"]}
    assert _search(demo_client, {"postcode": "4331AB", "patient": patient}).status_code == 200
    assert _check(demo_client, BIJSTAND_MIDDELBURG, patient | {"postcode": "4331AB"}).json()["verdict"] == "eligible"


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["service"]["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("q", ["", " ", " \t "])
def test_an_empty_q_is_no_text_filter(demo_client, q) -> None:
    every = _ids(demo_client.get("/api/v1/search", params={"postcode": "4331AB", "limit": 100}))
    assert len(every) > 20
    assert _ids(demo_client.get("/api/v1/search", params={"postcode": "4331AB", "limit": 100, "q": q})) == every
    assert _ids(_search(demo_client, {"postcode": "4331AB", "q": q})) == every
    # The same search: a cursor of one pages the other.
    first = demo_client.get("/api/v1/search", params={"postcode": "4331AB", "limit": 5}).json()
    rest = demo_client.get("/api/v1/search", params={"postcode": "4331AB", "limit": 5, "q": q, "cursor": first["next_cursor"]})
    assert _ids(rest) == every[5:10]


@pytest.mark.parametrize("q", ["*", " ?! ", "de het"])
def test_a_q_without_a_searchable_word_is_still_refused(demo_client, q) -> None:
    for response in (demo_client.get("/api/v1/search", params={"postcode": "4331AB", "q": q}),
                     _search(demo_client, {"postcode": "4331AB", "q": q})):
        assert response.status_code == 422 and response.json()["field"] == "q", response.text
