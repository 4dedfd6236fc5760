"""Candidates, ranking and the page cut as SQL statements, built once per shape.

Candidates come from two indexed paths: service areas covering the patient's buurt,
wijk or gemeente, and, for services open to anyone, a location inside a bounding box
around the patient and within the radius (equirectangular distance on the lat/lon
columns). A statement depends only on the shape of a search (its match levels, which
filters are set, whether a cursor is given); the place, codes and filter values are bound
parameters. Building a statement costs more than running it on a warm database, so each
shape is built once and cached.
"""

import functools
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Float,
    Integer,
    Select,
    String,
    Uuid,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from app.db import table_of
from app.dialect import fulltext
from app.dialect.fulltext import PrefixQuery
from app.locations.models import Location
from app.search import text
from app.search.models import ServiceAnywhere, ServiceAreaDocument, ServiceAreaDomain, ServiceOpenLocation, ServicePoint
from app.search.schemas import MATCH_LEVELS, SearchCriteria, SearchPlace
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.taxonomy.vocabulary import Cost, ServiceStatus

KM_PER_DEGREE = 111.195
NO_DISTANCE = 1e9  # sorts services without a location last
GEMEENTE_LEVEL = MATCH_LEVELS.index("gemeente")
RADIUS_LEVEL = MATCH_LEVELS.index("radius")
ANYWHERE_LEVEL = MATCH_LEVELS.index("anywhere")
PLACE_FREE_LEVELS = (RADIUS_LEVEL, ANYWHERE_LEVEL)  # reached from any place, with or without areas
# Within a search without q; with q, the relevance band comes first (app/search/service.py).
ORDER_KEYS = ("level", "d2", "id")

# Core tables, not ORM attributes: plain columns keep statement building cheap.
_location = table_of(Location)
_service = table_of(Service)
_area = table_of(ServiceArea)
_at = table_of(ServiceLocation)
_domain = table_of(ServiceNeedDomain)
_group = table_of(ServiceTargetGroup)
_open_at = table_of(ServiceOpenLocation)
_anywhere = table_of(ServiceAnywhere)
_area_domain = table_of(ServiceAreaDomain)
_area_document = table_of(ServiceAreaDocument)
_point = table_of(ServicePoint)


class DriverId(TypeDecorator[Any]):
    """A service id as the driver reads and binds it (SQLite: the hex text; PostgreSQL: a
    uuid.UUID). A search reads thousands of candidates and keeps a page of them: the
    candidates keep this form, compared, ordered and bound back as they came (hex text
    orders as the UUIDs do), and only the page's ids become UUIDs (as_uuid)."""

    impl = Uuid
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


def as_uuid(dialect: Dialect) -> Callable[[Any], uuid.UUID]:
    """How this dialect's DriverId values become UUIDs (Uuid's own reading of a column)."""
    process = Uuid().result_processor(dialect, None)
    return process or (lambda value: value)


def driver_id(dialect: Dialect) -> Callable[[uuid.UUID], Any]:
    """How a UUID becomes this dialect's DriverId value (Uuid's own binding)."""
    process = Uuid().bind_processor(dialect)
    return process or (lambda value: value)


@dataclass(frozen=True)
class Shape:
    """What a ranking statement looks like; everything else is a parameter."""

    dialect_name: str
    levels: tuple[int, ...]
    text: tuple[tuple[int, ...], ...]  # per word of q, the number of stems of each alternative
    inner: tuple[bool, ...]  # per word of q, whether it may also match inside an indexed stem
    domain: bool
    target_group: bool
    access_route: bool
    free_only: bool
    language: bool
    after: bool
    ring: bool


def shape(
    dialect_name: str, criteria: SearchCriteria, query: PrefixQuery | None, levels: tuple[int, ...], after: bool,
    ring: bool, inner: Sequence[str | None] = (),
) -> Shape:
    return Shape(
        dialect_name, levels, text.query_shape(query or []),
        tuple(stem is not None for stem in inner), bool(criteria.domain), bool(criteria.target_group),
        bool(criteria.access_route), criteria.free_only, bool(criteria.language), after, ring,
    )


def area_codes(place: SearchPlace) -> list[list[str]]:
    """The codes that match at the buurt, wijk and gemeente level."""
    return [place.buurten, place.wijken, [place.gemeente] if place.gemeente else []]


def parameters(
    criteria: SearchCriteria, place: SearchPlace, query: PrefixQuery | None, after: list[Any] | None, size: int,
    ring_km: float | None = None, inner: Sequence[str | None] = (),
) -> dict[str, Any]:
    shrink = math.cos(math.radians(place.lat))
    reach = min(ring_km or criteria.radius_km, criteria.radius_km) / KM_PER_DEGREE
    buurten, wijken, gemeente = area_codes(place)
    values: dict[str, Any] = {
        "lat": place.lat, "lon": place.lon, "shrink": shrink, "reach2": reach * reach,
        "lat_min": place.lat - reach, "lat_max": place.lat + reach,
        "lon_min": place.lon - reach / shrink, "lon_max": place.lon + reach / shrink,
        "codes0": buurten, "codes1": wijken, "codes2": gemeente, "more1": buurten, "more2": buurten + wijken,
        "domain": criteria.domain, "target_group": criteria.target_group,
        "access_route": criteria.access_route, "size": size,
        # Codes are validated as two lower-case letters, so the quoted code is unambiguous in the JSON text.
        "language_pattern": f'%"{criteria.language}"%',
    }
    values.update(text.stem_parameters(query or [], inner))
    if after is not None:
        values.update({f"after_{key}": value for key, value in zip(ORDER_KEYS, after, strict=True)})
    return values


def _squared_distance(point: Any = _location) -> Any:
    """Squared equirectangular distance in degrees of latitude, as SQL on a table with lat and lon."""
    dx = (point.c.lon - bindparam("lon", type_=Float())) * bindparam("shrink", type_=Float())
    dy = point.c.lat - bindparam("lat", type_=Float())
    return dx * dx + dy * dy


def _within_reach() -> tuple[Any, ...]:
    """A live location inside the bounding box and the radius (both bound parameters)."""
    return (
        _location.c.deleted_at.is_(None),
        _location.c.lat.between(bindparam("lat_min", type_=Float()), bindparam("lat_max", type_=Float())),
        _location.c.lon.between(bindparam("lon_min", type_=Float()), bindparam("lon_max", type_=Float())),
        _squared_distance() <= bindparam("reach2", type_=Float()),
    )


def _links_within_reach(s: Shape, links: Any = _at) -> tuple[Any, Any]:
    """(FROM clause, service_id column): the service links (`links`: service_location or
    service_open_location) of the live locations within reach.

    PostgreSQL reaches the links through a LATERAL subquery, an index probe per location:
    joined plainly, its planner underestimates the locations in the box (156 for 1,129 in
    Amsterdam) and hash-joins a parallel sequential scan of every link in the country.
    (OFFSET 0 keeps the planner from pulling the subquery up into a plain join again.)
    """
    if s.dialect_name == "postgresql":
        lateral = select(links.c.service_id).where(links.c.location_id == _location.c.id).offset(0).lateral("links")
        return _location.join(lateral, true()), lateral.c.service_id
    return links.join(_location, _location.c.id == links.c.location_id), links.c.service_id


def _by_radius(s: Shape) -> Select[Any]:
    """Services open to anyone with a location within reach: their links alone are kept
    apart (service_open_location), so no link is tested for areas here."""
    source, service_id = _links_within_reach(s, _open_at)
    return (
        select(service_id.label("service_id"), cast(literal(RADIUS_LEVEL), Integer).label("level"))
        .select_from(source)
        .where(*_within_reach())
        .distinct()
    )


def _by_anywhere() -> Select[Any]:
    """Services with neither areas nor locations: open to anyone, anywhere. (DISTINCT, as the
    other levels have, keeps the candidates driving the join: merged into the outer query,
    SQLite scanned every service and probed this table for each.)"""
    return select(
        _anywhere.c.service_id.label("service_id"), cast(literal(ANYWHERE_LEVEL), Integer).label("level")
    ).distinct()


def _area_links(s: Shape) -> Any:
    """What the area levels read, by area code: with a domain filter, the area's services in
    those domains (service_area_domain) rather than each of a gemeente's hundreds of
    services tested; with q alone, the area's services with their documents
    (service_area_document) rather than each one's document looked up; else service_area."""
    return _area_domain if s.domain else _area_document if s.text else _area


def _by_area(s: Shape, level: int, subject: Any = None) -> Select[Any]:
    """Services whose areas include a code of this level and none of a more specific one
    (and with a domain filter, in one of its domains).

    `subject` is the service id column that last test correlates to (by default the
    level's own): with q and a domain, the stems' (_text_tested joins them), so that SQLite
    runs it after the text test, for the matches
    only (1.5 instead of 2.6 ms over the 1,337 services of Amsterdam's gemeente level).
    """
    links = _area_links(s)
    where = [links.c.area_code.in_(bindparam(f"codes{level}", expanding=True))]
    if s.domain:
        where.append(links.c.domain_code.in_(bindparam("domain", expanding=True)))
    statement = (
        select(links.c.service_id.label("service_id"), cast(literal(level), Integer).label("level"))
        .where(*where)
        .distinct()
    )
    if level:
        more = _area.alias("more_specific")
        subject = links.c.service_id if subject is None else subject
        statement = statement.where(~exists().where(
            more.c.service_id == subject, more.c.area_code.in_(bindparam(f"more{level}", expanding=True))
        ))
    return statement


def _by_area_near(s: Shape, level: int) -> Select[Any]:
    """_by_area's services that have a location within the ring (the radius parameters)."""
    source, service_id = _links_within_reach(s)
    level_links = _by_area(s, level)
    in_level = level_links.with_only_columns(literal(1)).where(level_links.selected_columns.service_id == service_id)
    return (
        select(service_id.label("service_id"), cast(literal(level), Integer).label("level"))
        .select_from(source)
        .where(
            *_within_reach(),
            in_level.exists(),
        )
        .distinct()
    )


def _ranked(s: Shape) -> Any:
    subject = fulltext.search_stems(s.dialect_name)[0] if s.text and s.domain else None
    parts = [
        _by_radius(s) if level == RADIUS_LEVEL else _by_anywhere() if level == ANYWHERE_LEVEL
        else _by_area_near(s, level) if s.ring else _by_area(s, level, subject)
        for level in s.levels
    ]
    if s.text:
        parts = [_text_tested(s, part, level) for part, level in zip(parts, s.levels, strict=True)]
    candidate = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("candidate")
    # Per row, after the joins and filters: only the services that pass get a distance,
    # from the coordinates of their live locations kept by service (service_point).
    nearest = select(func.min(_squared_distance(_point))).where(_point.c.service_id == _service.c.id).scalar_subquery()
    statement = (
        select(type_coerce(_service.c.id, DriverId()).label("id"), candidate.c.level.label("level"))
        .select_from(candidate)
        .join(_service, _service.c.id == candidate.c.service_id)
        # The candidates drive the join: `status || ''` keeps the status index out of the plan,
        # which SQLite otherwise starts from (every active service in the country, then the
        # candidates probed per row: 350 ms instead of 5 for a dense radius level).
        .where(_service.c.deleted_at.is_(None), _service.c.status + "" == ServiceStatus.active)
    )
    statement = statement.add_columns(cast(func.coalesce(nearest, NO_DISTANCE), Float).label("d2"))
    if s.text:
        # Scored in Python (app/search/relevance.py), from the name and the document.
        statement = statement.add_columns(_service.c.name.label("name"), candidate.c.document.label("document"))
    return _filtered(statement, s).subquery("ranked")


def _text_tested(s: Shape, part: Select[Any], level: int) -> Select[Any]:
    """The part's candidates whose document matches q, with the document to score them by.

    The text is tested inside the candidate subquery (its DISTINCT keeps both databases
    from merging it into the outer join), so that only the matches are looked up in
    `service`; and the document, with the leading space the bound stems carry, is made
    there once per candidate rather than at each of its uses in the test.
    """
    service_id, stems = fulltext.search_stems(s.dialect_name)
    candidate_id = part.selected_columns.service_id
    if level not in PLACE_FREE_LEVELS and _area_links(s) is _area_document:
        document = _area_document.c.document  # read with the area's links, its leading space stored
    elif level == ANYWHERE_LEVEL:
        # No condition narrows these candidates, so joined, SQLite started from the stems of
        # every service in the country (92 ms at 200,000 for a word nothing matched): each
        # candidate's stems come from a subquery of its own, behind the few candidates.
        document = literal(" ") + select(stems).where(service_id == candidate_id).scalar_subquery()
    else:
        document, part = literal(" ") + stems, part.join(service_id.table, service_id == candidate_id)
    return part.where(*text.document_match(s.dialect_name, s.text, s.inner, document)).add_columns(document.label("document"))


def _filtered(statement: Select[Any], s: Shape) -> Select[Any]:
    # EXISTS per candidate (a primary-key lookup), not IN over every service of the domain:
    # a common domain holds a third of the national catalogue. The area levels found their
    # candidates by domain already (_by_area).
    if s.domain and any(level in PLACE_FREE_LEVELS for level in s.levels):
        statement = statement.where(exists().where(
            _domain.c.service_id == _service.c.id, _domain.c.domain_code.in_(bindparam("domain", expanding=True))
        ))
    if s.target_group:
        statement = statement.where(exists().where(
            _group.c.service_id == _service.c.id, _group.c.group_code == bindparam("target_group", type_=String())
        ))
    if s.access_route:
        statement = statement.where(_service.c.access_route == bindparam("access_route", type_=String()))
    if s.free_only:
        statement = statement.where(_service.c.cost == Cost.free)
    if s.language:
        statement = statement.where(cast(_service.c.languages, String).like(bindparam("language_pattern", type_=String())))
    return statement


@functools.lru_cache(maxsize=1024)
def batch_statement(s: Shape) -> Select[Any]:
    """The next `size` ranked candidates (after the `after_*` key when s.after): the page cut is SQL's LIMIT.

    With s.ring, only candidates with a location within the ring: as the order within a
    level (without text relevance) is by distance, they come first, so a ring that yields
    a full batch saves ranking the whole level.
    """
    ranked = _ranked(s)
    order = [ranked.c[key] for key in ORDER_KEYS]
    statement = select(ranked).order_by(*order).limit(bindparam("size", type_=Integer()))
    if s.after:
        types: tuple[TypeEngine[Any], ...] = (Integer(), Float(), DriverId())
        after: list[BindParameter[Any]] = [
            bindparam(f"after_{key}", type_=type_) for key, type_ in zip(ORDER_KEYS, types, strict=True)
        ]
        statement = statement.where(tuple_(*order) > tuple_(*after))
    return statement
