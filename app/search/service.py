"""Postcode search: candidates, ranking and the page cut in SQL (ranking.py); the page's
results put together from the stored cards of its services, locations and contacts
(cards.py). Only the returned page gets geopy's exact distance, contacts and opening state.
"""

import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, Integer, Uuid, column
from sqlmodel import Session

from app.areas.schemas import PostcodeOut
from app.areas.service import area_specificity, resolve_postcode
from app.clock import local_today
from app.contacts import service as contacts
from app.db import utcnow
from app.dialect.fulltext import PrefixQuery
from app.locations import service as locations
from app.locations.opening import combined_state, opening_state
from app.pagination import decode_cursor, encode_cursor
from app.search import cards, ranking
from app.search.cards import load_eligibility
from app.search.distance import PageDistances
from app.search.schemas import MATCH_LEVELS, Opening, SearchCriteria, SearchPlace
from app.search.text import prefix_query
from app.services.eligibility import EligibilityVerdict, PatientAttributes, patient_home, service_verdict
from app.services.service import eligibility_rules
from app.taxonomy.service import require_need_domains, require_target_groups
from app.visibility import Viewer

# The types a cursor's key is read back as (ranking.ORDER_KEYS).
_CURSOR_COLUMNS = [column("level", Integer()), column("neg_relevance", Float()), column("d2", Float()),
                   column("id", Uuid())]
RING_KM = 2.0  # see _rings


def search_place(criteria: SearchCriteria, resolved: PostcodeOut | None) -> SearchPlace:
    """Where the search is centred: the resolved postcode, or the point asked."""
    if resolved is None:
        return SearchPlace(postcode=None, resolved_via=None, lat=criteria.lat, lon=criteria.lon,  # type: ignore[arg-type]
                           gemeente=None, wijken=[], buurten=[])
    return SearchPlace(
        postcode=resolved.postcode, resolved_via=resolved.resolved_via, lat=resolved.lat, lon=resolved.lon,
        gemeente=resolved.gemeente.code if resolved.gemeente else None,
        wijken=[w.code for w in resolved.wijken], buurten=[b.code for b in resolved.buurten],
    )


def _level_groups(place: SearchPlace) -> list[tuple[int, ...]]:
    """The match levels to rank, a group at a time, most specific first: buurt and wijk
    together (a few dozen services), then the gemeente, then the radius, then the services
    without areas and locations (anywhere).

    Ranking a group at a time lets a page that the buurt and wijk fill stop before the
    gemeente and the radius, which nationally hold thousands of services; a text query
    tests and scores only the candidates of the levels it reaches.
    """
    codes = ranking.area_codes(place)
    levels = [level for level in range(len(MATCH_LEVELS)) if level in ranking.PLACE_FREE_LEVELS or codes[level]]
    small = tuple(level for level in levels if level < ranking.GEMEENTE_LEVEL)
    return ([small] if small else []) + [(level,) for level in levels if level >= ranking.GEMEENTE_LEVEL]


def _rings(criteria: SearchCriteria, levels: tuple[int, ...]) -> list[float | None]:
    """Rings to try before the whole level: only where a level is ordered by distance
    alone (no text relevance) and large (a gemeente, or the radius beyond the ring)."""
    level = levels[0]
    large = level == ranking.GEMEENTE_LEVEL or (level == ranking.RADIUS_LEVEL and criteria.radius_km > RING_KM)
    return [RING_KM, None] if len(levels) == 1 and large and not criteria.q else [None]


def _ranked_batches(
    session: Session, criteria: SearchCriteria, place: SearchPlace, query: PrefixQuery | None, after: list[Any] | None
) -> Iterator[list[Any]]:
    """The ranked candidates after `after`, in order, criteria.limit + 1 at a time."""
    name = session.get_bind().dialect.name
    size = criteria.limit + 1
    for levels in _level_groups(place):
        if after is not None and max(levels) < after[0]:
            continue
        for ring in _rings(criteria, levels):
            # A ring that comes back short holds no more: the next one goes on after its last row.
            while True:
                statement = ranking.batch_statement(
                    ranking.shape(name, criteria, query, levels, after is not None, ring is not None)
                )
                rows = session.execute(statement, ranking.parameters(criteria, place, query, after, size, ring)).all()
                if rows:
                    yield list(rows)
                    after = [getattr(rows[-1], key) for key in ranking.ORDER_KEYS]
                if len(rows) < size:
                    break


def search(
    session: Session,
    criteria: SearchCriteria,
    viewer: Viewer,
    *,
    patient: PatientAttributes | None = None,
    eligible_only: bool = False,
) -> dict[str, Any]:
    """The page as JSON data in SearchPage's shape (tests/search/test_search_cards.py validates it):
    its results are put together from stored cards, with no output model built per search."""
    resolved = resolve_postcode(session, criteria.postcode) if criteria.postcode is not None else None
    place = search_place(criteria, resolved)
    home = None
    if patient is not None:
        require_target_groups(session, patient.target_groups, "patient.target_groups")
        home = _home(session, patient, resolved)
    query = prefix_query(session, criteria.q) if criteria.q else None
    if criteria.domain:
        require_need_domains(session, criteria.domain, "domain")
    if criteria.target_group:
        require_target_groups(session, [criteria.target_group], "target_group")
    scope = _scope(criteria, patient, eligible_only)
    after = decode_cursor(scope, criteria.cursor, _CURSOR_COLUMNS) if criteria.cursor else None
    page: list[tuple[Any, EligibilityVerdict | None]] = []
    next_cursor = None
    for rows in _ranked_batches(session, criteria, place, query, after):
        rules = load_eligibility(session, [row.id for row in rows]) if patient is not None else {}
        for row in rows:
            if len(page) == criteria.limit:
                next_cursor = encode_cursor(scope, [getattr(page[-1][0], key) for key in ranking.ORDER_KEYS])
                break
            # Decided as the eligibility endpoint decides it: a search's area match does not say
            # the patient lives there (their own postcode may differ; a PC4 may straddle the area).
            verdict = None
            if patient is not None:
                record = rules[row.id]
                verdict = service_verdict(eligibility_rules(record), record.area_codes, patient, home)
            if eligible_only and (verdict is None or verdict.verdict != "eligible"):
                continue
            page.append((row, verdict))
        if next_cursor:
            break
    return {
        "items": _results(session, page, criteria, place, viewer),
        "next_cursor": next_cursor,
        "limit": criteria.limit,
        "place": place.model_dump(mode="json"),
    }


def _home(session: Session, patient: PatientAttributes, resolved: PostcodeOut | None) -> PostcodeOut | None:
    """Where the patient lives, resolved once per search: their own postcode when given, else
    the search's; None after a search by point (a point is not an address)."""
    if patient.postcode is None or (resolved is not None and resolved.postcode == patient.postcode):
        return resolved
    return patient_home(session, patient.postcode, "patient.postcode")


def _scope(criteria: SearchCriteria, patient: PatientAttributes | None, eligible_only: bool) -> str:
    """Cursors are bound to the criteria they were issued for (patient values only as a hash)."""
    fingerprint = criteria.model_dump_json(exclude={"cursor", "limit"})
    fingerprint += patient.model_dump_json() if patient else ""
    return "search:" + hashlib.sha256(f"{fingerprint}{eligible_only}".encode()).hexdigest()[:16]


def _moment(criteria: SearchCriteria) -> datetime | None:
    if criteria.open_now:
        return utcnow()
    if criteria.open_at is None:
        return None
    return criteria.open_at


def _opening(live: list[dict[str, Any]], moment: datetime) -> dict[str, Any]:
    """The service's opening state at `moment`, from its locations' cards."""
    states = [opening_state(locations.opening_times(loc), moment) for loc in live]
    return Opening(state=combined_state(states), at=moment).model_dump(mode="json")


def _contact(candidates: list[dict[str, Any]], levels: dict[str, int], viewer: Viewer, today: date) -> dict[str, Any] | None:
    """Whom to call, from the service's current contacts' cards (contacts.choose_contact's rule)."""
    person = contacts.choose_contact([contacts.choice_record(card) for card in candidates], levels)
    if person is None:
        return None
    return contacts.card_view(person.card, viewer, today)


def _results(
    session: Session,
    page: list[tuple[Any, EligibilityVerdict | None]],
    criteria: SearchCriteria,
    place: SearchPlace,
    viewer: Viewer,
) -> list[dict[str, Any]]:
    today = local_today()
    moment = _moment(criteria)
    found = cards.read_page(session, [row.id for row, _ in page], today)
    levels = area_specificity(place.buurten, place.wijken, place.gemeente)
    distances = PageDistances(place.lat, place.lon)
    results = []
    for row, verdict in page:
        card, live = found.services[row.id], found.locations[row.id]
        nearest = distances.nearest(live)
        results.append({
            "service": card["service"],
            "match": MATCH_LEVELS[row.level],
            "distance_km": nearest[0] if nearest else None,
            "nearest_location": nearest[1] if nearest else None,
            "access_route": card["access_route"],
            "waiting_time": card["waiting_time"],
            "opening": _opening(live, moment) if moment else None,
            "contact": _contact(found.contacts[row.id], levels, viewer, today),
            "eligibility": verdict.model_dump(mode="json") if verdict else None,
        })
    return results
