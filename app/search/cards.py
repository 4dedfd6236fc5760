"""Search cards: each service's, location's and contact's part of a search result, as JSON
rendered in the transaction that writes the entry, so that a page reads them in one statement.

A page of twenty results carries some 250 rows (services, locations, their hours,
contacts). Read and built into output models per search, they would take about 9 ms of a 14 ms
search at 200,000 services; parsed from stored JSON they take a fraction of that. What
depends on the patient, the viewer or the clock (the nearest location, whom to call,
direct lines, the opening state, whether a contact is current) is decided per search
from the cards, never stored in them.

A card depends on its own entry alone, and a service's on its organisation's name, so
every write refreshes the cards of what it wrote: the change log's two append functions
publish to the search index (app/search/index/), which stores them; a bulk import of
services hands it the cards it made from the rows at hand. A card that is missing, or
rendered in another layout (FORMAT), is rendered on the fly by the search; `wijkkaart db
upgrade` renders them all.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import BindParameter, Date, Integer, String, and_, bindparam, cast, func, literal, null, select
from sqlmodel import Session

from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact, ContactArea
from app.db import space_joined, table_of
from app.entity import as_record
from app.locations import service as locations
from app.locations.models import Location, OpeningException, OpeningHours
from app.organisations.models import Organisation
from app.organisations.schemas import OrganisationRef
from app.search.models import SearchCard
from app.search.schemas import ServiceSummary
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceTargetGroup,
)
from app.services.schemas import EligibilityRules, WaitingTime
from app.services.service import eligibility_rules
from app.visibility import Viewer

# Raise when a card's layout changes: older cards then read as missing until re-rendered.
FORMAT = 2
SERVICE, LOCATION, CONTACT = "service", "location", "contact"

_card = table_of(SearchCard)
_location, _hours, _exception = (table_of(m) for m in (Location, OpeningHours, OpeningException))
_service, _organisation, _eligibility = (table_of(m) for m in (Service, Organisation, Eligibility))
_at, _domain, _group = (table_of(m) for m in (ServiceLocation, ServiceNeedDomain, ServiceTargetGroup))
_area, _contact, _contact_area = table_of(ServiceArea), table_of(Contact), table_of(ContactArea)
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_TODAY = bindparam("today", type_=Date())

_RULES = select(_eligibility).where(_eligibility.c.service_id.in_(_IDS))
_AREA_CODES = select(_area.c.service_id, _area.c.area_code).where(_area.c.service_id.in_(_IDS))
_RULE_COLUMNS = [c.name for c in _eligibility.c if c.name != "service_id"]

# The live services' columns a result shows, their organisation's name, need domain and
# target group codes, and eligibility rules (rule_*, all null without rules).
_SERVICES = (
    select(
        *(_service.c[name] for name in (
            "id", "name", "description", "cost", "cost_note", "languages", "organisation_id", "access_route",
            "waiting_days", "waiting_reported_on",
        )),
        _organisation.c.name.label("organisation_name"),
        space_joined(_domain.c.domain_code, _domain.c.service_id == _service.c.id).label("domain_codes"),
        space_joined(_group.c.group_code, _group.c.service_id == _service.c.id).label("group_codes"),
        _eligibility.c.service_id.label("rule_service_id"), *(_eligibility.c[n].label(f"rule_{n}") for n in _RULE_COLUMNS),
    )
    .join(_organisation, _organisation.c.id == _service.c.organisation_id)
    .outerjoin(_eligibility, _eligibility.c.service_id == _service.c.id)
    .where(_service.c.id.in_(_IDS), _service.c.deleted_at.is_(None))
)
_LOCATIONS = select(_location).where(_location.c.id.in_(_IDS), _location.c.deleted_at.is_(None))
# Weekly hours and dated exceptions in one round trip, each in its relationship's order.
_TIMES = (
    select(
        _hours.c.location_id, literal(True).label("weekly"), _hours.c.weekday, cast(null(), Date).label("date"),
        _hours.c.opens, _hours.c.closes, cast(null(), String).label("note"),
    )
    .where(_hours.c.location_id.in_(_IDS))
    .union_all(
        select(_exception.c.location_id, literal(False), cast(null(), Integer), _exception.c.date,
               _exception.c.opens, _exception.c.closes, _exception.c.note)
        .where(_exception.c.location_id.in_(_IDS))
    )
    .order_by("weekly", "weekday", "date", "opens")
)
# With the areas each covers (one row per area; area_code null without areas); id keeps
# a contact's rows together.
_CONTACTS = (
    select(_contact, _contact_area.c.area_code.label("covers"))
    .outerjoin(_contact_area, _contact_area.c.contact_id == _contact.c.id)
    .where(_contact.c.id.in_(_IDS), _contact.c.deleted_at.is_(None))
    .order_by(_contact.c.id)
)
# Cards keep the direct lines; a search redacts them for its viewer (contacts.card_view).
_SEES_DIRECT_LINES = Viewer(authenticated=True)


def card_of(kind: str, entity_id: Any, card: Any = _card) -> Any:
    """The join condition to an entry's card in the current layout."""
    return and_(card.c.kind == kind, card.c.entity_id == entity_id, card.c.format == FORMAT)


def _card_list(kind: str, entity: Any, source: Any, *where: Any) -> Any:
    """The cards of the entries `where` selects, comma-joined for a JSON array: each card's
    body, or for an entry without a card its id as a JSON string (read_page renders those).
    A correlated scalar subquery, so that a service's row brings its few cards along."""
    card = _card.alias(f"{kind}_card")
    joined = source.outerjoin(card, card_of(kind, entity.c.id, card))
    body = func.coalesce(card.c.body, literal('"') + cast(entity.c.id, String()) + literal('"'))
    return select(func.aggregate_strings(body, ",")).select_from(joined).where(*where).scalar_subquery()


# A page's cards in one round trip, a row per service: its card, its live locations' and its
# current contacts' (today within valid_from/valid_until). Joined per service in SQL, so
# that Python parses twenty rows rather than some seventy.
_PAGE = (
    select(
        _service.c.id, _card.c.body,
        _card_list(LOCATION, _location, _at.join(_location, _location.c.id == _at.c.location_id),
                   _at.c.service_id == _service.c.id, _location.c.deleted_at.is_(None)).label("locations"),
        _card_list(CONTACT, _contact, _contact,
                   _contact.c.service_id == _service.c.id, contacts.current_clause(_TODAY)).label("contacts"),
    )
    .select_from(_service.outerjoin(_card, card_of(SERVICE, _service.c.id)))
    .where(_service.c.id.in_(_IDS))
)


def service_card(
    service: Any, organisation_name: str, need_domains: Iterable[str], target_groups: Iterable[str],
    eligibility: EligibilityRules | None,
) -> dict[str, Any]:
    """A service's card: its summary, access route and waiting time. `service` is anything
    with the Service's columns (a row read back, or a bulk import's ServiceWrite)."""
    summary = ServiceSummary(
        id=service.id, name=service.name, description=service.description, cost=service.cost,
        cost_note=service.cost_note, languages=service.languages,
        organisation=OrganisationRef(id=service.organisation_id, name=organisation_name),
        need_domains=sorted(need_domains), target_groups=sorted(target_groups), eligibility=eligibility,
    )
    waiting = WaitingTime(days=service.waiting_days, reported_on=service.waiting_reported_on)
    return {"service": summary.model_dump(mode="json"), "access_route": service.access_route,
            "waiting_time": waiting.model_dump(mode="json")}


def render_services(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The cards of these live services."""
    cards = {}
    for row in session.execute(_SERVICES, {"ids": ids}):
        rules = SimpleNamespace(**{n: getattr(row, f"rule_{n}") for n in _RULE_COLUMNS}) \
            if row.rule_service_id is not None else None
        cards[row.id] = service_card(
            row, row.organisation_name, (row.domain_codes or "").split(), (row.group_codes or "").split(),
            eligibility_rules(SimpleNamespace(eligibility=rules)),
        )
    return cards


def render_locations(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The cards of these live locations: each as the API shows it, with its hours."""
    records = {row.id: as_record(row, opening_hours=[], exceptions=[]) for row in session.execute(_LOCATIONS, {"ids": ids})}
    if records:
        for row in session.execute(_TIMES, {"ids": list(records)}):
            (records[row.location_id].opening_hours if row.weekly else records[row.location_id].exceptions).append(row)
    return {location_id: locations.to_out(record).model_dump(mode="json") for location_id, record in records.items()}


def render_contacts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The cards of these live contacts, as contacts.to_out shows them with direct lines
    (is_current as of today: a search decides it anew, contacts.card_view)."""
    today = local_today()
    return {
        record.id: contacts.to_out(record, _SEES_DIRECT_LINES, today).model_dump(mode="json")
        for record in contacts.contact_records(session.execute(_CONTACTS, {"ids": ids}))
    }


RENDER = {SERVICE: render_services, LOCATION: render_locations, CONTACT: render_contacts}


class PageCards:
    """A page's cards by service: its card, its live locations' (name order), its current contacts'."""

    def __init__(self) -> None:
        self.services: dict[uuid.UUID, dict[str, Any]] = {}
        self.locations: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        self.contacts: defaultdict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)


def read_page(session: Session, service_ids: list[uuid.UUID], today: date) -> PageCards:
    """The cards of a page's services, in one statement; a missing one is rendered here
    (not stored: a search writes nothing)."""
    page = PageCards()
    if not service_ids:
        return page
    listed = []
    missing: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
    for row in session.execute(_PAGE, {"ids": service_ids, "today": today}):
        service = orjson.loads(row.body) if row.body is not None else None
        if service is None:
            missing[SERVICE].add(row.id)
        places, people = (orjson.loads(f"[{joined}]") if joined else [] for joined in (row.locations, row.contacts))
        for kind, cards in ((LOCATION, places), (CONTACT, people)):
            missing[kind].update(uuid.UUID(card) for card in cards if isinstance(card, str))
        listed.append((row.id, service, places, people))
    rendered = {kind: RENDER[kind](session, sorted(ids)) for kind, ids in missing.items() if ids}

    def in_order(kind: str, cards: list[Any]) -> list[dict[str, Any]]:
        # By name, then id, as Python compares them, so that both databases agree.
        found = [rendered[kind][uuid.UUID(card)] if isinstance(card, str) else card for card in cards]
        return sorted(found, key=lambda card: (card["name"], card["id"]))

    for service_id, service, places, people in listed:
        page.services[service_id] = service if service is not None else rendered[SERVICE][service_id]
        page.locations[service_id] = in_order(LOCATION, places)
        page.contacts[service_id] = in_order(CONTACT, people)
    return page


def load_eligibility(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, SimpleNamespace]:
    """Service id -> a record with `eligibility` (None without rules), for eligibility_rules, and
    `area_codes`, read only for the services whose rules ask residence in them."""
    rules = {row.service_id: row for row in session.execute(_RULES, {"ids": ids})}
    areas: defaultdict[uuid.UUID, set[str]] = defaultdict(set)
    if bound := [service_id for service_id, row in rules.items() if row.must_live_in_area]:
        for service_id, code in session.execute(_AREA_CODES, {"ids": bound}):
            areas[service_id].add(code)
    return {
        service_id: SimpleNamespace(eligibility=rules.get(service_id), area_codes=areas[service_id])
        for service_id in ids
    }
