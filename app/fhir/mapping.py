"""The catalogue as FHIR R4 resources: plain dicts built from the app's own views.

Every function takes what the REST API already shows (ServiceOut, LocationOut,
ContactOut with its visibility applied, …), so a rule about what may be shown lives in
one place. No HTTP and no queries here.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.areas.models import Area
from app.clock import local_zone
from app.contacts.schemas import ContactOut
from app.fhir import systems
from app.locations.schemas import LocationOut, OpeningExceptionIn, OpeningInterval
from app.organisations.schemas import OrganisationOut
from app.services.schemas import EligibilityRules, ServiceOut
from app.taxonomy.schemas import Taxonomy
from app.taxonomy.vocabulary import HOUSEHOLD_TYPE_LABELS, ServiceStatus

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # weekday 0 = Monday, as in the catalogue

COST_LABELS = {"free": "Gratis", "own_contribution": "Eigen bijdrage"}
AREA_KIND_LABELS = {"gemeente": "Gemeente", "wijk": "Wijk", "buurt": "Buurt"}
RULE_LABELS = {
    "min_age": "Minimumleeftijd",
    "max_age": "Maximumleeftijd",
    "must_live_in_area": "Woont in het werkgebied",
    "max_income_pct_social_minimum": "Maximaal inkomen",
    "household_types": "Huishouden",
    "required_target_group": "Doelgroep",
    "needs_beschikking": "Beschikking nodig",
    "needs_gp_referral": "Verwijzing huisarts nodig",
}


@dataclass(frozen=True)
class Labels:
    """Display texts of our codes, from the taxonomy (need domains and groups are tables)."""

    need_domains: Mapping[str, str]
    target_groups: Mapping[str, str]
    access_routes: Mapping[str, str]

    @classmethod
    def of(cls, taxonomy: Taxonomy) -> "Labels":
        return cls(
            need_domains={t.code: t.label for t in taxonomy.need_domains},
            target_groups={t.code: t.label for t in taxonomy.target_groups},
            access_routes={t.code: t.label for t in taxonomy.access_routes},
        )


def prune(value: Any) -> Any:
    """FHIR JSON has no nulls and no empty strings, arrays or objects: drop them, recursively."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [item for item in (prune(v) for v in value) if item not in (None, "", [], {})]
    return value


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def meta(version: int, updated: datetime | None) -> dict[str, Any]:
    return {"versionId": str(version), "lastUpdated": instant(updated) if updated else None}


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def reference(resource_type: str, resource_id: object, display: str | None = None) -> dict[str, Any]:
    return {"reference": f"{resource_type}/{resource_id}", "display": display}


def _optional_reference(resource_type: str, resource_id: object, display: str | None = None) -> dict[str, Any] | None:
    return reference(resource_type, resource_id, display) if resource_id else None


def _identifier(system: str, value: str | None) -> dict[str, Any] | None:
    return {"use": "official", "system": system, "value": value} if value else None


def _telecom(system: str, value: str | None) -> dict[str, Any] | None:
    return {"system": system, "value": value, "use": "work"} if value else None


# --- Opening hours --------------------------------------------------------------------


def _clock(moment: time) -> str:
    return moment.isoformat(timespec="seconds")


def _weekly(intervals: Iterable[OpeningInterval]) -> list[tuple[list[str], time, time]]:
    """Intervals grouped by their hours: (days, opens, closes), in week order."""
    days_by_hours: dict[tuple[time, time], set[int]] = defaultdict(set)
    for interval in intervals:
        days_by_hours[(interval.opens, interval.closes)].add(interval.weekday)
    groups = sorted((sorted(days), opens, closes) for (opens, closes), days in days_by_hours.items())
    return [([DAYS[d] for d in days], opens, closes) for days, opens, closes in groups]


def _local(day: date, moment: time) -> str:
    return datetime.combine(day, moment, tzinfo=local_zone()).isoformat()


def _merged(intervals: list[tuple[time, time]]) -> list[tuple[time, time]]:
    merged: list[tuple[time, time]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _closed_parts(day: date, open_hours: list[tuple[time, time]]) -> list[dict[str, str]]:
    """The periods of `day` outside its open hours, as local date-times (end: next midnight)."""
    end_of_day = _local(day + timedelta(days=1), time(0))
    starts = [time(0), *(closes for _, closes in open_hours)]
    ends: list[time | None] = [*(opens for opens, _ in open_hours), None]
    periods = []
    for start, end in zip(starts, ends, strict=True):
        if end is None:
            periods.append({"start": _local(day, start), "end": end_of_day})
        elif start < end:
            periods.append({"start": _local(day, start), "end": _local(day, end)})
    return periods


def not_available(locations: list[LocationOut]) -> list[dict[str, Any]]:
    """A service's dated exceptions: a day counts only when every one of its locations has
    an exception then (one location closed while another is open is no gap in the service).
    A day closed everywhere is one all-day period; a day with other hours gives the parts
    of the day outside them, so 'open at t' stays computable from availableTime and these."""
    by_day: dict[date, list[OpeningExceptionIn]] = defaultdict(list)
    for location in locations:
        for exception in location.exceptions:
            by_day[exception.date].append(exception)
    entries: list[dict[str, Any]] = []
    for day in sorted(by_day):
        exceptions = by_day[day]
        if len(exceptions) < len(locations):
            continue
        notes = "; ".join(dict.fromkeys(e.note for e in exceptions if e.note))
        hours = _merged([(e.opens, e.closes) for e in exceptions if e.opens and e.closes])
        if not hours:
            whole_day = {"start": day.isoformat(), "end": day.isoformat()}
            entries.append({"description": notes or "Gesloten", "during": whole_day})
            continue
        shown = ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in hours)
        description = f"{notes} (open {shown})" if notes else f"Alleen open {shown}"
        entries += [{"description": description, "during": period} for period in _closed_parts(day, hours)]
    return entries


def _exceptions_text(exceptions: list[OpeningExceptionIn]) -> str:
    parts = []
    for e in exceptions:
        state = f"open {e.opens:%H:%M}–{e.closes:%H:%M}" if e.opens and e.closes else "gesloten"
        parts.append(f"{e.date:%d-%m-%Y} {state}" + (f" ({e.note})" if e.note else ""))
    return "; ".join(parts)


# --- Resources ------------------------------------------------------------------------


def organization(organisation: OrganisationOut) -> dict[str, Any]:
    return prune({
        "resourceType": "Organization",
        "id": str(organisation.id),
        "meta": meta(organisation.version, organisation.updated_at),
        "identifier": [
            _identifier(systems.KVK, organisation.kvk_number),
            _identifier(systems.AGB, organisation.agb_code),
        ],
        "active": True,  # deleted organisations are gone (410), not inactive
        "name": organisation.name,
        "telecom": [
            _telecom("phone", organisation.phone),
            _telecom("email", organisation.email),
            _telecom("url", organisation.website),
        ],
    })


def _address(location: LocationOut) -> dict[str, Any]:
    address = location.address
    line = " ".join(part for part in (address.street, address.house_number) if part)
    parts = [
        {"url": systems.STREET_NAME, "valueString": address.street} if address.street else None,
        {"url": systems.HOUSE_NUMBER, "valueString": address.house_number} if address.house_number else None,
    ]
    return {
        "use": "work",
        "type": "physical",
        "text": ", ".join(p for p in (line, " ".join(p for p in (address.postcode, address.city) if p)) if p),
        "line": [line] if line else None,
        # The Dutch way to keep street and house number apart (as the Nictiz profiles do).
        "_line": [{"extension": parts}] if line else None,
        "city": address.city,
        "postalCode": address.postcode,
        "country": "NL",
    }


def location(location: LocationOut) -> dict[str, Any]:
    return prune({
        "resourceType": "Location",
        "id": str(location.id),
        "meta": meta(location.version, location.updated_at),
        "status": "active",
        "name": location.name,
        "description": location.accessibility_note,
        "mode": "instance",
        "address": _address(location),
        "position": {"longitude": location.lon, "latitude": location.lat},
        "managingOrganization": _optional_reference("Organization", location.organisation_id),
        "hoursOfOperation": [
            {"daysOfWeek": days, "openingTime": _clock(opens), "closingTime": _clock(closes)}
            for days, opens, closes in _weekly(location.opening_hours)
        ],
        "availabilityExceptions": _exceptions_text(location.exceptions),
    })


def area_location(area: Area, changed_at: datetime | None, parent_name: str | None) -> dict[str, Any]:
    """A CBS gemeente, wijk or buurt as a Location, so that coverageArea references resolve."""
    retired = f"Opgeheven in {area.retired_year}" if area.retired_year else None
    successors = f"opvolgers: {', '.join(area.successor_codes)}" if area.successor_codes else None
    return prune({
        "resourceType": "Location",
        "id": area.code,
        "meta": meta(area.version, changed_at),
        "identifier": [_identifier(systems.CBS_AREA_CODE, area.code)],
        "status": "inactive" if area.retired_year else "active",
        "name": area.name,
        "description": "; ".join(p for p in (retired, successors) if p),
        "mode": "instance",
        "type": [concept(systems.AREA_KIND, area.kind, AREA_KIND_LABELS.get(area.kind))],
        "physicalType": concept(systems.LOCATION_PHYSICAL_TYPE, "area", "Area"),
        "position": {"longitude": area.lon, "latitude": area.lat} if area.lat is not None else None,
        "partOf": _optional_reference("Location", area.parent_code, parent_name),
    })


def _eligibility(rules: EligibilityRules | None, labels: Labels) -> list[dict[str, Any]]:
    if rules is None:
        return []
    texts: list[tuple[str, str]] = []
    if rules.min_age is not None:
        texts.append(("min_age", f"Vanaf {rules.min_age} jaar"))
    if rules.max_age is not None:
        texts.append(("max_age", f"Tot en met {rules.max_age} jaar"))
    if rules.must_live_in_area:
        texts.append(("must_live_in_area", "Alleen voor inwoners van het werkgebied"))
    if rules.max_income_pct_social_minimum is not None:
        texts.append((
            "max_income_pct_social_minimum",
            f"Inkomen tot en met {rules.max_income_pct_social_minimum}% van het sociaal minimum",
        ))
    if rules.household_types:
        shown = ", ".join(HOUSEHOLD_TYPE_LABELS[h][0] for h in rules.household_types)
        texts.append(("household_types", f"Alleen voor huishoudens: {shown}"))
    if group := rules.required_target_group:
        texts.append(("required_target_group", f"Alleen voor doelgroep: {labels.target_groups.get(group, group)}"))
    if rules.needs_beschikking:
        texts.append(("needs_beschikking", "Alleen met een beschikking van de gemeente"))
    if rules.needs_gp_referral:
        texts.append(("needs_gp_referral", "Alleen met een verwijzing van de huisarts"))
    entries = [
        {"code": concept(systems.ELIGIBILITY_RULE, code, RULE_LABELS[code]), "comment": text} for code, text in texts
    ]
    return entries + ([{"comment": rules.note}] if rules.note else [])


def _extra_details(service: ServiceOut) -> str:
    lines = []
    if service.cost_note:
        lines.append(f"Kosten: {service.cost_note}")
    waiting = service.waiting_time
    if waiting.days is not None:
        reported = f" (gemeld op {waiting.reported_on:%d-%m-%Y})" if waiting.reported_on else ""
        lines.append(f"Wachttijd: {waiting.days} dagen{reported}")
    return "\n\n".join(lines)


def healthcare_service(
    service: ServiceOut, organisation: OrganisationOut, labels: Labels, area_names: Mapping[str, str]
) -> dict[str, Any]:
    hours = [interval for place in service.locations for interval in place.opening_hours]
    return prune({
        "resourceType": "HealthcareService",
        "id": str(service.id),
        "meta": meta(service.version, service.updated_at),
        "identifier": [_identifier(systems.SERVICE_EXTERNAL_ID, service.external_id)],
        # Paused and ended services are not on offer: the REST search leaves them out too.
        "active": service.status == ServiceStatus.active,
        "providedBy": reference("Organization", organisation.id, organisation.name),
        "category": [
            concept(systems.NEED_DOMAIN, code, labels.need_domains.get(code)) for code in service.need_domains
        ],
        "location": [reference("Location", place.id, place.name) for place in service.locations],
        "name": service.name,
        "comment": service.description,
        "extraDetails": _extra_details(service),
        # The organisation's general lines: a person's direct line belongs to a PractitionerRole.
        "telecom": [
            _telecom("phone", organisation.phone),
            _telecom("email", organisation.email),
            _telecom("url", organisation.website),
        ],
        "coverageArea": [reference("Location", code, area_names.get(code)) for code in service.areas],
        "eligibility": _eligibility(service.eligibility, labels),
        "characteristic": [
            concept(systems.TARGET_GROUP, code, labels.target_groups.get(code)) for code in service.target_groups
        ] + [concept(systems.COST, service.cost, COST_LABELS.get(service.cost))],
        "communication": [concept(systems.LANGUAGE, language) for language in service.languages],
        "referralMethod": [
            concept(systems.ACCESS_ROUTE, service.access_route, labels.access_routes.get(service.access_route))
        ],
        # Union over the locations: the service is available wherever one of them is open.
        "availableTime": [
            {"daysOfWeek": days, "availableStartTime": _clock(opens), "availableEndTime": _clock(closes)}
            for days, opens, closes in _weekly(hours)
        ],
        "notAvailable": not_available(service.locations),
    })


def practitioner(contact: ContactOut) -> dict[str, Any]:
    """The person only: their direct lines travel on the PractitionerRole, where visibility applies."""
    return prune({
        "resourceType": "Practitioner",
        "id": str(contact.id),
        "meta": meta(contact.version, contact.updated_at),
        "active": contact.is_current,
        "name": [{"text": contact.name}],  # no given/family split: Dutch names (tussenvoegsels) don't split safely
    })


def practitioner_role(
    contact: ContactOut,
    organisation: tuple[object, str | None] | None,
    service_name: str | None,
) -> dict[str, Any]:
    """`contact` comes from contacts.to_out, so its direct lines are already those the viewer may see."""
    lines = [
        _telecom("phone", contact.phone),
        _telecom("email", contact.email),
        _telecom("other", contact.secure_messaging),  # a secure-messaging address (Zorgmail and the like)
    ]
    # FHIR's own mark for 'something was withheld from you', like `redacted` in the REST view.
    redacted = {"system": systems.SECURITY_LABEL, "code": "REDACTED", "display": "redacted"}
    return prune({
        "resourceType": "PractitionerRole",
        "id": str(contact.id),
        "meta": {**meta(contact.version, contact.updated_at), "security": [redacted] if contact.redacted else []},
        # An expired (or not yet valid) contact is never offered as current.
        "active": contact.is_current,
        "period": {
            "start": contact.valid_from.isoformat() if contact.valid_from else None,
            "end": contact.valid_until.isoformat() if contact.valid_until else None,
        },
        "practitioner": reference("Practitioner", contact.id, contact.name),
        "organization": reference("Organization", *organisation) if organisation else None,
        "healthcareService": [_optional_reference("HealthcareService", contact.service_id, service_name)],
        "code": [
            {"text": contact.role},
            concept(systems.CONTACT_KIND, "general", "Algemeen contactpersoon") if contact.is_general else None,
        ],
        "telecom": lines,
    })
