"""Referrals: a practice refers with a code, the receiving side reports progress, the practice
reads the feedback; no patient data is taken anywhere."""

import io
import json
import logging
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text, update
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.ops.logs import HANDLER_NAME
from app.referrals import codes
from app.referrals.models import Referral
from app.referrals.service import acknowledge_deadline, add_working_days
from app.settings import get_settings
from tests.support.referral_world import World, make_world


@pytest.fixture
def world(api) -> World:
    return make_world(api)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the app's JSON log handler writes while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME)
    captured = io.StringIO()
    previous = handler.setStream(captured)  # type: ignore[attr-defined]
    try:
        yield captured
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


def test_a_referral_moves_to_afgesloten_and_the_practice_feed_shows_each_step(world: World) -> None:
    made = world.refer(contact_id=str(world.contact_id), need_domains=["financien", "sociaal_netwerk"], urgency="spoed")
    code = made["code"]
    assert codes.canonical(code) == code and made["status"] == "verstuurd" and made["urgency"] == "spoed"
    assert made["need_domains"] == ["financien", "sociaal_netwerk"] and made["niet_opgepakt"] is False
    feed = world.get("practice", "/api/v1/referrals/changes").json()
    assert [(c["code"], c["status"]) for c in feed["items"]] == [(code, "verstuurd")]

    seen = []
    for status in ("ontvangen", "contact_gelegd", "intake_gedaan"):
        moved = world.move(code, status)
        assert moved.status_code == 200, moved.text
        feed = world.get("practice", "/api/v1/referrals/changes", cursor=feed["next_cursor"]).json()
        seen += [c["status"] for c in feed["items"]]
    closed = world.move(code, "afgesloten", outcome="geholpen")
    assert closed.json()["status"] == "afgesloten" and closed.json()["outcome"] == "geholpen"
    feed = world.get("practice", "/api/v1/referrals/changes", cursor=feed["next_cursor"]).json()
    seen += [(c["status"], c["outcome"]) for c in feed["items"]]
    assert seen == ["ontvangen", "contact_gelegd", "intake_gedaan", ("afgesloten", "geholpen")]
    # Nothing new: the same cursor back, no items.
    again = world.get("practice", "/api/v1/referrals/changes", cursor=feed["next_cursor"]).json()
    assert again == {"items": [], "next_cursor": feed["next_cursor"]}

    read = world.get("practice", f"/api/v1/referrals/{code.lower().replace('-', '')}").json()
    assert [step["status"] for step in read["steps"]] == [
        "verstuurd", "ontvangen", "contact_gelegd", "intake_gedaan", "afgesloten",
    ]
    assert all(step["at"] for step in read["steps"]) and read["acknowledged_at"] == read["steps"][1]["at"]


def test_transitions_that_make_no_sense_are_a_409_naming_the_current_status(world: World) -> None:
    code = world.refer()["code"]
    assert world.move(code, "contact_gelegd").status_code == 200  # skipping ontvangen is fine
    backwards = world.move(code, "ontvangen")
    assert backwards.status_code == 409
    assert backwards.json()["current_status"] == "contact_gelegd" and "contact_gelegd" in backwards.json()["detail"]
    assert world.move(code, "contact_gelegd").status_code == 409
    assert world.move(code, "afgesloten").status_code == 422  # closing needs an outcome
    assert world.move(code, "intake_gedaan", outcome="geholpen").status_code == 422
    assert world.move(code, "afgesloten", outcome="geholpen", passed_on_service_id=str(world.other_service_id)).status_code == 422
    passed = world.move(code, "afgesloten", outcome="doorverwezen", passed_on_service_id=str(world.other_service_id))
    assert passed.status_code == 200 and passed.json()["passed_on_service_id"] == str(world.other_service_id)
    final = world.move(code, "afgesloten", outcome="geholpen")
    assert final.status_code == 409 and final.json()["current_status"] == "afgesloten"
    assert world.move(code, "ontvangen", note="belde terug").status_code == 422  # no free text


def test_the_practice_lists_its_own_by_status_and_since_keyset_paged(world: World) -> None:
    made = [world.refer()["code"] for _ in range(5)]
    world.move(made[0], "ontvangen")
    other = world.refer("practice_b")["code"]
    page = world.get("practice", "/api/v1/referrals", limit=2).json()
    listed = page["items"]
    while page["next_cursor"]:
        page = world.get("practice", "/api/v1/referrals", limit=2, cursor=page["next_cursor"]).json()
        listed += page["items"]
    assert [item["code"] for item in listed] == made[::-1] and other not in [item["code"] for item in listed]
    received = world.get("practice", "/api/v1/referrals", status="ontvangen").json()["items"]
    assert [item["code"] for item in received] == [made[0]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert world.get("practice", "/api/v1/referrals", since=future).json()["items"] == []
    incoming = world.get("provider", "/api/v1/referrals", direction="incoming", limit=100).json()["items"]
    assert {item["code"] for item in incoming} >= set(made) | {other}
    assert incoming[0].keys() >= {"code", "service_id", "created_at", "urgency", "status"}


@pytest.mark.parametrize("field", ["patient_name", "bsn", "birth_date", "postcode"])
def test_patient_data_is_refused_and_stored_logged_exported_nowhere(world: World, log_lines: io.StringIO, field: str) -> None:
    marker = f"Zeldzaam{field}Merkteken9137"
    body = {"service_id": str(world.service_id), "need_domains": ["financien"], field: marker}
    refused = world.post("practice", "/api/v1/referrals", body)
    assert refused.status_code == 422
    assert refused.json()["field"] == field and marker not in refused.text
    # A refused status change with a marker is refused alike.
    code = world.refer()["code"]
    sneaky = world.move(code, "ontvangen", **{field: marker})
    assert sneaky.status_code == 422 and marker not in sneaky.text
    world.move(code, "ontvangen")

    assert marker not in log_lines.getvalue()
    with world.api.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            assert marker not in repr(rows), table
    exports = [
        world.get("practice", "/api/v1/referrals/changes"), world.get("practice", "/api/v1/referrals"),
        world.get("provider", "/api/v1/referrals", direction="incoming"),
        world.get("admin", "/api/v1/changes"), world.get("admin", "/api/v1/export.ndjson"),
        world.get("admin", "/api/v1/audit"),
        *(world.get("admin", f"/api/v1/export/{entity}.csv") for entity in ("services", "contacts", "organisations")),
    ]
    assert all(response.status_code == 200 for response in exports), [r.status_code for r in exports]
    assert not [response.url for response in exports if marker in response.text]


ROLES = ["practice", "practice_b", "provider", "provider_other", "editor", "editor_other_gemeente", "admin", "anonymous"]


def test_role_matrix(world: World) -> None:
    code = world.refer()["code"]
    read = {who: world.get(who, f"/api/v1/referrals/{code}").status_code for who in ROLES}
    assert read == {"practice": 200, "practice_b": 404, "provider": 200, "provider_other": 404, "editor": 200,
                    "editor_other_gemeente": 404, "admin": 404, "anonymous": 401}
    acts = {who: world.move(code, "ontvangen", who=who).status_code for who in ROLES}
    # The first that may act moves it; those after it meet its new status (409) rather than a refusal.
    assert acts == {"practice": 403, "practice_b": 403, "provider": 200, "provider_other": 404, "editor": 409,
                    "editor_other_gemeente": 404, "admin": 404, "anonymous": 401}
    creates = {who: world.post(who, "/api/v1/referrals", {"service_id": str(world.service_id),
                                                          "need_domains": ["financien"]}).status_code for who in ROLES}
    assert creates == {"practice": 201, "practice_b": 201, "provider": 403, "provider_other": 403, "editor": 403,
                       "editor_other_gemeente": 403, "admin": 403, "anonymous": 401}
    incoming = {who: len(world.get(who, "/api/v1/referrals", direction="incoming").json().get("items", []))
                for who in ROLES if who not in ("practice", "practice_b", "anonymous")}
    assert incoming == {"provider": 3, "provider_other": 0, "editor": 3, "editor_other_gemeente": 0, "admin": 0}
    assert world.get("practice", "/api/v1/referrals", direction="incoming").status_code == 403
    assert world.get("provider", "/api/v1/referrals/changes").status_code == 403
    feeds = {who: [c["code"] for c in world.get(who, "/api/v1/referrals/changes").json()["items"]]
             for who in ("practice", "practice_b")}
    assert code in feeds["practice"] and code not in feeds["practice_b"]


def test_10000_codes_are_unique_and_none_is_accepted_with_one_character_changed() -> None:
    generated = [codes.new_code() for _ in range(10_000)]
    assert len(set(generated)) == 10_000
    assert codes.ENTROPY_BITS >= 50
    rng = random.Random(30)
    for code in generated:
        assert codes.canonical(code) == code
        body = code.replace("-", "")[2:]
        position = rng.randrange(len(body))
        changed = body[:position] + rng.choice(codes.ALPHABET.replace(body[position], "")) + body[position + 1:]
        assert codes.canonical(changed) is None, (code, changed)


def test_every_single_change_of_one_code_is_refused() -> None:
    body = codes.new_code().replace("-", "")[2:]
    for position in range(len(body)):
        for symbol in codes.ALPHABET.replace(body[position], ""):
            assert codes.canonical(body[:position] + symbol + body[position + 1:]) is None


def test_an_unknown_or_malformed_code_is_a_404(world: World) -> None:
    assert world.get("practice", "/api/v1/referrals/WK-0000-0000-000").status_code == 404
    assert world.get("practice", "/api/v1/referrals/not-a-code").status_code == 404


def test_working_days_skip_the_weekend() -> None:
    assert add_working_days(date(2026, 12, 4), 5) == date(2026, 12, 11)  # Friday -> next Friday
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # Saturday -> Monday
    deadline = acknowledge_deadline(datetime(2026, 12, 4, 10, tzinfo=UTC), 5)
    assert deadline.date() == date(2026, 12, 12) and deadline.hour == 0


def test_a_referral_nobody_acknowledged_in_time_is_niet_opgepakt(world: World) -> None:
    late, answered = world.refer()["code"], world.refer()["code"]
    with Session(world.api.engine) as session, session.begin():
        past = datetime.now(UTC) - timedelta(days=30)
        session.execute(update(Referral).where(Referral.code.in_([late, answered])).values(
            created_at=past, acknowledge_by=acknowledge_deadline(past, 5)))
    world.move(answered, "ontvangen")  # acknowledged, but long after its deadline
    fresh = world.refer()["code"]
    flags = {item["code"]: item["niet_opgepakt"] for item in world.get("practice", "/api/v1/referrals").json()["items"]}
    assert flags == {late: True, answered: True, fresh: False}
    assert world.get("practice", f"/api/v1/referrals/{late}").json()["niet_opgepakt"] is True
    # The owning gemeente's quality report counts the one still waiting; another gemeente's none.
    assert world.get("editor", "/api/v1/maintenance/stale").json()["signals"]["referrals_niet_opgepakt"] == 1
    assert world.get("editor_other_gemeente", "/api/v1/maintenance/stale").json()["signals"]["referrals_niet_opgepakt"] == 0


def test_purge_deletes_referrals_older_than_the_retention(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    old, kept = world.refer()["code"], world.refer()["code"]
    world.move(old, "ontvangen")
    with Session(world.api.engine) as session, session.begin():
        session.execute(update(Referral).where(Referral.code == old).values(month="2020-01"))
    monkeypatch.setenv("DATABASE_URL", world.api.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["referrals", "purge", "--months", "13"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 referral" in result.output
    assert world.get("practice", f"/api/v1/referrals/{old}").status_code == 404
    assert world.get("practice", f"/api/v1/referrals/{kept}").status_code == 200
    assert old not in json.dumps(world.get("practice", "/api/v1/referrals/changes").json())
