"""Search cards (app/search/cards.py): every write path leaves them as a fresh rendering
would, and a page put together from them is a valid SearchPage, with or without them."""

import uuid
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session
from typer.testing import CliRunner

from app.changelog import service as changelog_service
from app.cli import app as cli
from app.contacts.models import Contact
from app.demo import load_demo
from app.locations.models import Location
from app.search import cards
from app.search.index import cards as index_cards
from app.search.models import SearchCard
from app.search.schemas import SearchCriteria, SearchPage
from app.search.service import search
from app.search.text import text_matches
from app.services.models import Service
from app.settings import get_settings
from app.visibility import ANONYMOUS, Viewer
from tests.conftest import Api
from tests.maintenance.test_write_scope import CONTACT, LOCATION, ORGANISATION
from tests.maintenance.test_write_scope import SERVICE as SERVICE_ID

LIVE = {cards.SERVICE: Service, cards.LOCATION: Location, cards.CONTACT: Contact}
SEARCHES = [
    SearchCriteria(postcode="4331AB"), SearchCriteria(postcode="4337", domain=["financien"]),
    SearchCriteria(postcode="4388", open_at=datetime(2026, 12, 18, 10, 0), limit=100),
    SearchCriteria(postcode="4382", radius_km=20),
    SearchCriteria(postcode="4357", q="schulden"),
]


def assert_cards_fresh(session: Session) -> None:
    """Every live service, location and contact has a card in the current layout, equal to
    what rendering it now gives; no other cards are stored."""
    stored = {(card.kind, card.entity_id): card for card in session.exec(select(SearchCard)).scalars()}
    assert {card.format for card in stored.values()} <= {cards.FORMAT}
    for kind, model in LIVE.items():
        live = list(session.exec(select(model.id).where(model.deleted_at.is_(None))).scalars())
        fresh = cards.RENDER[kind](session, live)
        assert set(fresh) == set(live)
        assert {entity_id for k, entity_id in stored if k == kind} == set(live), kind
        for entity_id, card in fresh.items():
            assert orjson.loads(stored[kind, entity_id].body) == card, (kind, entity_id)


def _etag(api: Api, path: str) -> dict[str, str]:
    response = api.client.get(path, headers=api.headers("admin"))
    assert response.status_code == 200, response.text
    return api.headers("admin", **{"If-Match": response.headers["ETag"]})


def test_the_demo_seed_leaves_every_card_fresh(demo_engine) -> None:
    with Session(demo_engine) as session:
        assert_cards_fresh(session)


def test_every_write_path_keeps_the_cards_fresh(api: Api) -> None:
    """The API's writes (an organisation's name is on its services' cards), verify, erase,
    delete and a bulk import: each refreshes the cards of what it wrote."""
    writes = [
        ("patch", f"/api/v1/organisations/{ORGANISATION}", {"name": "Loket Voorbeeldzorg Walcheren"}),
        ("patch", f"/api/v1/services/{SERVICE_ID}", {"waiting_days": 12, "need_domains": ["financien"]}),
        ("patch", f"/api/v1/locations/{LOCATION}", {"opening_hours": [{"weekday": 2, "opens": "08:00", "closes": "12:00"}]}),
        ("patch", f"/api/v1/contacts/{CONTACT}", {"phone": "0118 000 111", "areas": []}),
    ]
    for method, path, body in writes:
        response = getattr(api.client, method)(path, json=body, headers=_etag(api, path))
        assert response.status_code == 200, (path, response.text)
    assert api.client.post(f"/api/v1/locations/{LOCATION}/verify", headers=api.headers("admin")).status_code == 200
    assert api.client.post(f"/api/v1/contacts/{CONTACT}/erase", headers=api.headers("admin")).status_code == 200
    row = {"external_id": "GM0687-CARD-1", "organisation_id": ORGANISATION, "name": "Budgetcursus",
           "need_domains": ["financien"], "access_route": "vrij_toegankelijk", "areas": ["GM0687"]}
    imported = api.client.post("/api/v1/import", json={"services": [row]}, headers=api.headers("admin"))
    assert imported.status_code == 200, imported.text
    with Session(api.engine) as session:
        assert_cards_fresh(session)
        cards_of = {card.entity_id: orjson.loads(card.body) for card in session.exec(select(SearchCard)).scalars()}
    # What the writes changed is what the cards say.
    service = next(c for c in cards_of.values() if c.get("service", {}).get("id") == SERVICE_ID)
    assert service["waiting_time"]["days"] == 12 and service["service"]["need_domains"] == ["financien"]
    assert service["service"]["organisation"]["name"] == "Loket Voorbeeldzorg Walcheren"
    location = next(c for c in cards_of.values() if c.get("id") == LOCATION and "opening_hours" in c)
    assert [(h["weekday"], h["opens"]) for h in location["opening_hours"]] == [(2, "08:00:00")]
    assert CONTACT not in {str(entity_id) for entity_id in cards_of}  # erased: gone from the cards


def test_a_search_page_is_a_valid_search_page_with_the_cards_and_without(api: Api) -> None:
    """A page validates against SearchPage, and reads the same when every card is missing
    (rendered on the fly) or in an older layout; render_missing then stores them again."""
    viewers = (ANONYMOUS, Viewer(authenticated=True))
    with Session(api.engine) as session:
        pages = [search(session, criteria, viewer) for criteria in SEARCHES for viewer in viewers]
    assert all(page["items"] for page in pages)
    for page in pages:
        assert SearchPage.model_validate(page).model_dump(mode="json") == page
    with Session(api.engine) as session, session.begin():  # some missing, some not, within one service
        session.execute(delete(SearchCard).where(SearchCard.kind == cards.CONTACT, SearchCard.entity_id.in_(
            select(Contact.id).where(Contact.is_general))))
    with Session(api.engine) as session:
        assert [search(session, criteria, viewer) for criteria in SEARCHES for viewer in viewers] == pages
    with Session(api.engine) as session, session.begin():
        session.execute(update(SearchCard).where(SearchCard.kind == cards.LOCATION).values(format=cards.FORMAT - 1))
        session.execute(delete(SearchCard).where(SearchCard.kind != cards.LOCATION))
    with Session(api.engine) as session:
        assert [search(session, criteria, viewer) for criteria in SEARCHES for viewer in viewers] == pages
    with Session(api.engine) as session, session.begin():
        assert index_cards.render_missing(session) > 0
        session.execute(delete(SearchCard).where(SearchCard.format != cards.FORMAT))
    with Session(api.engine) as session:
        assert_cards_fresh(session)


@pytest.mark.parametrize("viewer", [ANONYMOUS, Viewer(authenticated=True)])
def test_the_contact_on_a_page_follows_the_viewer_and_today(demo_engine, viewer) -> None:
    """Direct lines are redacted per viewer from the cards, which hold them; every contact shown is current."""
    with Session(demo_engine) as session:
        page = search(session, SearchCriteria(postcode="4337", limit=100), viewer)
    shown = [item["contact"] for item in page["items"] if item["contact"]]
    assert shown and all(contact["is_current"] for contact in shown)
    if viewer.sees_direct_lines:
        assert all(contact["redacted"] == [] for contact in shown) and any(contact["phone"] for contact in shown)
    else:
        assert all(contact["phone"] is None and contact["redacted"] for contact in shown)


@pytest.fixture
def no_change_listeners(monkeypatch: pytest.MonkeyPatch) -> None:
    """The change log with no listener, as in a process where no entry point has started yet."""
    monkeypatch.setattr(changelog_service, "_listeners", [])


def test_the_app_makes_the_cards_follow_its_writes(no_change_listeners: None, api: Api) -> None:
    path = f"/api/v1/services/{SERVICE_ID}"
    response = api.client.patch(path, json={"waiting_days": 17, "name": "Klusbus"}, headers=_etag(api, path))
    assert response.status_code == 200, response.text
    with Session(api.engine) as session:
        assert_cards_fresh(session)
        card = session.exec(select(SearchCard).where(SearchCard.entity_id == uuid.UUID(SERVICE_ID))).scalar_one()
        found = session.exec(select(text_matches(session, "klusbus").c.service_id)).scalars().all()
    assert orjson.loads(card.body)["waiting_time"]["days"] == 17
    assert [str(service_id) for service_id in found] == [SERVICE_ID]


def test_the_demo_loader_makes_the_cards_follow_its_writes(no_change_listeners: None, session: Session) -> None:
    load_demo(session)
    session.commit()
    assert_cards_fresh(session)
    assert session.exec(select(func.count()).select_from(SearchCard)).scalar_one() > 0


def test_the_command_line_makes_the_cards_follow_its_writes(
    no_change_listeners: None, writable_demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", writable_demo.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        exported = tmp_path / "organisations.csv"
        assert CliRunner().invoke(cli, ["export", "organisations", "-o", str(exported)]).exit_code == 0
        renamed = exported.read_text(encoding="utf-8").replace("Fictief Middelburg", "Fictief Walcheren")
        assert renamed != exported.read_text(encoding="utf-8")
        exported.write_text(renamed, encoding="utf-8")
        done = CliRunner().invoke(cli, ["import", str(exported)])
        assert done.exit_code == 0, done.output
    finally:
        get_settings.cache_clear()
    with Session(writable_demo) as session:
        assert_cards_fresh(session)
        names = {orjson.loads(card.body).get("service", {}).get("organisation", {}).get("name")
                 for card in session.exec(select(SearchCard)).scalars()}
    assert "Stichting Sociaal Wijkteam Fictief Walcheren" in names
