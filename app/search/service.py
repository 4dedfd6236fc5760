"""Postcode search: candidates, ranking and the page cut in SQL; the page's details in Python.

Candidates come from two indexed paths: service areas covering the patient's buurt,
wijk or gemeente, and, for services open to anyone, a location inside a bounding box
around the patient and within the radius (equirectangular distance on the lat/lon
columns). Only the returned page gets geopy's exact distance, contacts and opening state.
"""

import hashlib
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from geographiclib.geodesic import Geodesic
from geopy.distance import ELLIPSOIDS
from sqlalchemy import Float, Integer, Select, String, Uuid, cast, column, exists, func, literal, tuple_, union_all
from sqlmodel import Session, col, select

from app import dialect
from app.areas.service import area_specificity, resolve_postcode
from app.clock import local_today
from app.contacts import service as contacts
from app.db import utcnow
from app.entity import is_live
from app.locations import service as locations
from app.locations.models import Location
from app.locations.opening import combined_state, opening_state
from app.organisations.schemas import OrganisationRef
from app.pagination import decode_cursor, encode_cursor
from app.search.eligibility import EligibilityVerdict, PatientAttributes, evaluate
from app.search.page import load_services
from app.search.schemas import (
    MATCH_LEVELS,
    Opening,
    SearchCriteria,
    SearchPage,
    SearchPlace,
    SearchResult,
    ServiceSummary,
)
from app.search.text import text_matches
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.services.schemas import WaitingTime
from app.services.service import eligibility_rules
from app.settings import get_settings
from app.taxonomy.service import require_need_domains, require_target_groups
from app.taxonomy.vocabulary import Cost, ServiceStatus
from app.visibility import Viewer

KM_PER_DEGREE = 111.195
NO_DISTANCE = 1e9  # sorts services without a location last
RADIUS_LEVEL = MATCH_LEVELS.index("radius")

# The page order, and the types a cursor's key is read back as.
_CURSOR_KEYS = ("level", "neg_relevance", "d2", "id")
_CURSOR_COLUMNS = [column("level", Integer()), column("neg_relevance", Float()), column("d2", Float()),
                   column("id", Uuid())]
_A, _, _F = ELLIPSOIDS["WGS-84"]
_GEODESIC = Geodesic(_A, _F)  # in km, as geopy.distance.geodesic measures


def resolve_place(session: Session, criteria: SearchCriteria) -> SearchPlace:
    if criteria.postcode is None:
        return SearchPlace(postcode=None, resolved_via=None, lat=criteria.lat, lon=criteria.lon,  # type: ignore[arg-type]
                           gemeente=None, wijken=[], buurten=[])
    resolved = resolve_postcode(session, criteria.postcode)
    return SearchPlace(
        postcode=resolved.postcode, resolved_via=resolved.resolved_via, lat=resolved.lat, lon=resolved.lon,
        gemeente=resolved.gemeente.code if resolved.gemeente else None,
        wijken=[w.code for w in resolved.wijken], buurten=[b.code for b in resolved.buurten],
    )


def _squared_distance(place: SearchPlace) -> tuple[Any, float]:
    """Squared equirectangular distance in degrees of latitude, as SQL on Location."""
    shrink = math.cos(math.radians(place.lat))
    dx = (col(Location.lon) - place.lon) * shrink
    dy = col(Location.lat) - place.lat
    return dx * dx + dy * dy, shrink


def _by_radius(place: SearchPlace, radius_km: float) -> Select[Any]:
    d2, shrink = _squared_distance(place)
    reach = radius_km / KM_PER_DEGREE
    open_to_anyone = ~exists().where(ServiceArea.service_id == ServiceLocation.service_id)
    return (
        select(ServiceLocation.service_id.label("service_id"), cast(literal(RADIUS_LEVEL), Integer).label("level"))  # type: ignore[attr-defined]
        .join(Location, col(Location.id) == ServiceLocation.location_id)
        .where(
            is_live(Location),
            col(Location.lat).between(place.lat - reach, place.lat + reach),
            col(Location.lon).between(place.lon - reach / shrink, place.lon + reach / shrink),
            d2 <= reach * reach,
            open_to_anyone,
        )
        .distinct()
    )


def _by_area(codes: list[str], level: int, more_specific: list[str]) -> Select[Any]:
    """Services whose areas include one of `codes` and none of the more specific ones."""
    more = ServiceArea.__table__.alias("more_specific")  # type: ignore[attr-defined]
    statement = select(ServiceArea.service_id.label("service_id"), cast(literal(level), Integer).label("level"))  # type: ignore[attr-defined]
    statement = statement.where(col(ServiceArea.area_code).in_(codes)).distinct()
    if more_specific:
        statement = statement.where(~exists().where(
            more.c.service_id == ServiceArea.service_id, more.c.area_code.in_(more_specific)
        ))
    return statement


def _candidates(place: SearchPlace, radius_km: float, levels: list[int]) -> Any:
    """(service_id, level) of the candidates at these match levels: a service counts at the
    most specific level its areas reach; services without areas match by radius."""
    by_level = [place.buurten, place.wijken, [place.gemeente] if place.gemeente else []]
    parts = [
        _by_radius(place, radius_km) if level == RADIUS_LEVEL
        else _by_area(by_level[level], level, [c for codes in by_level[:level] for c in codes])
        for level in levels
        if level == RADIUS_LEVEL or by_level[level]
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("candidate") if parts else None


def _ranked(criteria: SearchCriteria, place: SearchPlace, levels: list[int], matches: Any) -> Any:
    candidate = _candidates(place, criteria.radius_km, levels)
    if candidate is None:
        return None
    d2, _ = _squared_distance(place)
    nearest = (
        select(ServiceLocation.service_id.label("service_id"), func.min(d2).label("d2"))  # type: ignore[attr-defined]
        .join(Location, col(Location.id) == ServiceLocation.location_id)
        .where(is_live(Location), col(ServiceLocation.service_id).in_(select(candidate.c.service_id)))
        .group_by(ServiceLocation.service_id)
        .subquery("nearest")
    )
    relevance: Any = literal(0.0)
    statement = (
        select(
            Service.id.label("id"),  # type: ignore[attr-defined]
            candidate.c.level.label("level"),
        )
        .select_from(candidate)
        .join(Service, col(Service.id) == candidate.c.service_id)
        .outerjoin(nearest, nearest.c.service_id == candidate.c.service_id)
        .where(is_live(Service), Service.status == ServiceStatus.active)
    )
    if matches is not None:
        statement = statement.join(matches, matches.c.service_id == Service.id)
        relevance = matches.c.relevance
    statement = statement.add_columns(
        cast(-relevance, Float).label("neg_relevance"),
        cast(func.coalesce(nearest.c.d2, NO_DISTANCE), Float).label("d2"),
    )
    return _filtered(statement, criteria).subquery("ranked")


def _filtered(statement: Select[Any], criteria: SearchCriteria) -> Select[Any]:
    if criteria.domain:
        in_domain = select(ServiceNeedDomain.service_id).where(col(ServiceNeedDomain.domain_code).in_(criteria.domain))
        statement = statement.where(col(Service.id).in_(in_domain))
    if criteria.target_group:
        for_group = select(ServiceTargetGroup.service_id).where(ServiceTargetGroup.group_code == criteria.target_group)
        statement = statement.where(col(Service.id).in_(for_group))
    if criteria.access_route:
        statement = statement.where(Service.access_route == criteria.access_route)
    if criteria.free_only:
        statement = statement.where(Service.cost == Cost.free)
    if criteria.language:
        # Codes are validated as two lower-case letters, so the quoted code is unambiguous in the JSON text.
        statement = statement.where(cast(Service.languages, String).like(f'%"{criteria.language}"%'))
    return statement


def _level_groups(session: Session, criteria: SearchCriteria) -> list[list[int]]:
    """The match levels to rank together, most specific first.

    Ranking level by level lets a page that the buurt and wijk fill stop before the
    gemeente and the radius, which nationally hold thousands of services. Where the text
    index can only be searched whole (SQLite's FTS5), a text query ranks every level in
    one statement instead, so that the whole-index search runs once.
    """
    if criteria.q and not dialect.text_search_is_per_row(session):
        return [list(range(len(MATCH_LEVELS)))]
    return [[level] for level in range(len(MATCH_LEVELS))]


def _batches(session: Session, ranked: Any, after: list[Any] | None, size: int) -> Iterator[list[Any]]:
    """The ranked candidates in order, `size` at a time: the page cut is SQL's LIMIT."""
    order = [ranked.c.level, ranked.c.neg_relevance, ranked.c.d2, ranked.c.id]
    while True:
        statement = select(ranked).order_by(*order).limit(size)
        if after is not None:
            statement = statement.where(tuple_(*order) > tuple_(*after))
        rows = list(session.execute(statement).all())
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = [getattr(rows[-1], column.key) for column in order]


def search(
    session: Session,
    criteria: SearchCriteria,
    viewer: Viewer,
    *,
    patient: PatientAttributes | None = None,
    eligible_only: bool = False,
) -> SearchPage:
    place = resolve_place(session, criteria)
    if patient is not None:
        require_target_groups(session, patient.target_groups, "patient.target_groups")
    matches = text_matches(session, criteria.q) if criteria.q else None
    if criteria.domain:
        require_need_domains(session, criteria.domain, "domain")
    if criteria.target_group:
        require_target_groups(session, [criteria.target_group], "target_group")
    scope = _scope(criteria, patient, eligible_only)
    after = decode_cursor(scope, criteria.cursor, _CURSOR_COLUMNS) if criteria.cursor else None
    page: list[tuple[Any, Any, EligibilityVerdict | None]] = []
    next_cursor = None
    for levels in _level_groups(session, criteria):
        if after is not None and max(levels) < after[0]:
            continue
        ranked = _ranked(criteria, place, levels, matches)
        for rows in _batches(session, ranked, after, criteria.limit + 1) if ranked is not None else ():
            loaded = load_services(session, [row.id for row in rows])
            for row in rows:
                service = loaded[row.id]
                # The area match already says the patient lives in the service area;
                # radius matches are services open to anyone.
                verdict = evaluate(eligibility_rules(service), patient, lives_in_service_area=True) if patient else None
                if eligible_only and (verdict is None or verdict.verdict != "eligible"):
                    continue
                if len(page) == criteria.limit:
                    next_cursor = encode_cursor(scope, [getattr(page[-1][0], name) for name in _CURSOR_KEYS])
                    break
                page.append((row, service, verdict))
            if next_cursor:
                break
        if next_cursor:
            break
    return SearchPage(
        items=_results(session, page, criteria, place, viewer),
        next_cursor=next_cursor,
        limit=criteria.limit,
        place=place,
    )


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
    if criteria.open_at.tzinfo is None:
        return criteria.open_at.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return criteria.open_at


def _distance_km(place: SearchPlace, location: Any) -> float:
    # geopy's geodesic on geopy's WGS-84, without building a geopy object per call.
    return float(_GEODESIC.Inverse(place.lat, place.lon, location.lat, location.lon, Geodesic.DISTANCE)["s12"])


def _results(
    session: Session,
    page: list[tuple[Any, Any, EligibilityVerdict | None]],
    criteria: SearchCriteria,
    place: SearchPlace,
    viewer: Viewer,
) -> list[SearchResult]:
    today = local_today()
    moment = _moment(criteria)
    people = contacts.current_contacts_by_service(session, [service.id for _, service, _ in page], today)
    levels = area_specificity(place.buurten, place.wijken, place.gemeente)
    results = []
    for row, service, verdict in page:
        live = service.locations  # load_services reads live locations only
        distances = [(_distance_km(place, loc), loc) for loc in live]
        nearest = min(distances, key=lambda item: item[0], default=None)
        person = contacts.choose_contact(people[service.id], levels)
        results.append(SearchResult(
            service=ServiceSummary(
                id=service.id, name=service.name, description=service.description, cost=service.cost,
                cost_note=service.cost_note, languages=service.languages,
                organisation=OrganisationRef(id=service.organisation.id, name=service.organisation.name),
                need_domains=sorted(d.domain_code for d in service.need_domains),
                target_groups=sorted(g.group_code for g in service.target_groups),
                eligibility=eligibility_rules(service),
            ),
            match=MATCH_LEVELS[row.level],
            distance_km=round(nearest[0], 2) if nearest else None,
            nearest_location=locations.to_out(nearest[1]) if nearest else None,
            access_route=service.access_route,
            waiting_time=WaitingTime(days=service.waiting_days, reported_on=service.waiting_reported_on),
            opening=Opening(state=combined_state([opening_state(loc, moment) for loc in live]), at=moment)
            if moment else None,
            contact=contacts.to_out(person, viewer, today) if person else None,
            eligibility=verdict,
        ))
    return results
