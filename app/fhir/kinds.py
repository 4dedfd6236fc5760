"""The resource types the FHIR API serves: their search parameters and the tables they come from.

Each resource type is a Kind: its search parameters (which the CapabilityStatement
lists) and one or more Sources, the tables it is read from. Location has two: the
catalogue's places and the CBS areas, so that a coverageArea reference resolves and a
Location search finds both. Paging is by offset over the sources in turn.
"""

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.areas.models import Area, Postcode4, Postcode4Buurt, Postcode6
from app.areas.service import area_kind_of, parent_code_of
from app.changelog.models import ChangeLogEntry
from app.changelog.service import EntityType
from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.entity import get_live, is_live
from app.errors import InvalidInput, NotFound
from app.fhir import mapping, params, systems
from app.locations import service as locations
from app.locations.models import Location
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.search.ranking import KM_PER_DEGREE
from app.search.text import entities_matching, name_matches
from app.services import service as services
from app.services.models import Service, ServiceArea, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup
from app.taxonomy.service import get_taxonomy
from app.taxonomy.vocabulary import ServiceStatus
from app.visibility import ANONYMOUS, Viewer

Clause = Callable[[Session, str, str | None], ColumnElement[bool]]  # (session, value, modifier) -> where clause
Render = Callable[[Session, list[Any], Viewer], list[dict[str, Any]]]
Include = Callable[[Session, list[dict[str, Any]], Viewer], list[dict[str, Any]]]  # (page's resources) -> more


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # the FHIR search parameter type, as the CapabilityStatement states it
    documentation: str
    modifiers: frozenset[str] = frozenset()
    words: bool = False  # its repeats (without a modifier or alternatives) are the words of one query, all to match


@dataclass(frozen=True)
class Source:
    statement: Callable[[], Select[Any]]  # the live rows, unordered and without loader options
    order: Sequence[Any]
    clauses: Mapping[str, Clause]
    render: Render
    options: Sequence[Any] = ()


@dataclass(frozen=True)
class Kind:
    type: str
    params: Sequence[Param]
    sources: Sequence[Source]
    read: Callable[[Session, str, Viewer], dict[str, Any]]
    # The search parameters FHIR R4 defines for the type that this server does not serve:
    # refused (400) rather than ignored, since ignoring one would widen the match.
    refused: frozenset[str] = frozenset()
    # _include and _revinclude values (`HealthcareService:organization`) -> the resources they add to a page.
    includes: Mapping[str, Include] = field(default_factory=dict)
    revincludes: Mapping[str, Include] = field(default_factory=dict)
    by_name: Mapping[str, Param] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})


def _not_found(resource_type: str, resource_id: str) -> NotFound:
    return NotFound(f"No {resource_type} with id {resource_id}.", field="id")


def _uuid(resource_type: str, resource_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        raise _not_found(resource_type, resource_id) from None  # not one of our ids: nothing there


def _common(model: Any, updated: Any = None) -> dict[str, Clause]:
    return {
        "_id": lambda _s, v, _m: params.ids_clause(model.id, v),
        "_lastUpdated": lambda _s, v, _m: params.date_clause(updated or model.updated_at, v, "_lastUpdated"),
    }


def _words(column: Any, matching: Callable[[Session, str], ColumnElement[bool]]) -> Clause:
    """A string parameter: by default as the search matches words (app/search/text.py: stems,
    prefixes, compounds, without case or accents), each alternative by `matching`; :contains
    and :exact as for any string."""

    def clause(session: Session, value: str, modifier: str | None) -> ColumnElement[bool]:
        if modifier:
            return params.string_clause(column, value, modifier)
        return params.any_of(
            matching(session, text)
            for text in dict.fromkeys(params.alternatives(value))  # each alternative is a test of every row: once
        )

    return clause


def _in_text(key: Any, column: Any, name: str = "name") -> Clause:
    """_words tested against this column alone."""
    return _words(column, lambda session, text: entities_matching(session, text, key, [column], field=name))


# A service's name, against the stems the search index keeps of it.
_service_name = _words(
    Service.name,
    lambda session, text: col(Service.id).in_(select(name_matches(session, text, field="name").c.service_id)),
)


def _refs(column: Any, resource_type: str, parse: Callable[[Any], list[Any]] = params.uuids) -> Clause:
    return lambda _s, v, _m: params.reference_clause(column, v, resource_type, parse)


def _within(column: Any, subquery: Select[Any]) -> ColumnElement[bool]:
    return col(column).in_(subquery)


ID = Param("_id", "token", "The resource id (comma: any of several).")
LAST_UPDATED = Param("_lastUpdated", "date", "When it last changed; prefixes eq, ne, gt, lt, ge, le, sa, eb.")
NAME = Param(
    "name", "string", "Every word is a word of the name or starts one, as GET /api/v1/search matches words (stemmed, "
    "compounds split, without case or accents); :contains, :exact as for any string.", params.STRING_MODIFIERS,
    words=True,
)


# --- HealthcareService ------------------------------------------------------------------


def _render_services(session: Session, rows: list[Service], _viewer: Viewer) -> list[dict[str, Any]]:
    # ANONYMOUS: a HealthcareService carries no person's lines (those are PractitionerRoles).
    outs = services.to_outs(session, rows, ANONYMOUS)
    labels = mapping.Labels.of(get_taxonomy(session))
    codes = {code for out in outs for code in out.areas}
    names = dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(codes))).all())
    return [
        mapping.healthcare_service(out, organisations.to_out(row.organisation), labels, names)
        for row, out in zip(rows, outs, strict=True)
    ]


def _characteristic(_session: Session, value: str, _modifier: str | None) -> ColumnElement[bool]:
    groups = select(ServiceTargetGroup.service_id).where(
        params.token_clause(ServiceTargetGroup.group_code, value, systems.TARGET_GROUP)
    )
    return _within(Service.id, groups) | params.token_clause(Service.cost, value, systems.COST)


def _covering(_session: Session, value: str, _modifier: str | None) -> ColumnElement[bool]:
    """Services for these CBS areas: a service area that is one of them, lies within one
    (a wijk's service within its gemeente) or holds one (a gemeente's service for its buurten)."""
    codes = _area_codes(params.references(value, "Location"))
    if not codes:
        return false()
    holding = {ancestor for code in codes for ancestor in _with_ancestors(code)}
    inside = [f"{kind}{code[2:]}%" for code in codes for kind in _CHILD_PREFIXES[code[:2]]]
    area = col(ServiceArea.area_code)
    matched = select(ServiceArea.service_id).where(or_(area.in_(holding), *(area.like(p) for p in inside)))
    return _within(Service.id, matched)


_CHILD_PREFIXES = {"GM": ("WK", "BU"), "WK": ("BU",), "BU": ()}


def _with_ancestors(code: str) -> list[str]:
    chain = [code]
    while (parent := parent_code_of(chain[-1])) is not None:
        chain.append(parent)
    return chain


def _holding_postcode(column: Any, value: str) -> ColumnElement[bool]:
    """`column` is a CBS area that holds one of the postcodes (PC6 or PC4, spaces and case
    aside): its buurt (a PC6's, else the PC4's buurten, as the REST search resolves it),
    their wijken, or its gemeente."""

    def one(raw: str) -> ColumnElement[bool]:
        postcode = "".join(raw.split()).upper()
        pc6 = select(Postcode6.buurt_code).where(Postcode6.pc6 == postcode)
        pc4 = select(Postcode4Buurt.buurt_code).where(Postcode4Buurt.pc4 == postcode[:4], ~pc6.exists())
        buurt = aliased(Area)
        wijken = select(buurt.parent_code).where(col(buurt.code).in_(pc6) | col(buurt.code).in_(pc4))
        gemeente = select(Postcode4.gemeente_code).where(Postcode4.pc4 == postcode[:4])
        return or_(*(col(column).in_(codes) for codes in (pc6, pc4, wijken, gemeente)))

    return params.any_of(one(raw) for raw in params.alternatives(value))


def _for_postcode(_session: Session, value: str, _modifier: str | None) -> ColumnElement[bool]:
    """As the REST search finds services for a postcode: those whose service areas hold it,
    and those open to anyone (no service area)."""
    anywhere = ~select(ServiceArea.service_id).where(ServiceArea.service_id == Service.id).exists()
    holding = select(ServiceArea.service_id).where(_holding_postcode(ServiceArea.area_code, value))
    return _within(Service.id, holding) | anywhere


# R4's search parameters for each type; those a Kind does not serve are refused.
_RESOURCE_COMMON = frozenset({"_content", "_has", "_list", "_profile", "_query", "_security", "_source", "_tag", "_text",
                              "_filter", "_elements", "_contained", "_containedType"})
_ADDRESS = frozenset({"address", "address-city", "address-country", "address-postalcode", "address-state", "address-use"})
R4_PARAMS = {
    "HealthcareService": {"active", "characteristic", "coverage-area", "endpoint", "identifier", "location", "name",
                          "organization", "program", "service-category", "service-type", "specialty"},
    "Organization": {"active", *_ADDRESS, "endpoint", "identifier", "name", "partof", "phonetic", "type"},
    "Location": {*_ADDRESS, "endpoint", "identifier", "name", "near", "operational-status", "organization", "partof",
                 "status", "type"},
    "Practitioner": {"active", *_ADDRESS, "communication", "email", "family", "gender", "given", "identifier", "name",
                     "phone", "phonetic", "telecom"},
    "PractitionerRole": {"active", "date", "email", "endpoint", "identifier", "location", "organization", "phone",
                         "practitioner", "role", "service", "specialty", "telecom"},
}


HEALTHCARE_SERVICE = Kind(
    "HealthcareService",
    params=(
        ID, LAST_UPDATED, NAME,
        Param("active", "token", "true: on offer now (status active); false: paused or ended."),
        Param("service-category", "token", f"A ZRM need domain: code or {systems.NEED_DOMAIN}|code."),
        Param("characteristic", "token", f"A target group ({systems.TARGET_GROUP}) or cost ({systems.COST})."),
        Param("location", "reference", "Offered at this Location (Location/<id>)."),
        Param("organization", "reference", "Provided by this Organization (Organization/<id>)."),
        Param("coverage-area", "reference",
              "For this CBS area (Location/GM0687 or GM0687): a service area that is it, lies within it or holds it."),
        Param("identifier", "token", f"The maintainer's external_id ({systems.SERVICE_EXTERNAL_ID}|…)."),
        Param("coverage-area.address-postalcode", "string",
              "For a postcode (PC6 or PC4), as GET /api/v1/search finds services: a service area holding it "
              "(its buurt, wijk or gemeente), or no service area (open to anyone)."),
    ),
    sources=(Source(
        statement=lambda: select(Service).where(is_live(Service)),
        order=(Service.name, Service.id),
        options=services.SERVICE_LOAD,
        render=_render_services,
        clauses={
            **_common(Service),
            "name": _service_name,
            "active": lambda _s, v, _m: params.boolean_clause(col(Service.status) == ServiceStatus.active, v, "active"),
            "service-category": lambda _s, v, _m: _within(Service.id, select(ServiceNeedDomain.service_id).where(
                params.token_clause(ServiceNeedDomain.domain_code, v, systems.NEED_DOMAIN))),
            "characteristic": _characteristic,
            "location": lambda _s, v, _m: _within(Service.id, select(ServiceLocation.service_id).where(
                params.reference_clause(ServiceLocation.location_id, v, "Location"))),
            "organization": _refs(Service.organisation_id, "Organization"),
            "coverage-area": _covering,
            "identifier": lambda _s, v, _m: params.token_clause(Service.external_id, v, systems.SERVICE_EXTERNAL_ID),
            "coverage-area.address-postalcode": _for_postcode,
        },
    ),),
    read=lambda session, resource_id, viewer: _render_services(
        session, [get_live(session, Service, _uuid("HealthcareService", resource_id), services.SERVICE_LOAD)], viewer
    )[0],
)


# --- Organization -----------------------------------------------------------------------


def _render_organisations(_session: Session, rows: list[Organisation], _viewer: Viewer) -> list[dict[str, Any]]:
    return [mapping.organization(organisations.to_out(row)) for row in rows]


def _identifier(_session: Session, value: str, _modifier: str | None) -> ColumnElement[bool]:
    return params.token_clause(Organisation.kvk_number, value, systems.KVK) | params.token_clause(
        Organisation.agb_code, value, systems.AGB
    )


ORGANIZATION = Kind(
    "Organization",
    params=(
        ID, LAST_UPDATED, NAME,
        Param("active", "token", "Every organisation listed is active: false finds none."),
        Param("identifier", "token", f"KvK number ({systems.KVK}|…) or AGB code ({systems.AGB}|…)."),
    ),
    sources=(Source(
        statement=lambda: select(Organisation).where(is_live(Organisation)),
        order=(Organisation.name, Organisation.id),
        options=organisations.ORGANISATION_LOAD,
        render=_render_organisations,
        clauses={
            **_common(Organisation),
            "name": _in_text(Organisation.id, Organisation.name),
            "active": lambda _s, v, _m: params.constant_clause(True, v, "active"),
            "identifier": _identifier,
        },
    ),),
    read=lambda session, resource_id, viewer: _render_organisations(
        session, [get_live(session, Organisation, _uuid("Organization", resource_id), organisations.ORGANISATION_LOAD)],
        viewer,
    )[0],
)


# --- Location: places and CBS areas -----------------------------------------------------


def _render_places(_session: Session, rows: list[Location], _viewer: Viewer) -> list[dict[str, Any]]:
    return [mapping.location(locations.to_out(row)) for row in rows]


def _area_changes() -> Any:
    """When each area last changed: areas keep no timestamp of their own, the change log does."""
    return (
        select(
            ChangeLogEntry.entity_id.label("code"),  # type: ignore[attr-defined]  # SQLModel types columns and relationships as their Python values
            func.max(ChangeLogEntry.changed_at).label("changed_at"),
        )
        .where(ChangeLogEntry.entity_type == EntityType.area)
        .group_by(ChangeLogEntry.entity_id)
        .subquery("area_changes")
    )


AREA_CHANGES = _area_changes()


def _areas() -> Select[Any]:
    # SQLModel's select is SQLAlchemy's with its own type parameters, which mypy cannot relate to Select[Any].
    statement = select(Area, AREA_CHANGES.c.changed_at).outerjoin(AREA_CHANGES, AREA_CHANGES.c.code == Area.code)
    return statement  # type: ignore[return-value]


def _render_areas(session: Session, rows: list[Any], _viewer: Viewer) -> list[dict[str, Any]]:
    parents = {area.parent_code for area, _ in rows if area.parent_code}
    names = dict(session.exec(select(Area.code, Area.name).where(col(Area.code).in_(parents))).all())
    return [mapping.area_location(area, changed_at, names.get(area.parent_code or "")) for area, changed_at in rows]


def is_area_code(value: str) -> bool:
    try:
        area_kind_of(value)
    except InvalidInput:
        return False
    return True


def _area_codes(values: Any) -> list[str]:
    return [value for value in values if is_area_code(value)]


def _read_location(session: Session, resource_id: str, viewer: Viewer) -> dict[str, Any]:
    if is_area_code(resource_id):
        rows = session.exec(_areas().where(col(Area.code) == resource_id)).all()  # type: ignore[call-overload]  # see _areas
        if not rows:
            raise _not_found("Location", resource_id)
        return _render_areas(session, list(rows), viewer)[0]
    place = get_live(session, Location, _uuid("Location", resource_id), locations.LOCATION_LOAD)
    return _render_places(session, [place], viewer)[0]


LOCATION = Kind(
    "Location",
    params=(
        Param("_id", "token", "A location's id, or a CBS area code (GM0687, WK068700, BU06870000)."),
        LAST_UPDATED, NAME,
        Param("organization", "reference", "Managed by this Organization (places only)."),
        Param("partof", "reference", "CBS areas within this one (Location/GM0687: its wijken)."),
        Param("address-postalcode", "string",
              "Places whose postcode starts with it (4331 or 4331 AB), and the CBS areas holding that postcode."),
        Param("address-city", "string", "Places in this city (its words, as name matches them; :contains, :exact).",
              params.STRING_MODIFIERS),
        Param("near", "special", "lat|lon|distance|unit: places and areas (by their label point) within the distance "
              f"(unit km or m; default {params.NEAR_DEFAULT_KM:g} km)."),
    ),
    sources=(
        Source(
            statement=lambda: select(Location).where(is_live(Location)),
            order=(Location.name, Location.id),
            options=locations.LOCATION_LOAD,
            render=_render_places,
            clauses={
                **_common(Location),
                "name": _in_text(Location.id, Location.name),
                "organization": _refs(Location.organisation_id, "Organization"),
                "address-postalcode": lambda _s, v, _m: params.any_of(
                    col(Location.postcode).startswith("".join(code.split()).upper())
                    for code in params.alternatives(v)
                ),
                "address-city": _in_text(Location.id, Location.city, "address-city"),
                "near": lambda _s, v, _m: params.near_clause(Location.lat, Location.lon, v, KM_PER_DEGREE),
            },
        ),
        Source(
            statement=_areas,
            order=(Area.code,),
            render=_render_areas,
            clauses={
                "_id": lambda _s, v, _m: params.ids_clause(Area.code, v, _area_codes),
                "_lastUpdated": lambda _s, v, _m: params.date_clause(AREA_CHANGES.c.changed_at, v, "_lastUpdated"),
                "name": _in_text(Area.code, Area.name),
                "partof": _refs(Area.parent_code, "Location", _area_codes),
                "address-postalcode": lambda _s, v, _m: _holding_postcode(Area.code, v),
                "near": lambda _s, v, _m: params.near_clause(Area.lat, Area.lon, v, KM_PER_DEGREE),
            },
        ),
    ),
    read=_read_location,
)


# --- Practitioner and PractitionerRole: both from one contact row ------------------------


def _render_practitioners(_session: Session, rows: list[Contact], viewer: Viewer) -> list[dict[str, Any]]:
    today = local_today()
    return [mapping.practitioner(contacts.to_out(row, viewer, today)) for row in rows]


def _render_roles(session: Session, rows: list[Contact], viewer: Viewer) -> list[dict[str, Any]]:
    today = local_today()
    service_ids = {row.service_id for row in rows if row.service_id}
    offered = {
        service_id: (name, organisation_id)
        for service_id, name, organisation_id in session.exec(
            select(Service.id, Service.name, Service.organisation_id).where(col(Service.id).in_(service_ids))
        ).all()
    }

    def organisation_of(row: Contact) -> uuid.UUID | None:
        # A service's contact works for the organisation that provides the service.
        return row.organisation_id or (offered[row.service_id][1] if row.service_id in offered else None)

    organisation_ids = {organisation_of(row) for row in rows} - {None}
    names = dict(session.exec(
        select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(organisation_ids))
    ).all())
    resources = []
    for row in rows:
        organisation_id = organisation_of(row)
        resources.append(mapping.practitioner_role(
            # Direct lines only through contacts.to_out: the one place visibility is decided.
            contacts.to_out(row, viewer, today),
            (organisation_id, names.get(organisation_id)) if organisation_id else None,
            offered[row.service_id][0] if row.service_id in offered else None,
        ))
    return resources


def _contacts(render: Render, clauses: Mapping[str, Clause]) -> Source:
    return Source(
        statement=lambda: select(Contact).where(is_live(Contact)),
        order=(Contact.name, Contact.id),
        options=contacts.CONTACT_LOAD,
        render=render,
        clauses={
            **_common(Contact),
            # Current: within its validity today; an expired contact is never offered as current.
            "active": lambda _s, v, _m: params.boolean_clause(contacts.current_clause(local_today()), v, "active"),
            **clauses,
        },
    )


def _read_contact(render: Render, resource_type: str) -> Callable[[Session, str, Viewer], dict[str, Any]]:
    def read(session: Session, resource_id: str, viewer: Viewer) -> dict[str, Any]:
        row = get_live(session, Contact, _uuid(resource_type, resource_id), contacts.CONTACT_LOAD)
        return render(session, [row], viewer)[0]

    return read


ACTIVE_CONTACT = Param("active", "token", "true: within the validity period today.")

PRACTITIONER = Kind(
    "Practitioner",
    params=(ID, LAST_UPDATED, NAME, ACTIVE_CONTACT),
    sources=(_contacts(_render_practitioners, {"name": _in_text(Contact.id, Contact.name)}),),
    read=_read_contact(_render_practitioners, "Practitioner"),
)


def _role_organisation(_session: Session, value: str, _modifier: str | None) -> ColumnElement[bool]:
    wanted = params.uuids(params.references(value, "Organization"))
    if not wanted:
        return false()
    provided = select(Service.id).where(col(Service.organisation_id).in_(wanted))
    return col(Contact.organisation_id).in_(wanted) | _within(Contact.service_id, provided)


PRACTITIONER_ROLE = Kind(
    "PractitionerRole",
    params=(
        ID, LAST_UPDATED, ACTIVE_CONTACT,
        Param("practitioner", "reference", "This Practitioner's role (Practitioner/<id>: the same id)."),
        Param("organization", "reference", "At this Organization, directly or through one of its services."),
        Param("service", "reference", "For this HealthcareService."),
    ),
    sources=(_contacts(_render_roles, {
        "practitioner": _refs(Contact.id, "Practitioner"),
        "organization": _role_organisation,
        "service": _refs(Contact.service_id, "HealthcareService"),
    }),),
    read=_read_contact(_render_roles, "PractitionerRole"),
)

def _referenced(element: str, model: Any, options: Sequence[Any], render: Render) -> Include:
    """The live entries a page's resources refer to in `element` (a Reference or a list of them)."""

    def include(session: Session, resources: list[dict[str, Any]], viewer: Viewer) -> list[dict[str, Any]]:
        values = [resource.get(element) for resource in resources]
        references = [r for value in values for r in (value if isinstance(value, list) else [value]) if r]
        wanted = params.uuids(reference["reference"].rpartition("/")[2] for reference in references)
        if not wanted:
            return []
        rows = session.exec(select(model).where(col(model.id).in_(wanted), is_live(model)).options(*options)).all()
        return render(session, list(rows), viewer)

    return include


def _roles_for_services(session: Session, resources: list[dict[str, Any]], viewer: Viewer) -> list[dict[str, Any]]:
    wanted = params.uuids(resource["id"] for resource in resources)
    rows = session.exec(
        select(Contact).where(col(Contact.service_id).in_(wanted), is_live(Contact))
        .options(*contacts.CONTACT_LOAD).order_by(col(Contact.name), col(Contact.id))
    ).all() if wanted else []
    return _render_roles(session, list(rows), viewer)


# Added here, once the resource types they include are defined.
HEALTHCARE_SERVICE = dataclasses.replace(
    HEALTHCARE_SERVICE,
    includes={
        "HealthcareService:organization": _referenced(
            "providedBy", Organisation, organisations.ORGANISATION_LOAD, _render_organisations
        ),
        "HealthcareService:location": _referenced("location", Location, locations.LOCATION_LOAD, _render_places),
    },
    revincludes={"PractitionerRole:service": _roles_for_services},
)

KINDS = {
    kind.type: dataclasses.replace(kind, refused=frozenset(_RESOURCE_COMMON | R4_PARAMS[kind.type]) - set(kind.by_name))
    for kind in (HEALTHCARE_SERVICE, ORGANIZATION, LOCATION, PRACTITIONER, PRACTITIONER_ROLE)
}
