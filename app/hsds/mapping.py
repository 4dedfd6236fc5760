"""From catalogue entries to HSDS 3.0 objects: pure functions over loaded entries, no queries.

HSDS wants a UUID for every object. Objects the catalogue keeps without one (a language,
a service area, a schedule, a service at a location) get a UUID 5 of what identifies
them, so an id stays the same from one request to the next.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from app.areas.models import Area
from app.clock import local_zone
from app.contacts import service as contacts
from app.contacts.models import Contact as ContactRow
from app.hsds import schemas as hsds
from app.locations.models import Location
from app.organisations.models import Organisation
from app.services.models import Service
from app.services.service import eligibility_rules
from app.settings import get_settings
from app.taxonomy.vocabulary import ACCESS_ROUTE_LABELS, HOUSEHOLD_TYPE_LABELS, Cost, ServiceStatus
from app.visibility import Viewer

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:wijkkaart:hsds")


def derived_id(*parts: object) -> str:
    """A stable UUID for an HSDS object that has no UUID of its own in the catalogue."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def service_at_location_id(service_id: uuid.UUID, location_id: uuid.UUID) -> str:
    return derived_id("service_at_location", service_id, location_id)


# Short name -> description. Need domains and target groups are the two taxonomies.
ZRM, DOELGROEP = "zrm", "doelgroep"
TAXONOMIES = {
    ZRM: "De 13 levensdomeinen van de Zelfredzaamheid-Matrix (ZRM): waar een hulpvraag over gaat. "
         "Life domains of the Dutch self-sufficiency matrix: what a need is about.",
    DOELGROEP: "Doelgroepen: voor wie een aanbod bedoeld is. Target groups: whom a service is meant for.",
}
# How a term describes the service it is linked to (attribute.link_type).
LINK_NEED, LINK_AUDIENCE, LINK_ELIGIBILITY = "need", "audience", "eligibility"

# ended is for good (defunct); paused will come back (temporarily closed).
STATUS: dict[str, hsds.Status] = {
    ServiceStatus.active: "active", ServiceStatus.paused: "temporarily closed", ServiceStatus.ended: "defunct",
}
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DUTCH_DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


def taxonomy(name: str) -> hsds.HsdsTaxonomy:
    return hsds.HsdsTaxonomy(id=derived_id("taxonomy", name), name=name, description=TAXONOMIES[name])


def taxonomy_term(taxonomy_name: str, code: str, label: str, label_en: str) -> hsds.HsdsTaxonomyTerm:
    return hsds.HsdsTaxonomyTerm(
        id=derived_id("taxonomy_term", taxonomy_name, code), code=code, name=label, description=label_en,
        taxonomy=taxonomy_name, taxonomy_id=derived_id("taxonomy", taxonomy_name),
    )


@dataclass(frozen=True)
class Context:
    """What mapping needs besides the entries: who asks, today, where this API lives, and lookups."""

    viewer: Viewer
    today: date
    base_url: str
    terms: dict[tuple[str, str], hsds.HsdsTaxonomyTerm] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    contacts: dict[uuid.UUID, list[ContactRow]] = field(default_factory=lambda: defaultdict(list))


def _local_date(moment: datetime | None) -> str | None:
    return moment.astimezone(local_zone()).date().isoformat() if moment else None


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


# --- services -------------------------------------------------------------------------------


def _fees(service: Service) -> str:
    text = "Gratis." if service.cost == Cost.free else "Eigen bijdrage."
    return f"{text} {service.cost_note}" if service.cost_note else text


def _wait_time(service: Service) -> str | None:
    if service.waiting_days is None:
        return None
    reported = f" (gemeld op {service.waiting_reported_on.isoformat()})" if service.waiting_reported_on else ""
    return f"{service.waiting_days} dagen{reported}"


def _eligibility_text(service: Service, ctx: Context) -> str | None:
    """The machine-readable rules as one Dutch text; the ages also go to minimum_age and maximum_age."""
    rules = eligibility_rules(service)
    if rules is None:
        return None
    parts = []
    if rules.min_age is not None and rules.max_age is not None:
        parts.append(f"Van {rules.min_age} tot en met {rules.max_age} jaar.")
    elif rules.min_age is not None:
        parts.append(f"Vanaf {rules.min_age} jaar.")
    elif rules.max_age is not None:
        parts.append(f"Tot en met {rules.max_age} jaar.")
    if rules.max_income_pct_social_minimum is not None:
        parts.append(f"Inkomen tot en met {rules.max_income_pct_social_minimum}% van het sociaal minimum.")
    if rules.household_types:
        labels = ", ".join(HOUSEHOLD_TYPE_LABELS[h][0].lower() for h in rules.household_types)
        parts.append(f"Alleen voor huishoudens: {labels}.")
    if group := rules.required_target_group:
        term = ctx.terms.get((DOELGROEP, group))
        parts.append(f"Alleen voor de doelgroep {term.name if term else group}.")
    if rules.must_live_in_area:
        parts.append("Alleen voor inwoners van het werkgebied.")
    if rules.needs_beschikking:
        parts.append("Alleen met een beschikking van de gemeente.")
    if rules.needs_gp_referral:
        parts.append("Alleen na verwijzing door de huisarts.")
    if rules.note:
        parts.append(rules.note)
    return " ".join(parts) or None


def service_minimal(service: Service) -> hsds.HsdsService:
    """`minimal=true`: what service_list requires (id, name, status) and when it last changed."""
    return hsds.HsdsService(
        id=str(service.id), name=service.name, status=STATUS[service.status],
        last_modified=service.updated_at.isoformat(),
    )


def service_summary(service: Service, ctx: Context, *, with_organization: bool = True) -> hsds.HsdsService:
    """The one-to-one fields (service_list.json), with the organization's."""
    rules = service.eligibility
    return service_minimal(service).model_copy(update={
        "organization_id": str(service.organisation_id),
        "description": service.description,
        "application_process": f"Toegang: {ACCESS_ROUTE_LABELS[service.access_route][0]}.",  # type: ignore[index]  # the stored string is one of AccessRoute's values
        "fees_description": _fees(service),
        "wait_time": _wait_time(service),
        "eligibility_description": _eligibility_text(service, ctx),
        "minimum_age": rules.min_age if rules else None,
        "maximum_age": rules.max_age if rules else None,
        "assured_date": _local_date(service.last_verified_at),
        "organization": organization_summary(service.organisation) if with_organization else None,
    })


def _attributes(service: Service, ctx: Context) -> list[hsds.HsdsAttribute]:
    links = [(LINK_NEED, ZRM, d.domain_code) for d in service.need_domains]
    links += [(LINK_AUDIENCE, DOELGROEP, g.group_code) for g in service.target_groups]
    if service.eligibility and service.eligibility.required_target_group:
        links.append((LINK_ELIGIBILITY, DOELGROEP, service.eligibility.required_target_group))
    attributes = []
    for link_type, taxonomy_name, code in sorted(links):
        term = ctx.terms[(taxonomy_name, code)]
        attributes.append(hsds.HsdsAttribute(
            id=derived_id("attribute", service.id, link_type, term.id), link_id=str(service.id),
            link_type=link_type, taxonomy_term_id=term.id, taxonomy_term=term,
        ))
    return attributes


def _service_areas(service: Service, ctx: Context) -> list[hsds.HsdsServiceArea]:
    # No polygons here: a CBS area is named by its code and points at this API's area resource.
    areas = []
    for code in sorted(a.area_code for a in service.areas):
        area = ctx.areas[code]
        areas.append(hsds.HsdsServiceArea(
            id=derived_id("service_area", service.id, code), service_id=str(service.id), name=area.name,
            description=f"{area.name} ({area.kind}, CBS-code {code})", uri=f"{ctx.base_url}api/v1/areas/{code}",
        ))
    return areas


def service_full(
    service: Service, ctx: Context, *, with_locations: bool = True, with_organization: bool = True
) -> hsds.HsdsService:
    """The fully nested service (compiled/service.json); inside a service_at_location without
    the service's other locations, as that schema has no service_at_locations there."""
    locations = [location for location in service.locations if location.deleted_at is None]
    return service_summary(service, ctx, with_organization=with_organization).model_copy(update={
        "contacts": [contact(person, ctx) for person in ctx.contacts[service.id]],
        "languages": [
            hsds.HsdsLanguage(id=derived_id("language", service.id, code), service_id=str(service.id), code=code)
            for code in service.languages
        ],
        "service_areas": _service_areas(service, ctx),
        "attributes": _attributes(service, ctx),
        "service_at_locations": [
            service_at_location(service, location, ctx, full=True, nest_service=False) for location in locations
        ] if with_locations else None,
    })


# --- contacts, organizations -----------------------------------------------------------------


def contact(person: ContactRow, ctx: Context) -> hsds.HsdsContact:
    """Through contacts.to_out, the one place that decides who sees direct lines."""
    out = contacts.to_out(person, ctx.viewer, ctx.today)
    phones = [hsds.HsdsPhone(id=derived_id("phone", out.id), contact_id=str(out.id), number=out.phone)] if out.phone else []
    return hsds.HsdsContact(
        id=str(out.id), organization_id=str(out.organisation_id) if out.organisation_id else None,
        service_id=str(out.service_id) if out.service_id else None,
        name=out.name, title=out.role, email=out.email, phones=phones,
    )


def organization_summary(organisation: Organisation) -> hsds.HsdsOrganization:
    # HSDS requires a description; the catalogue's is optional, and nothing is better than an invented one.
    return hsds.HsdsOrganization(
        id=str(organisation.id), name=organisation.name, description=organisation.description or "",
        email=organisation.email, website=organisation.website,
    )


def _identifiers(organisation: Organisation) -> list[hsds.HsdsOrganizationIdentifier]:
    found: list[tuple[str | None, str, str]] = []
    if organisation.kvk_number:  # NL-KVK is the org-id.guide scheme of the Dutch chamber of commerce
        found.append(("NL-KVK", "KvK-nummer", organisation.kvk_number))
    if organisation.agb_code:  # AGB (Vektis) has no org-id.guide scheme
        found.append((None, "AGB-code", organisation.agb_code))
    return [
        hsds.HsdsOrganizationIdentifier(
            id=derived_id("organization_identifier", organisation.id, kind), organization_id=str(organisation.id),
            identifier_scheme=scheme, identifier_type=kind, identifier=value,
        )
        for scheme, kind, value in found
    ]


def organization_full(
    organisation: Organisation, ctx: Context, *, services: list[hsds.HsdsService], locations: list[Location],
    people: list[ContactRow],
) -> hsds.HsdsOrganization:
    """The fully nested organization (compiled/organization.json). Its general phone is public,
    as on /api/v1/organisations; people's direct lines go through contact()."""
    phones = [
        hsds.HsdsPhone(id=derived_id("phone", "organization", organisation.id), organization_id=str(organisation.id),
                   number=organisation.phone)
    ] if organisation.phone else []
    return organization_summary(organisation).model_copy(update={
        "phones": phones,
        "contacts": [contact(person, ctx) for person in people],
        "locations": [location_full(location, ctx) for location in locations],
        "organization_identifiers": _identifiers(organisation),
        "services": services,
    })


# --- locations, schedules, service at location -----------------------------------------------


def location_summary(location: Location) -> hsds.HsdsLocation:
    return hsds.HsdsLocation(
        id=str(location.id), organization_id=str(location.organisation_id) if location.organisation_id else None,
        name=location.name, latitude=location.lat, longitude=location.lon,
    )


def _exception_notes(location: Location, today: date) -> str | None:
    notes = []
    for exception in location.exceptions:
        if exception.date < today:
            continue
        when = exception.date.isoformat()
        if exception.opens is None or exception.closes is None:
            text = f"{when} gesloten"
        else:
            text = f"{when} open {_hhmm(exception.opens)}-{_hhmm(exception.closes)}"
        notes.append(f"{text} ({exception.note})" if exception.note else text)
    return "Uitzonderingen: " + "; ".join(notes) + "." if notes else None


def schedules(location: Location, today: date) -> list[hsds.HsdsSchedule]:
    """Weekly hours as one RRULE per opening interval, with the weekdays that share it.

    Times are local wall-clock time: HSDS's numeric UTC offset cannot follow summer time.
    Dated exceptions have no HSDS field that overrides a weekly rule, so they are notes."""
    days: defaultdict[tuple[time, time], list[int]] = defaultdict(list)
    for interval in location.opening_hours:
        days[(interval.opens, interval.closes)].append(interval.weekday)
    notes = _exception_notes(location, today)
    zone = get_settings().timezone
    result = []
    for (opens, closes), weekdays in sorted(days.items(), key=lambda item: (min(item[1]), item[0])):
        weekdays = sorted(set(weekdays))
        result.append(hsds.HsdsSchedule(
            id=derived_id("schedule", location.id, _hhmm(opens), _hhmm(closes)), location_id=str(location.id),
            byday=",".join(ICAL_DAYS[d] for d in weekdays), opens_at=_hhmm(opens), closes_at=_hhmm(closes),
            description=f"{', '.join(DUTCH_DAYS[d] for d in weekdays)} {_hhmm(opens)}-{_hhmm(closes)} ({zone})",
            notes=notes,
        ))
    return result


def location_full(location: Location, ctx: Context) -> hsds.HsdsLocation:
    addresses = []
    if location.street and location.postcode and location.city:
        addresses.append(hsds.HsdsAddress(
            id=derived_id("address", location.id), location_id=str(location.id),
            address_1=f"{location.street} {location.house_number or ''}".strip(), city=location.city,
            # Dutch addresses carry no province, nor does the catalogue; HSDS 3.0 requires the key.
            state_province="", postal_code=location.postcode,
        ))
    accessibility = [
        hsds.HsdsAccessibility(
            id=derived_id("accessibility", location.id), location_id=str(location.id),
            description=location.accessibility_note,
        )
    ] if location.accessibility_note else []
    return location_summary(location).model_copy(update={
        "addresses": addresses, "accessibility": accessibility, "schedules": schedules(location, ctx.today),
    })


def service_at_location(
    service: Service, location: Location, ctx: Context, *, full: bool, nest_service: bool = True
) -> hsds.HsdsServiceAtLocation:
    """Our service x location link. Contacts belong to the service, not to one location, so a
    full one nests them in its service (and has none of its own)."""
    if not full:
        return hsds.HsdsServiceAtLocation(
            id=service_at_location_id(service.id, location.id), service_id=str(service.id),
            location_id=str(location.id), location=location_summary(location),
            service=service_summary(service, ctx) if nest_service else None,
        )
    return hsds.HsdsServiceAtLocation(
        id=service_at_location_id(service.id, location.id), service_id=str(service.id),
        location_id=str(location.id), contacts=[], location=location_full(location, ctx),
        service=service_full(service, ctx, with_locations=False) if nest_service else None,
    )
