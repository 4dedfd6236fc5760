"""Use monitoring: counts with every count of 1 to 4 suppressed and none derivable from the sums;
searches counted from GET criteria only."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import update
from sqlmodel import Session

from app.monitoring.suppression import PROTECTING, SMALL, suppress
from app.referrals.models import Referral
from app.referrals.schemas import Outcome, Status
from tests.support.referral_world import World, make_world

STATUS_SUM = ("total", [f"by_status.{s}" for s in Status])
OUTCOME_SUM = (f"by_status.{Status.afgesloten}", [f"by_outcome.{o}" for o in Outcome])


@pytest.fixture
def world(api) -> World:
    return make_world(api)


def _flat(cell: dict) -> dict:
    return {"total": cell["total"], "niet_opgepakt": cell["niet_opgepakt"],
            **{f"by_status.{k}": v for k, v in cell["by_status"].items()},
            **{f"by_outcome.{k}": v for k, v in cell["by_outcome"].items()}}


def _possible(shown: dict, name: str, bound: int) -> range:
    """What a reader knows of a count from what is shown."""
    value = shown[name]
    if value == SMALL:
        return range(1, 5)
    if value == PROTECTING:
        return range(5, bound + 1)
    return range(value, value + 1)


def assert_nothing_small_is_derivable(shown: dict, sums: list[tuple[str, list[str]]]) -> None:
    """No count of 1 to 4 is shown, and for each sum every hidden member can take two values or more
    (by brute force over what the markers allow)."""
    assert not [name for name, value in shown.items() if isinstance(value, int) and 0 < value < 5], shown
    bound = 60
    for total, parts in sums:
        members = [total, *parts]
        hidden = [m for m in members if not isinstance(shown[m], int)]
        if not hidden:
            continue
        options: dict[str, set[int]] = {m: set() for m in hidden}
        for values in product(*(_possible(shown, m, bound) for m in hidden)):
            guess = {m: shown[m] for m in members if m not in hidden} | dict(zip(hidden, values, strict=False))
            if guess[total] == sum(guess[p] for p in parts):
                for m, v in zip(hidden, values, strict=False):
                    options[m].add(v)
        assert all(len(found) >= 2 for found in options.values()), (total, shown, options)


def test_suppression_of_random_tables_hides_every_small_count_and_lets_none_be_worked_out() -> None:
    rng = random.Random(30)
    parts = [f"p{i}" for i in range(4)]
    for _ in range(2000):
        values = {p: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14]) for p in parts}
        values["t"] = sum(values.values())
        shown = suppress(values, [("t", parts)])
        assert all(shown[n] == v for n, v in values.items() if isinstance(shown[n], int))
        assert_nothing_small_is_derivable(shown, [("t", parts)])


def _cells(world: World, who: str) -> list[dict]:
    response = world.get(who, "/api/v1/monitoring/referrals")
    assert response.status_code == 200, response.text
    return response.json()["cells"]


def test_cells_of_one_to_four_are_never_returned_nor_derivable(world: World) -> None:
    small = [world.refer()["code"] for _ in range(3)]  # a cell of 3
    world.move(small[0], "ontvangen")
    world.move(small[1], "afgesloten", outcome="geholpen")
    larger = [world.refer(need_domains=["werk_opleiding"])["code"] for _ in range(7)]  # 6 verstuurd, 1 ontvangen
    world.move(larger[0], "ontvangen")
    for who in ("admin", "editor", "provider"):
        cells = _cells(world, who)
        by_domain = {cell["need_domain"]: cell for cell in cells if cell["service_id"] == str(world.service_id)}
        assert by_domain["financien"]["total"] == SMALL
        assert by_domain["werk_opleiding"]["total"] == 7
        assert by_domain["werk_opleiding"]["by_status"]["ontvangen"] == SMALL
        assert by_domain["werk_opleiding"]["by_status"]["verstuurd"] == PROTECTING
        for cell in cells:
            assert_nothing_small_is_derivable(_flat(cell), [STATUS_SUM, OUTCOME_SUM])
            assert cell["median_days_to_first_contact"] is None  # fewer than 5 contacts
    text = world.get("admin", "/api/v1/monitoring/referrals", format="csv").text
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows and {"total", "by_status.ontvangen", "by_outcome.geholpen"} <= rows[0].keys()
    assert not [value for row in rows for name, value in row.items()
                if name not in ("month", "gemeente", "need_domain", "service_id") and value in ("1", "2", "3", "4")]


def test_monitoring_roles(world: World) -> None:
    world.refer()
    status = {who: world.get(who, "/api/v1/monitoring/referrals").status_code
              for who in ("admin", "editor", "editor_other_gemeente", "provider", "provider_other", "practice",
                          "reader", "anonymous")}
    assert status == {"admin": 200, "editor": 200, "editor_other_gemeente": 200, "provider": 200,
                      "provider_other": 200, "practice": 403, "reader": 403, "anonymous": 401}
    assert _cells(world, "editor_other_gemeente") == [] and _cells(world, "provider_other") == []
    assert len(_cells(world, "provider")) == 1


def test_median_days_and_share_niet_opgepakt_show_from_five(world: World) -> None:
    codes = [world.refer()["code"] for _ in range(8)]
    for code in codes[:5]:
        world.move(code, "contact_gelegd")
    (cell,) = [c for c in _cells(world, "admin") if c["service_id"] == str(world.service_id)]
    # 3 verstuurd ("<5") and 5 contact_gelegd (hidden too: 8 - 5 would give the 3 away).
    assert cell["total"] == 8 and cell["by_status"]["contact_gelegd"] == PROTECTING
    assert cell["median_days_to_first_contact"] == 0.0
    assert cell["niet_opgepakt"] == 0 and cell["niet_opgepakt_share"] == 0.0


def test_searches_are_counted_from_get_criteria_only(world: World) -> None:
    for _ in range(6):
        assert world.get("practice", "/api/v1/search", postcode="4331AB", domain="financien", q="schulden").status_code == 200
    # Far out at sea of everything local: nothing within 5 km for an unknown word.
    for _ in range(5):
        world.get("anonymous", "/api/v1/search", lat=53.5, lon=7.2, q="zzonbekendwoord")
        world.get("anonymous", "/api/v1/search", lat=53.5, lon=7.2, q="zzgeslotenwoord", open_only="true")
    posted = world.api.client.post("/api/v1/search", json={
        "postcode": "4331AB", "q": "eenzaamheidpost", "patient": {"age": 70}}, headers=world.api.headers("practice"))
    assert posted.status_code == 200
    cells = world.get("admin", "/api/v1/monitoring/searches").json()["cells"]
    found = {(c["gemeente"], c["dimension"], c["value"]): (c["searches"], c["found_nothing"]) for c in cells}
    assert found[("GM0687", "domain", "financien")] == (6, 0)
    assert found[("GM0687", "stem", "schuld")][0] == 6
    stems = {c["value"] for c in cells if c["dimension"] == "stem"}
    assert not [stem for stem in stems if "eenzaam" in stem]  # the POST was not counted
    far = [c for c in cells if c["value"] and c["value"].startswith("zzonbekend")]
    assert far and far[0]["found_nothing"] == 5
    # Nothing open at that moment is no missing help: a search for what is open never counts as found nothing.
    closed = [c for c in cells if c["value"] and c["value"].startswith("zzgesloten")]
    assert closed and closed[0]["searches"] == 5 and closed[0]["found_nothing"] == 0
    assert world.get("editor_other_gemeente", "/api/v1/monitoring/searches").json()["cells"] == [
        c for c in cells if c["gemeente"] == "GM0718"]
    assert world.get("practice", "/api/v1/monitoring/searches").status_code == 403
    assert all(c["month"] for c in cells) and not [c for c in cells if c["searches"] in (1, 2, 3, 4)]


def test_demo_walkthrough(world: World) -> None:
    """A practice refers, the provider moves it to afgesloten/geholpen, the practice's feed shows each
    step, monitoring shows it as <5, and a contact_niet_bereikbaar report reaches the gemeente's queue."""
    code = world.refer(contact_id=str(world.contact_id))["code"]
    for status in ("ontvangen", "contact_gelegd", "intake_gedaan"):
        assert world.move(code, status).status_code == 200
    assert world.move(code, "afgesloten", outcome="geholpen").status_code == 200
    feed = world.get("practice", "/api/v1/referrals/changes").json()["items"]
    assert [(c["code"], c["status"], c["outcome"]) for c in feed] == [
        (code, "verstuurd", None), (code, "ontvangen", None), (code, "contact_gelegd", None),
        (code, "intake_gedaan", None), (code, "afgesloten", "geholpen"),
    ]
    (cell,) = [c for c in _cells(world, "editor") if c["service_id"] == str(world.service_id)]
    assert cell["total"] == SMALL and cell["by_outcome"]["geholpen"] == SMALL
    report = world.post("practice", f"/api/v1/contacts/{world.contact_id}/reports", {"kind": "contact_niet_bereikbaar"})
    assert report.status_code == 201
    queue = world.get("editor", "/api/v1/reports", status="open").json()["items"]
    assert [(r["entity_id"], r["kind"]) for r in queue] == [(str(world.contact_id), "contact_niet_bereikbaar")]


def test_niet_opgepakt_counts_those_past_their_deadline_and_those_acknowledged_late(world: World) -> None:
    codes = [world.refer()["code"] for _ in range(7)]
    with Session(world.api.engine) as session, session.begin():
        session.execute(update(Referral).where(Referral.code.in_(codes[:5])).values(
            acknowledge_by=datetime.now(UTC) - timedelta(days=1)))
    world.move(codes[0], "ontvangen")  # acknowledged, but after its deadline
    (cell,) = [c for c in _cells(world, "admin") if c["service_id"] == str(world.service_id)]
    assert cell["total"] == 7 and cell["niet_opgepakt"] == 5 and cell["niet_opgepakt_share"] == round(5 / 7, 3)
