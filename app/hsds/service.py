"""HSDS reads: filters, page-number paging and loading; the mapping is in mapping.py. No HTTP.

HSDS pages by number, not by cursor: each list counts its matches and takes one page
with OFFSET/LIMIT over an order that ends in a unique key, so pages neither overlap nor
skip entries while the data stays the same.
"""

import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, or_
from sqlmodel import Session, col, select

from app.areas.models import Area
from app.areas.service import resolve_postcode
from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.entity import get_live, is_live
from app.errors import InvalidInput, NotFound
from app.hsds import mapping
from app.hsds import schemas as hsds
from app.hsds.mapping import DOELGROEP, TAXONOMIES, ZRM, Context
from app.locations.models import Location
from app.locations.service import LOCATION_LOAD
from app.organisations.models import Organisation
from app.pagination import MAX_LIMIT
from app.search.ranking import KM_PER_DEGREE
from app.search.text import entities_matching, text_matcher, text_matches
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.services.service import SERVICE_LOAD
from app.taxonomy.models import NeedDomain, TargetGroup
from app.visibility import Viewer

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    """A page of `per_page` entities; a harvester asking more per page gets MAX_LIMIT,
    which the envelope's per_page says (HSDS sets no maximum, so no refusal)."""

    page: int
    per_page: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_page", min(self.per_page, MAX_LIMIT))


def every_item(list_page: Callable[[Paging], hsds.HsdsPage[T]]) -> Iterator[T]:
    """What a list gives on all its pages, in order: HSDS's `format=ndjson`, which streams
    every result without paging."""
    number = 1
    while True:
        page = list_page(Paging(number, MAX_LIMIT))
        yield from page.contents
        if page.last_page:
            return
        number += 1


def entity_id(value: str, what: str) -> uuid.UUID:
    """The UUID an HSDS path names; any other id names no entity (404, as an unknown taxonomy)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with id {value}.", field="id") from None


@dataclass(frozen=True)
class ServiceFilters:
    """The filters /services and /service_at_locations share; HSDS combines them with AND."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None


def envelope(contents: list[T], total: int, paging: Paging) -> hsds.HsdsPage[T]:
    total_pages = math.ceil(total / paging.per_page)
    return hsds.HsdsPage[T](
        total_items=total, total_pages=total_pages, page_number=paging.page, per_page=paging.per_page, size=len(contents),
        first_page=paging.page == 1, last_page=paging.page >= total_pages, empty=not contents, contents=contents,
    )


def _page(
    session: Session, statement: Select[Any], order: Sequence[Any], paging: Paging, load: Sequence[Any] = ()
) -> tuple[list[Any], int]:
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(
        statement.options(*load).order_by(*order).offset((paging.page - 1) * paging.per_page).limit(paging.per_page)
    ).all()  # type: ignore[call-overload]  # SQLModel's exec overloads know its own select, not SQLAlchemy's Select it extends
    return list(rows), total


def _slice(items: list[T], paging: Paging) -> hsds.HsdsPage[T]:
    """Paging for the small in-memory vocabularies."""
    start = (paging.page - 1) * paging.per_page
    return envelope(items[start:start + paging.per_page], len(items), paging)


# --- taxonomies -------------------------------------------------------------------------------


def taxonomy_terms(session: Session) -> list[hsds.HsdsTaxonomyTerm]:
    """Every term: the ZRM domains, then the target groups, each in their own order."""
    terms = [
        mapping.taxonomy_term(ZRM, d.code, d.label, d.label_en)
        for d in session.exec(select(NeedDomain).order_by(col(NeedDomain.position))).all()
    ]
    return terms + [
        mapping.taxonomy_term(DOELGROEP, g.code, g.label, g.label_en)
        for g in session.exec(select(TargetGroup).order_by(col(TargetGroup.position))).all()
    ]


def _taxonomy_name(taxonomy_id: str) -> str | None:
    """The short name of a taxonomy given by its UUID or by that short name."""
    return next((name for name in TAXONOMIES if taxonomy_id in (name, mapping.derived_id("taxonomy", name))), None)


def list_taxonomies(session: Session, *, search: str | None, paging: Paging) -> hsds.HsdsPage[hsds.HsdsTaxonomy]:
    found = [mapping.taxonomy(name) for name in TAXONOMIES]
    if search:
        matches = text_matcher(session, search, field="search")  # as the services' search matches words
        found = [t for t in found if matches(f"{t.name} {t.description}")]
    return _slice(found, paging)


def get_taxonomy(taxonomy_id: str) -> hsds.HsdsTaxonomy:
    name = _taxonomy_name(taxonomy_id)
    if name is None:
        raise NotFound(f"No taxonomy with id {taxonomy_id}.", field="id")
    return mapping.taxonomy(name)


def list_taxonomy_terms(
    session: Session, *, search: str | None, taxonomy_id: str | None, top_only: bool, parent_id: str | None,
    paging: Paging,
) -> hsds.HsdsPage[hsds.HsdsTaxonomyTerm]:
    found = taxonomy_terms(session)
    if taxonomy_id is not None:
        name = _required_taxonomy(taxonomy_id)
        found = [term for term in found if term.taxonomy == name]
    if parent_id is not None:
        found = []  # both taxonomies are flat: no term has a parent (and top_only keeps them all)
    if search:
        matches = text_matcher(session, search, field="search")
        found = [t for t in found if matches(f"{t.code} {t.name} {t.description}")]
    return _slice(found, paging)


def get_taxonomy_term(session: Session, term_id: str) -> hsds.HsdsTaxonomyTerm:
    term = next((term for term in taxonomy_terms(session) if term.id == term_id), None)
    if term is None:
        raise NotFound(f"No taxonomy term with id {term_id}.", field="id")
    return term


def _required_taxonomy(taxonomy_id: str) -> str:
    name = _taxonomy_name(taxonomy_id)
    if name is None:
        raise InvalidInput(
            f"Unknown taxonomy {taxonomy_id!r}: use an id from /hsds/taxonomies, or {' or '.join(TAXONOMIES)}.",
            field="taxonomy_id",
        )
    return name


def _tagged(taxonomy_name: str, code: str | None = None) -> ColumnElement[bool]:
    """Services with this term (or, without a code, with any term of the taxonomy)."""
    if taxonomy_name == ZRM:
        linked = select(ServiceNeedDomain.service_id)
        if code is not None:
            linked = linked.where(ServiceNeedDomain.domain_code == code)
    else:
        linked = select(ServiceTargetGroup.service_id)
        if code is not None:
            linked = linked.where(ServiceTargetGroup.group_code == code)
    return col(Service.id).in_(linked)


# --- services ---------------------------------------------------------------------------------


def _service_clauses(session: Session, filters: ServiceFilters) -> list[ColumnElement[bool]]:
    clauses = [is_live(Service)]
    if filters.taxonomy_term_id is not None:
        term = next((t for t in taxonomy_terms(session) if t.id == filters.taxonomy_term_id), None)
        if term is None:
            raise InvalidInput(
                f"Unknown taxonomy term {filters.taxonomy_term_id!r}: see /hsds/taxonomy_terms.",
                field="taxonomy_term_id",
            )
        clauses.append(_tagged(term.taxonomy, term.code))
    if filters.taxonomy_id is not None:
        clauses.append(_tagged(_required_taxonomy(filters.taxonomy_id)))
    if filters.organization_id is not None:
        clauses.append(col(Service.organisation_id) == filters.organization_id)
    return clauses


def _searched(session: Session, statement: Select[Any], order: list[Any], search: str | None) -> Select[Any]:
    """Joins the app's Dutch text search; the best matches come first (in `order`)."""
    if not search:
        return statement
    matches = text_matches(session, search, field="search")
    order.insert(0, matches.c.relevance.desc())
    return statement.join(matches, matches.c.service_id == Service.id)


def context(
    session: Session, viewer: Viewer, base_url: str, services: Sequence[Service], *, full: bool
) -> Context:
    """Lookups for mapping: term labels always (eligibility text names target groups); the
    services' areas and current contacts only for fully nested services."""
    terms = {(term.taxonomy, term.code): term for term in taxonomy_terms(session)}
    today = local_today()
    if not full:
        return Context(viewer=viewer, today=today, base_url=base_url, terms=terms)
    codes = {area.area_code for service in services for area in service.areas}
    areas = {area.code: area for area in session.exec(select(Area).where(col(Area.code).in_(codes))).all()}
    people = contacts.current_contacts_by_service(session, [service.id for service in services], today)
    return Context(viewer=viewer, today=today, base_url=base_url, terms=terms, areas=areas, contacts=people)


def list_services(
    session: Session, viewer: Viewer, base_url: str, filters: ServiceFilters, paging: Paging, *,
    full: bool, minimal: bool,
) -> hsds.HsdsPage[hsds.HsdsService]:
    order: list[Any] = [Service.name, Service.id]
    statement = _searched(session, select(Service).where(*_service_clauses(session, filters)), order, filters.search)
    if filters.modified_after is not None:
        statement = statement.where(col(Service.updated_at) >= filters.modified_after)
    rows, total = _page(session, statement, order, paging, SERVICE_LOAD)
    if minimal:
        return envelope([mapping.service_minimal(service) for service in rows], total, paging)
    ctx = context(session, viewer, base_url, rows, full=full)
    show = mapping.service_full if full else mapping.service_summary
    return envelope([show(service, ctx) for service in rows], total, paging)


def get_service(session: Session, viewer: Viewer, base_url: str, service_id: uuid.UUID) -> hsds.HsdsService:
    service = get_live(session, Service, service_id, SERVICE_LOAD)
    return mapping.service_full(service, context(session, viewer, base_url, [service], full=True))


# --- organizations ----------------------------------------------------------------------------


def list_organizations(
    session: Session, viewer: Viewer, base_url: str, *, search: str | None, full: bool, full_service: bool,
    paging: Paging,
) -> hsds.HsdsPage[hsds.HsdsOrganization]:
    statement = select(Organisation).where(is_live(Organisation))
    if search:
        # As the services' search matches words, in the organisation's name and description.
        statement = statement.where(
            entities_matching(session, search, Organisation.id, [Organisation.name, Organisation.description],
                              field="search")
        )
    rows, total = _page(session, statement, [Organisation.name, Organisation.id], paging)
    if not full:
        return envelope([mapping.organization_summary(row) for row in rows], total, paging)
    return envelope(_organizations_full(session, viewer, base_url, rows, full_service=full_service), total, paging)


def get_organization(
    session: Session, viewer: Viewer, base_url: str, organization_id: uuid.UUID, *, full_service: bool
) -> hsds.HsdsOrganization:
    organisation = get_live(session, Organisation, organization_id)
    return _organizations_full(session, viewer, base_url, [organisation], full_service=full_service)[0]


def _grouped(rows: Sequence[T], key: Callable[[T], Any]) -> defaultdict[Any, list[T]]:
    groups: defaultdict[Any, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def _organizations_full(
    session: Session, viewer: Viewer, base_url: str, organisations: Sequence[Organisation], *, full_service: bool
) -> list[hsds.HsdsOrganization]:
    """Organizations with their live services, locations and organisation-wide current contacts."""
    ids = [organisation.id for organisation in organisations]
    services = session.exec(
        select(Service).where(col(Service.organisation_id).in_(ids), is_live(Service))
        .options(*SERVICE_LOAD).order_by(col(Service.name), col(Service.id))
    ).all()
    locations = session.exec(
        select(Location).where(col(Location.organisation_id).in_(ids), is_live(Location))
        .options(*LOCATION_LOAD).order_by(col(Location.name), col(Location.id))
    ).all()
    ctx = context(session, viewer, base_url, services, full=full_service)
    people = session.exec(
        select(Contact)
        .where(col(Contact.organisation_id).in_(ids), col(Contact.service_id).is_(None), contacts.current_clause(ctx.today))
        .options(*contacts.CONTACT_LOAD).order_by(col(Contact.is_general).desc(), col(Contact.name))
    ).all()
    show = mapping.service_full if full_service else mapping.service_summary
    by_organisation = _grouped(services, lambda s: s.organisation_id)
    return [
        mapping.organization_full(
            organisation, ctx,
            services=[show(s, ctx, with_organization=False) for s in by_organisation[organisation.id]],
            locations=_grouped(locations, lambda loc: loc.organisation_id)[organisation.id],
            people=_grouped(people, lambda c: c.organisation_id)[organisation.id],
        )
        for organisation in organisations
    ]


# --- services at locations --------------------------------------------------------------------


def _covers(session: Session, postcode: str) -> tuple[ColumnElement[bool], tuple[float, float]]:
    """Services whose areas hold the postcode's gemeente, a wijk or a buurt, or that have no
    areas (open to anyone); and the postcode's point."""
    place = resolve_postcode(session, postcode)
    codes = [place.gemeente.code] if place.gemeente else []
    codes += [w.code for w in place.wijken] + [b.code for b in place.buurten]
    anywhere = ~exists().where(col(ServiceArea.service_id) == Service.id)
    inside = col(Service.id).in_(select(ServiceArea.service_id).where(col(ServiceArea.area_code).in_(codes)))
    return or_(anywhere, inside), (place.lat, place.lon)


def _within(point: tuple[float, float], metres: int) -> ColumnElement[bool]:
    """Locations within `metres` of the point: a bounding box the lat/lon index can use, then the
    equirectangular distance (as in the app's search)."""
    lat, lon = point
    reach = metres / 1000 / KM_PER_DEGREE
    shrink = math.cos(math.radians(lat))
    dy, dx = col(Location.lat) - lat, (col(Location.lon) - lon) * shrink
    return col(Location.lat).between(lat - reach, lat + reach) & col(Location.lon).between(
        lon - reach / shrink, lon + reach / shrink
    ) & (dx * dx + dy * dy <= reach * reach)


def list_service_at_locations(
    session: Session, viewer: Viewer, base_url: str, filters: ServiceFilters, paging: Paging, *,
    full: bool, postcode: str | None, proximity: int | None,
) -> hsds.HsdsPage[hsds.HsdsServiceAtLocation]:
    order: list[Any] = [Service.name, Service.id, Location.name, Location.id]
    statement: Any = (
        select(ServiceLocation.service_id, ServiceLocation.location_id)
        .join(Service, col(Service.id) == ServiceLocation.service_id)
        .join(Location, col(Location.id) == ServiceLocation.location_id)
        .where(is_live(Location), *_service_clauses(session, filters))
    )
    statement = _searched(session, statement, order, filters.search)
    if filters.modified_after is not None:
        since = filters.modified_after
        statement = statement.where(or_(col(Service.updated_at) >= since, col(Location.updated_at) >= since))
    if proximity is not None and postcode is None:
        raise InvalidInput("proximity counts from a postcode's centre: give postcode too.", field="proximity")
    if postcode is not None:
        covered, point = _covers(session, postcode)
        statement = statement.where(covered)
        if proximity is not None:
            statement = statement.where(_within(point, proximity))
    rows, total = _page(session, statement, order, paging)
    services = {
        service.id: service
        for service in session.exec(
            select(Service).where(col(Service.id).in_({service_id for service_id, _ in rows})).options(*SERVICE_LOAD)
        ).all()
    }
    ctx = context(session, viewer, base_url, list(services.values()), full=full)
    contents = []
    for service_id, location_id in rows:
        service = services[service_id]
        location = next(location for location in service.locations if location.id == location_id)
        contents.append(mapping.service_at_location(service, location, ctx, full=full))
    return envelope(contents, total, paging)


def get_service_at_location(
    session: Session, viewer: Viewer, base_url: str, service_at_location_id: uuid.UUID
) -> hsds.HsdsServiceAtLocation:
    # The id is a UUID 5 of the pair, so it is found by hashing the links (two UUID columns each):
    # cheap at a region's scale; a stored id column would be the step for a national one.
    wanted = str(service_at_location_id)
    for service_id, location_id in session.exec(select(ServiceLocation.service_id, ServiceLocation.location_id)):
        if mapping.service_at_location_id(service_id, location_id) == wanted:
            break
    else:
        raise NotFound(f"No service at location with id {service_at_location_id}.", field="id")
    service = get_live(session, Service, service_id, SERVICE_LOAD)
    location = get_live(session, Location, location_id, LOCATION_LOAD)
    return mapping.service_at_location(
        service, location, context(session, viewer, base_url, [service], full=True), full=True
    )
