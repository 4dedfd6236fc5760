"""Eligibility verdicts: the pure rule evaluation, the endpoint, and that patient data leaves no trace."""

import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.changelog.models import ChangeLogEntry
from app.main import create_app
from app.services.eligibility import PatientAttributes, evaluate
from app.services.schemas import EligibilityRules
from tests.support.factories import BUURT, WIJK, make_organisation, make_region, make_service

PROBLEM = "application/problem+json"


def _verdict(rules: dict[str, Any] | None, lives: bool | None = True, **patient: Any) -> tuple[str, list[str], list[str]]:
    result = evaluate(
        EligibilityRules.model_validate(rules) if rules is not None else None,
        PatientAttributes.model_validate(patient),
        lives_in_service_area=lives,
    )
    return result.verdict, [o.rule for o in result.failed], [o.missing or "" for o in result.unknown]


@pytest.mark.parametrize(
    ("rules", "patient", "lives", "expected"),
    [
        (None, {}, None, ("eligible", [], [])),
        ({}, {}, None, ("eligible", [], [])),
        ({"min_age": 65}, {"age": 64}, True, ("not_eligible", ["min_age"], [])),
        ({"min_age": 65}, {"age": 65}, True, ("eligible", [], [])),
        ({"max_age": 27}, {"age": 27}, True, ("eligible", [], [])),
        ({"max_age": 27}, {"age": 28}, True, ("not_eligible", ["max_age"], [])),
        ({"min_age": 18, "max_age": 27}, {}, True, ("unknown", [], ["age", "age"])),
        ({"max_income_pct_social_minimum": 120}, {"income_pct_social_minimum": 120}, True, ("eligible", [], [])),
        ({"max_income_pct_social_minimum": 120}, {"income_pct_social_minimum": 121}, True,
         ("not_eligible", ["max_income_pct_social_minimum"], [])),
        ({"max_income_pct_social_minimum": 120}, {}, True, ("unknown", [], ["income_pct_social_minimum"])),
        ({"household_types": ["alleenstaand"]}, {"household": "alleenstaand"}, True, ("eligible", [], [])),
        ({"household_types": ["alleenstaand"]}, {"household": "paar_met_kinderen"}, True,
         ("not_eligible", ["household_types"], [])),
        ({"household_types": ["alleenstaand"]}, {}, True, ("unknown", [], ["household"])),
        ({"required_target_group": "ouderen"}, {"target_groups": ["mantelzorgers", "ouderen"]}, True,
         ("eligible", [], [])),
        ({"required_target_group": "ouderen"}, {"target_groups": ["mantelzorgers"]}, True,
         ("not_eligible", ["required_target_group"], [])),
        ({"required_target_group": "ouderen"}, {}, True, ("unknown", [], ["target_groups"])),
        ({"must_live_in_area": True}, {}, True, ("eligible", [], [])),
        ({"must_live_in_area": True}, {}, False, ("not_eligible", ["must_live_in_area"], [])),
        ({"must_live_in_area": True}, {}, None, ("unknown", [], ["postcode"])),
        ({"must_live_in_area": False}, {}, None, ("eligible", [], [])),
        # Every failure is named, and a failure outweighs what is unknown (still listed).
        ({"min_age": 65, "max_income_pct_social_minimum": 100, "household_types": ["alleenstaand"],
          "must_live_in_area": True}, {"age": 40, "income_pct_social_minimum": 150}, False,
         ("not_eligible", ["min_age", "max_income_pct_social_minimum", "must_live_in_area"], ["household"])),
    ],
)
def test_rules_against_a_patient(
    rules: dict[str, Any] | None, patient: dict[str, Any], lives: bool | None, expected: tuple[str, list[str], list[str]]
) -> None:
    assert _verdict(rules, lives, **patient) == expected


def test_details_name_rule_and_patient_value_and_conditions_are_listed() -> None:
    rules = EligibilityRules(min_age=65, needs_beschikking=True, needs_gp_referral=True)
    failed = evaluate(rules, PatientAttributes(age=40), lives_in_service_area=True)
    assert failed.failed[0].detail == "Vanaf 65 jaar; patiënt is 40"
    assert failed.conditions == ["needs_beschikking", "needs_gp_referral"]
    unknown = evaluate(rules, PatientAttributes(), lives_in_service_area=True)
    assert unknown.unknown[0].missing == "age" and "niet opgegeven" in unknown.unknown[0].detail
    assert evaluate(EligibilityRules(), PatientAttributes(), lives_in_service_area=None).conditions == []


@pytest.fixture
def setup(engine: Engine) -> Iterator[tuple[TestClient, dict[str, uuid.UUID]]]:
    with Session(engine) as session, session.begin():
        make_region(session)
        organisation_id = make_organisation(session)
        ids = {
            "open": make_service(session, organisation_id, name="Open"),
            "ouderen": make_service(
                session, organisation_id, name="Ouderenhulp", areas=[WIJK],
                eligibility={"min_age": 65, "max_income_pct_social_minimum": 120, "must_live_in_area": True,
                             "household_types": ["alleenstaand", "paar_zonder_kinderen"],
                             "required_target_group": "ouderen", "needs_gp_referral": True},
            ),
            "buurt": make_service(session, organisation_id, name="Buurthulp", areas=[BUURT],
                                  eligibility={"must_live_in_area": True}),
            "nowhere": make_service(session, organisation_id, name="Overal", eligibility={"must_live_in_area": True}),
            "ended": make_service(session, organisation_id, name="Afgelopen regeling", status="ended"),
            "paused": make_service(session, organisation_id, name="Tijdelijk dicht", status="paused"),
        }
    with TestClient(create_app(engine)) as client:
        yield client, ids


def _check(client: TestClient, service_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/services/{service_id}/eligibility", json=body)


QUALIFYING = {"age": 70, "income_pct_social_minimum": 110, "household": "alleenstaand",
              "target_groups": ["ouderen"], "postcode": "9901 ab"}


def test_verdicts_over_the_api(setup) -> None:
    client, ids = setup
    response = _check(client, ids["ouderen"], QUALIFYING)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"verdict": "eligible", "failed": [], "unknown": [], "conditions": ["needs_gp_referral"]}

    young = _check(client, ids["ouderen"], {"age": 40}).json()
    assert young["verdict"] == "not_eligible"
    assert [o["rule"] for o in young["failed"]] == ["min_age"]
    assert {o["missing"] for o in young["unknown"]} == {"income_pct_social_minimum", "household", "target_groups", "postcode"}

    assert _check(client, ids["open"], {}).json()["verdict"] == "eligible"
    # No areas means open to anyone, so living in the area is never in doubt.
    assert _check(client, ids["nowhere"], {}).json()["verdict"] == "eligible"


@pytest.mark.parametrize(
    ("postcode", "verdict", "detail"),
    [
        ("9901AB", "not_eligible", "patiënt woont erbuiten"),  # its PC6 lies in the other buurt
        ("9901", "unknown", "postcode 9901 ligt deels in het werkgebied (geef de volledige postcode)"),  # spans both
        ("9901XY", "unknown", "de buurt van 9901XY is niet bekend en postcode 9901 ligt deels in het werkgebied"),
        (None, "unknown", "woonplek onbekend (geef de postcode van het woonadres)"),
    ],
    ids=["pc6", "pc4", "pc6-without-row", "none"],
)
def test_living_in_the_service_area_is_decided_from_the_postcode(
    setup, postcode: str | None, verdict: str, detail: str
) -> None:
    client, ids = setup
    patient = {"postcode": postcode} if postcode else {}
    body = _check(client, ids["buurt"], patient).json()
    assert body["verdict"] == verdict
    outcome = (body["failed"] or body["unknown"])[0]
    assert outcome["detail"] == f"Alleen voor inwoners van het werkgebied; {detail}"
    if verdict == "unknown":
        assert outcome["missing"] == "postcode"
    # A search from the PC4 matches Buurthulp on its buurt, which does not decide where the
    # patient lives: the same verdict (without their own postcode, the search's is theirs).
    search = {"postcode": "9901", "patient": patient}
    found = {i["service"]["name"]: i["eligibility"] for i in client.post("/api/v1/search", json=search).json()["items"]}
    assert found["Buurthulp"] == (body if postcode else _check(client, ids["buurt"], {"postcode": "9901"}).json())
    kept = client.post("/api/v1/search", json=search | {"eligible_only": True}).json()["items"]
    assert "Buurthulp" not in {i["service"]["name"] for i in kept}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"age": 130}, "age"),
        ({"age": -1}, "age"),
        ({"income_pct_social_minimum": 1001}, "income_pct_social_minimum"),
        ({"target_groups": ["geluksvogels"]}, "target_groups"),
        ({"household": "commune"}, "household"),
        ({"bsn": "123456782"}, "bsn"),
        ({"postcode": "0331AB"}, "postcode"),
        ({"postcode": "8888"}, "postcode"),  # unknown to the wijkkaart: a 404 would read as "no such service"
        ({"postcode": "9900"}, "postcode"),  # PO boxes only
    ],
)
def test_bad_input_is_a_422_naming_the_field(setup, body: dict[str, Any], field: str) -> None:
    client, ids = setup
    response = _check(client, ids["ouderen"], body)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == field


def test_a_service_that_takes_no_referrals_gets_no_verdict(setup) -> None:
    client, ids = setup
    for status in ("ended", "paused"):
        response = _check(client, ids[status], QUALIFYING)
        assert response.status_code == 409, response.text
        assert response.json()["field"] == "service_id" and status in response.json()["detail"]


def test_unknown_service_is_a_404(setup) -> None:
    client, _ = setup
    response = _check(client, uuid.uuid4(), {"age": 40})
    assert response.status_code == 404 and response.json()["type"] == "/problems/not-found"


LOGGERS = ["", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "starlette", "httpx",
           "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "wijkkaart"]


def test_patient_attributes_are_neither_logged_nor_stored(setup, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    client, ids = setup
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    with Session(engine) as session:
        changes_before = session.exec(select(func.count()).select_from(ChangeLogEntry)).one()
    # The patient's postcode is resolved by both (the search's own is another one).
    patient = {"age": 87, "income_pct_social_minimum": 113, "household": "alleenstaand", "postcode": "9901 xy"}
    response = _check(client, ids["ouderen"], patient)
    found = client.post("/api/v1/search", json={"postcode": "9901AB", "patient": patient, "eligible_only": False})
    assert found.status_code == 200 and found.headers["cache-control"] == "no-store"
    # The values are used (their rules are decided)...
    body = response.json()
    assert body["failed"] == [] and {"age", "income_pct_social_minimum"}.isdisjoint(o["missing"] for o in body["unknown"])
    verdicts = {item["service"]["name"]: item["eligibility"] for item in found.json()["items"]}
    assert verdicts["Ouderenhulp"]["failed"] == []
    # ...and the capture works (SQL is logged at this level), yet none of them is in any record.
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    # Bounded so that durations ("0.0087s") and UUID fragments do not count as a hit.
    value = re.compile(r"(?<![\w.])(87|113)(?!\w|\.\d)|9901 ?xy", re.IGNORECASE)
    for record in caplog.records:
        for text in (record.getMessage(), repr(record.args), record.exc_text or ""):
            assert not value.search(text), f"{record.name}: {text}"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ChangeLogEntry)).one() == changes_before


def test_a_search_or_check_with_patient_attributes_waits_for_no_writer(setup, engine: Engine) -> None:
    """They are POSTs that only read: on SQLite they must not take the database's one write
    lock (a writer holds it here), or each would queue behind every write and every other
    (and here wait out the busy timeout, then fail)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the single write lock is SQLite's")
    client, ids = setup
    writer = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        found = client.post("/api/v1/search", json={"postcode": "9901AB", "patient": QUALIFYING})
        checked = _check(client, ids["ouderen"], QUALIFYING)
        assert found.status_code == 200 and found.json()["items"], found.text
        assert checked.status_code == 200 and checked.json()["verdict"] == "eligible", checked.text
    finally:
        writer.execute("ROLLBACK")
        writer.close()
