"""Postcode search: candidates found, filtered and ranked in the worker's read model
(memory.py); the page's results put together from the stored cards of its services,
locations and contacts (cards.py). Only the returned page gets geopy's exact distance,
contacts and opening state; with open_only, the model's opening times keep the open candidates.
"""

import itertools
import operator
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Float, Integer, Uuid, column
from sqlmodel import Session

from app.areas.schemas import PostcodeOut
from app.areas.service import area_specificity
from app.clock import local_today
from app.contacts import service as contacts
from app.db import utcnow
from app.locations import service as locations
from app.locations.opening import combined_state, opening_state
from app.pagination import decode_cursor, encode_cursor, keyed_scope
from app.postcode import normalise_postcode
from app.search import cards, memory, ranking, text
from app.search.cards import load_eligibility
from app.search.distance import PageDistances
from app.search.memory import READ_MODELS
from app.search.ranking import from_number
from app.search.relevance import Judge, Judgement
from app.search.schemas import MATCH_LEVELS, Opening, SearchCriteria, SearchPlace
from app.search.text import QueryWord, SearchTerms, relaxed_terms, search_terms
from app.services.eligibility import EligibilityVerdict, PatientAttributes, patient_home, service_verdict
from app.services.service import eligibility_rules
from app.taxonomy.service import require_need_domains, require_target_groups
from app.visibility import Viewer

# The types a cursor's key is read back as (ranking.ORDER_KEYS, and with q TEXT_ORDER_KEYS).
_CURSOR_COLUMNS: list[ColumnElement[Any]] = [column("level", Integer()), column("d2", Float()), column("id", Uuid())]
TEXT_ORDER_KEYS = ("neg_band", "level", "neg_fine", "d2", "id")
_TEXT_CURSOR_COLUMNS: list[ColumnElement[Any]] = [
    column("neg_band", Integer()), column("level", Integer()), column("neg_fine", Float()), column("d2", Float()),
    column("id", Uuid()),
]
# A search with q scores at most this many matches, the most specific and nearest first:
# bands come before levels, so every match is scored before the first page is cut.
MAX_TEXT_CANDIDATES = 5000


def search_place(criteria: SearchCriteria, resolved: PostcodeOut | None) -> SearchPlace:
    """Where the search is centred: the resolved postcode, or the point asked."""
    if resolved is None:
        return SearchPlace(postcode=None, resolved_via=None, lat=criteria.lat, lon=criteria.lon,
                           gemeente=None, wijken=[], buurten=[])
    return SearchPlace(
        postcode=resolved.postcode, resolved_via=resolved.resolved_via, lat=resolved.lat, lon=resolved.lon,
        gemeente=resolved.gemeente.code if resolved.gemeente else None,
        wijken=[w.code for w in resolved.wijken], buurten=[b.code for b in resolved.buurten],
    )


def _level_groups(criteria: SearchCriteria, place: SearchPlace) -> list[tuple[int, ...]]:
    """The match levels to rank, a group at a time, most specific first: buurt and wijk
    together (a few dozen services), then the gemeente, then the radius, then the services
    without areas and locations (anywhere; never open, so not with open_only).

    Ranking a group at a time lets a page that the buurt and wijk fill stop before the
    gemeente and the radius, which nationally hold thousands of services; a text query
    tests and scores only the candidates of the levels it reaches.
    """
    codes = ranking.area_codes(place)
    levels = [level for level in range(len(MATCH_LEVELS)) if level in ranking.PLACE_FREE_LEVELS or codes[level]]
    if criteria.open_only:
        levels.remove(ranking.ANYWHERE_LEVEL)
    small = tuple(level for level in levels if level < ranking.GEMEENTE_LEVEL)
    return ([small] if small else []) + [(level,) for level in levels if level >= ranking.GEMEENTE_LEVEL]


class _Ranked(NamedTuple):
    """A candidate's place in a search without q (ranking.ORDER_KEYS)."""

    level: int
    d2: float
    id: int  # the number of its UUID (ranking.id_number)


def _where(criteria: SearchCriteria, place: SearchPlace) -> memory.Place:
    return memory.Place(place.lat, place.lon, tuple(frozenset(codes) for codes in ranking.area_codes(place)),
                        criteria.radius_km)


def _found(reading: memory.Reading, where: memory.Place, levels: tuple[int, ...],
           keep: memory.Keep) -> Iterator[tuple[int, memory.Entry]]:
    """The (level, entry) of the services these levels find here that pass the search's filters (`keep`)."""
    model, overlay = reading.model, reading.overlay
    for level in levels:
        entries = (memory.by_radius(model, overlay, where, keep) if level == ranking.RADIUS_LEVEL
                   else memory.by_anywhere(model, overlay, keep) if level == ranking.ANYWHERE_LEVEL
                   else memory.by_area(model, overlay, where, level, keep))
        for entry in entries:
            yield level, entry


def _filter(criteria: SearchCriteria, matches: Callable[[str], bool] | None, moment: datetime | None) -> memory.Keep:
    """Whether a service passes the criteria's filters: need domain, target group, access
    route, cost, language, with open_only whether a live location is open at the search's
    moment, and q last (the dearest test, each a set or value lookup before it)."""
    domains = frozenset(criteria.domain)
    group, route, language, free_only = criteria.target_group, criteria.access_route, criteria.language, criteria.free_only
    # open_only has a moment: open_at, or now (SearchCriteria)
    is_open = memory.open_at(moment) if criteria.open_only and moment is not None else None

    def keep(entry: memory.Entry) -> bool:
        return ((not domains or not domains.isdisjoint(entry.domains))
                and (group is None or group in entry.groups)
                and (route is None or entry.access_route == route)
                and (not free_only or entry.free)
                and (language is None or language in entry.languages)
                and (is_open is None or is_open(entry))
                and (matches is None or matches(entry.document)))

    return keep


def _ranked_batches(
    reading: memory.Reading, criteria: SearchCriteria, place: SearchPlace, after: list[Any] | None,
    moment: datetime | None,
) -> Iterator[list[Any]]:
    """The ranked candidates of a search without q after `after`, in order, a level group at a time."""
    where, keep = _where(criteria, place), _filter(criteria, None, moment)
    start = tuple(after) if after is not None else None
    for levels in _level_groups(criteria, place):
        if start is not None and max(levels) < start[0]:
            continue
        rows = sorted(
            _Ranked(level, entry.d2(where), entry.id) for level, entry in _found(reading, where, levels, keep)
        )
        if start is not None:
            rows = [row for row in rows if row > start]
        if rows:
            yield rows


class _Scored(NamedTuple):
    """A match of q with its place in the ranking (its first fields, TEXT_ORDER_KEYS) and why it is there."""

    neg_band: int
    level: int
    neg_fine: float
    d2: float
    id: int  # the number of its UUID (ranking.id_number)
    judgement: Judgement
    domains: frozenset[str]


class _Judged(NamedTuple):
    """A match of q by its band: what orders it before its finer score is worked out."""

    neg_band: int
    level: int
    d2: float
    id: int
    entry: memory.Entry


_text_order = operator.itemgetter(*range(len(TEXT_ORDER_KEYS)))
_band_and_level = operator.itemgetter(0, 1)


@dataclass
class _Matches:
    """Every match of q here in band and level order. Within a band and level a match's finer
    score orders it, worked out only for the groups a page reaches: a common word matches
    a thousand services in a city, and scoring each of them finely would take most of the
    search's time."""

    judge: Judge
    rows: list[_Judged]

    def serving(self, domain: str) -> "_Matches":
        return _Matches(self.judge, [row for row in self.rows if domain in row.entry.domains])

    def batches(self, after: list[Any] | None) -> Iterator[list[Any]]:
        """The scored matches after the cursor's key (TEXT_ORDER_KEYS), a band and level at a time."""
        start = tuple(after) if after is not None else None
        for key, group in itertools.groupby(self.rows, key=_band_and_level):
            if start is not None and key < start[:2]:
                continue
            scored = sorted((self._scored(row) for row in group), key=_text_order)
            if start is not None:
                scored = [row for row in scored if _text_order(row) > start]
            if scored:
                yield scored

    def _scored(self, row: _Judged) -> _Scored:
        entry = row.entry
        judgement = self.judge(entry.name, entry.document, entry.domains)
        return _Scored(row.neg_band, row.level, -round(judgement.fine, 6), row.d2, row.id, judgement, entry.domains)


def _text_ranked(
    reading: memory.Reading, criteria: SearchCriteria, place: SearchPlace, terms: SearchTerms,
    moment: datetime | None, after: list[Any] | None = None, wanted: int | None = None,
) -> _Matches:
    """Every match of q here (up to MAX_TEXT_CANDIDATES, the most specific and nearest first),
    in band and level order.

    Given how many matches a page `wanted` after the cursor's key, only the level groups that
    decide them: once that many of the highest band a match can have (every word of q in the
    name) are found after it, no match of a less specific level can come before them."""
    where, keep = _where(criteria, place), _filter(criteria, text.matcher(terms), moment)
    judge = Judge(terms)
    start = tuple(after[:2]) if after is not None else None
    judged: list[_Judged] = []
    deciding = 0  # the matches of the highest band after the cursor's band and level
    for levels in _level_groups(criteria, place):
        found = sorted(
            ((level, entry.d2(where), entry.id, entry) for level, entry in _found(reading, where, levels, keep)),
            key=_first_three,
        )
        for level, d2, service_id, entry in found[:MAX_TEXT_CANDIDATES - len(judged)]:
            row = _Judged(-judge.band(entry.name, entry.document, entry.domains), level, d2, service_id, entry)
            judged.append(row)
            if row.neg_band == -judge.best and (start is None or (row.neg_band, level) > start):
                deciding += 1
        if len(judged) >= MAX_TEXT_CANDIDATES or (wanted is not None and deciding >= wanted):
            break
    return _Matches(judge, sorted(judged, key=_band_and_level))


_first_three = operator.itemgetter(0, 1, 2)


def _fallback(
    session: Session, reading: memory.Reading, criteria: SearchCriteria, place: SearchPlace, terms: SearchTerms,
    moment: datetime | None,
) -> tuple[dict[str, str], _Matches] | None:
    """For a q that nothing here matches: the nearest related need domain, and its services
    that match q relaxed (relaxed_terms), best first.

    The domain is the one the relaxed matches serve most, each counted by its band (ties go
    to the first in taxonomy order); the reason says what related it: a word spelled like
    one of its synonyms, a part of a compound, or a single word of q."""
    relaxed = relaxed_terms(session, terms)
    scored = _text_ranked(reading, criteria, place, relaxed, moment)
    votes: Counter[str] = Counter()
    for row in scored.rows:
        votes.update({code: -row.neg_band for code in row.entry.domains})
    if not votes:
        return None
    best = max(votes.values())
    domain = next(code for code in relaxed.domain_words if votes[code] == best)  # ties: in taxonomy order
    similar = [word for word in relaxed.words if word.domains - word.part_domains - _named(terms, word)]
    compound = [word for word in terms.words if word.parts]
    word, reason = (similar[0], "similar_word") if similar else (compound[0], "compound_part") if compound \
        else (terms.words[0], "partial_match")
    return {"domain": domain, "word": word.text, "reason": reason}, scored.serving(domain)


def _named(terms: SearchTerms, word: QueryWord) -> frozenset[str]:
    """The domains that q's word of this stem names as it was asked (before relaxed_terms)."""
    return next((strict.domains for strict in terms.words if strict.stem == word.stem), frozenset())


def search(
    session: Session,
    criteria: SearchCriteria,
    viewer: Viewer,
    *,
    patient: PatientAttributes | None = None,
    eligible_only: bool = False,
) -> dict[str, Any]:
    """The page as JSON data in SearchPage's shape (tests/search/test_search_cards.py validates it):
    its results are put together from stored cards, with no output model built per search.

    With q, the matches are ordered by relevance band first (app/search/relevance.py). When
    nothing here matches q, the page offers the services of the nearest related need
    domain instead (`fallback`), each marked so."""
    # The postcode's form first: a malformed one is named before any other criterion is read.
    postcode = normalise_postcode(criteria.postcode) if criteria.postcode is not None else None
    terms = search_terms(session, criteria.q) if criteria.q else None
    if criteria.domain:
        require_need_domains(session, criteria.domain, "domain")
    if criteria.target_group:
        require_target_groups(session, [criteria.target_group], "target_group")
    if patient is not None:
        require_target_groups(session, patient.target_groups, "patient.target_groups")
    scope = _scope(criteria, patient, eligible_only)
    after = None
    if criteria.cursor:
        after = decode_cursor(scope, criteria.cursor, _CURSOR_COLUMNS if terms is None else _TEXT_CURSOR_COLUMNS)
        after[-1] = after[-1].int  # the id is the last key of both orders; candidates carry its number
    moment = _moment(criteria)
    # The read model stays locked while the page is cut (its candidates are found lazily); it
    # also remembers resolved postcodes.
    with READ_MODELS.reading(session) as reading:
        resolved = reading.postcode(session, postcode) if postcode is not None else None
        place = search_place(criteria, resolved)
        home = _home(session, patient, resolved) if patient is not None else None
        fallback, page, next_cursor = _page(session, reading, criteria, place, terms, after, scope, moment,
                                            patient, home, eligible_only)
    return {
        "items": _results(session, page, [from_number(row.id) for row, _ in page], place, viewer, fallback is not None,
                          moment),
        "next_cursor": next_cursor,
        "limit": criteria.limit,
        "place": place.model_dump(mode="json"),
        "fallback": fallback,
    }


def _page(
    session: Session, reading: memory.Reading, criteria: SearchCriteria, place: SearchPlace,
    terms: SearchTerms | None, after: list[Any] | None, scope: str, moment: datetime | None,
    patient: PatientAttributes | None, home: PostcodeOut | None, eligible_only: bool,
) -> tuple[dict[str, str] | None, list[tuple[Any, EligibilityVerdict | None]], str | None]:
    """(fallback, the page's rows with their verdicts, the next cursor)."""
    fallback = None
    batches: Iterator[list[Any]]
    if terms is None:
        keys: tuple[str, ...] = ranking.ORDER_KEYS
        batches = _ranked_batches(reading, criteria, place, after, moment)
    else:
        keys = TEXT_ORDER_KEYS
        # A page needs its rows and one more (for its cursor); with eligible_only, rows it
        # leaves out are not known before the verdicts, so every match is ranked.
        wanted = None if eligible_only else criteria.limit + 1
        scored = _text_ranked(reading, criteria, place, terms, moment, after, wanted)
        if not scored.rows and (offered := _fallback(session, reading, criteria, place, terms, moment)):
            fallback, scored = offered
        batches = scored.batches(after)
    page: list[tuple[Any, EligibilityVerdict | None]] = []
    next_cursor = None
    for rows in batches:
        rules = load_eligibility(session, [from_number(row.id) for row in rows]) if patient is not None else {}
        for row in rows:
            if len(page) == criteria.limit:
                last = page[-1][0]
                next_cursor = encode_cursor(scope, [getattr(last, key) for key in keys[:-1]] + [from_number(last.id)])
                break
            # Decided as the eligibility endpoint decides it: a search's area match does not say
            # the patient lives there (their own postcode may differ; a PC4 may straddle the area).
            verdict = None
            if patient is not None:
                record = rules[from_number(row.id)]
                verdict = service_verdict(eligibility_rules(record), record.area_codes, patient, home)
            if eligible_only and (verdict is None or verdict.verdict != "eligible"):
                continue
            page.append((row, verdict))
        if next_cursor:
            break
    return fallback, page, next_cursor


def _home(session: Session, patient: PatientAttributes, resolved: PostcodeOut | None) -> PostcodeOut | None:
    """Where the patient lives, resolved once per search: their own postcode when given, else
    the search's; None after a search by point (a point is not an address)."""
    if patient.postcode is None or (resolved is not None and resolved.postcode == patient.postcode):
        return resolved
    return patient_home(session, patient.postcode, "patient.postcode")


def _scope(criteria: SearchCriteria, patient: PatientAttributes | None, eligible_only: bool) -> str:
    """Cursors are bound to the criteria and patient values they were issued for, keyed
    (pagination.keyed_scope): a cursor tells nothing of the patient."""
    fingerprint = criteria.model_dump_json(exclude={"cursor", "limit"})
    fingerprint += patient.model_dump_json() if patient else ""
    return keyed_scope("search", f"{fingerprint}{eligible_only}")


def _moment(criteria: SearchCriteria) -> datetime | None:
    """The moment the search's opening states are for, read once per search."""
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
    ids: list[uuid.UUID],
    place: SearchPlace,
    viewer: Viewer,
    fallback: bool,
    moment: datetime | None,
) -> list[dict[str, Any]]:
    today = local_today()
    found = cards.read_page(session, ids, today)
    levels = area_specificity(place.buurten, place.wijken, place.gemeente)
    distances = PageDistances(place.lat, place.lon)
    results = []
    for (row, verdict), service_id in zip(page, ids, strict=True):
        card, live = found.services[service_id], found.locations[service_id]
        nearest = distances.nearest(live)
        results.append({
            "service": card["service"],
            "match": MATCH_LEVELS[row.level],
            "distance_km": nearest[0] if nearest else None,
            "nearest_location": nearest[1] if nearest else None,
            "access_route": card["access_route"],
            "waiting_time": card["waiting_time"],
            "opening": _opening(live, moment) if moment else None,
            "contact": _contact(found.contacts[service_id], levels, viewer, today),
            "eligibility": verdict.model_dump(mode="json") if verdict else None,
            "why": _why(row, fallback),
        })
    return results


def _why(row: Any, fallback: bool) -> dict[str, Any] | None:
    """Why a result ranked where it did: with q, its band and each word's best match; a
    fallback's result, that it is offered for the related need domain, matching no word."""
    if fallback:
        return {"relevance": 0, "matches": [], "fallback": True}
    if not isinstance(row, _Scored):
        return None
    matches = [{"word": m.word, "where": m.where, "matched": m.matched} for m in row.judgement.matches]
    return {"relevance": row.judgement.band, "matches": matches, "fallback": False}
