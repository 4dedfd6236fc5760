"""Postcode search: candidates, ranking and the page cut in SQL; the page's details in Python.

Candidates come from two indexed paths: service areas covering the patient's buurt,
wijk or gemeente, and, for services open to anyone, a location inside a bounding box
around the patient and within the radius (equirectangular distance on the lat/lon
columns). Only the returned page gets geopy's exact distance, contacts and opening state.
"""

import hashlib
import math
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from geopy.distance import geodesic
from sqlalchemy import Float, Integer, Select, String, case, cast, exists, func, literal, tuple_, union_all
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

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

_PAGE_LOAD = (
    selectinload(Service.organisation),  # type: ignore[arg-type]
    selectinload(Service.need_domains),  # type: ignore[arg-type]
    selectinload(Service.target_groups),  # type: ignore[arg-type]
    selectinload(Service.eligibility),  # type: ignore[arg-type]
    selectinload(Service.locations).options(*locations.LOCATION_LOAD),  # type: ignore[arg-type]
)


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


def _candidates(place: SearchPlace, radius_km: float) -> Any:
    d2, shrink = _squared_distance(place)
    reach = radius_km / KM_PER_DEGREE
    open_to_anyone = ~exists().where(ServiceArea.service_id == ServiceLocation.service_id)
    by_radius = (
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
    codes = place.buurten + place.wijken + ([place.gemeente] if place.gemeente else [])
    if not codes:
        return by_radius.subquery("candidate")
    level = case(
        (col(ServiceArea.area_code).in_(place.buurten), MATCH_LEVELS.index("buurt")),
        (col(ServiceArea.area_code).in_(place.wijken), MATCH_LEVELS.index("wijk")),
        else_=MATCH_LEVELS.index("gemeente"),
    )
    by_area = (
        select(ServiceArea.service_id.label("service_id"), cast(func.min(level), Integer).label("level"))  # type: ignore[attr-defined]
        .where(col(ServiceArea.area_code).in_(codes))
        .group_by(ServiceArea.service_id)
    )
    return union_all(by_area, by_radius).subquery("candidate")


def _ranked(session: Session, criteria: SearchCriteria, place: SearchPlace) -> Any:
    candidate = _candidates(place, criteria.radius_km)
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
    if criteria.q:
        matches = text_matches(session, criteria.q)
        statement = statement.join(matches, matches.c.service_id == Service.id)
        relevance = matches.c.relevance
    statement = statement.add_columns(
        cast(-relevance, Float).label("neg_relevance"),
        cast(func.coalesce(nearest.c.d2, NO_DISTANCE), Float).label("d2"),
    )
    return _filtered(session, statement, criteria).subquery("ranked")


def _filtered(session: Session, statement: Select[Any], criteria: SearchCriteria) -> Select[Any]:
    if criteria.domain:
        require_need_domains(session, criteria.domain, "domain")
        in_domain = select(ServiceNeedDomain.service_id).where(col(ServiceNeedDomain.domain_code).in_(criteria.domain))
        statement = statement.where(col(Service.id).in_(in_domain))
    if criteria.target_group:
        require_target_groups(session, [criteria.target_group], "target_group")
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


def _batches(session: Session, ranked: Any, order: list[Any], after: list[Any] | None, size: int) -> Iterator[list[Any]]:
    """The ranked candidates in order, `size` at a time: the page cut is SQL's LIMIT."""
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


def _load(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Service]:
    return {s.id: s for s in session.exec(select(Service).where(col(Service.id).in_(ids)).options(*_PAGE_LOAD)).all()}


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
    ranked = _ranked(session, criteria, place)
    scope = _scope(criteria, patient, eligible_only)
    order = [ranked.c.level, ranked.c.neg_relevance, ranked.c.d2, ranked.c.id]
    after = decode_cursor(scope, criteria.cursor, order) if criteria.cursor else None
    page: list[tuple[Any, Service, EligibilityVerdict | None]] = []
    next_cursor = None
    for rows in _batches(session, ranked, order, after, criteria.limit + 1):
        loaded = _load(session, [row.id for row in rows])
        for row in rows:
            service = loaded[row.id]
            # The area match already says the patient lives in the service area;
            # radius matches are services open to anyone.
            verdict = evaluate(eligibility_rules(service), patient, lives_in_service_area=True) if patient else None
            if eligible_only and (verdict is None or verdict.verdict != "eligible"):
                continue
            if len(page) == criteria.limit:
                last = page[-1][0]
                next_cursor = encode_cursor(scope, [getattr(last, column.key) for column in order])
                break
            page.append((row, service, verdict))
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


def _results(
    session: Session,
    page: list[tuple[Any, Service, EligibilityVerdict | None]],
    criteria: SearchCriteria,
    place: SearchPlace,
    viewer: Viewer,
) -> list[SearchResult]:
    today = local_today()
    moment = _moment(criteria)
    people = contacts.current_contacts_by_service(session, [service.id for _, service, _ in page], today)
    results = []
    for row, service, verdict in page:
        live = [location for location in service.locations if location.deleted_at is None]
        distances = [(geodesic((place.lat, place.lon), (loc.lat, loc.lon)).km, loc) for loc in live]
        nearest = min(distances, key=lambda item: item[0], default=None)
        person = contacts.choose_contact(people[service.id], area_specificity(place.buurten, place.wijken, place.gemeente))
        results.append(SearchResult(
            service=ServiceSummary(
                **service.model_dump(include={"id", "name", "description", "cost", "cost_note", "languages"}),
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
