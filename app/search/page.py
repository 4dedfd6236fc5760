"""The details of one search page, read with a few Core queries into plain records.

A page of 20 services carries some 250 rows (locations, their hours, domains, contacts).
As ORM instances they cost more than the search itself; as rows and records
(app.entity.as_record) they read the same to the shared builders (locations.to_out,
eligibility_rules, opening_state), at a fraction of the cost. The statements are built
once, with the ids as an expanding parameter.
"""

import uuid
from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import Date, Integer, String, bindparam, cast, literal, null, select
from sqlmodel import Session

from app.db import space_joined
from app.entity import as_record
from app.locations.models import Location, OpeningException, OpeningHours
from app.organisations.models import Organisation
from app.services.models import Eligibility, Service, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup

_location, _hours, _exception = (m.__table__ for m in (Location, OpeningHours, OpeningException))  # type: ignore[attr-defined]
_service, _organisation, _eligibility = (m.__table__ for m in (Service, Organisation, Eligibility))  # type: ignore[attr-defined]
_at, _domain, _group = (m.__table__ for m in (ServiceLocation, ServiceNeedDomain, ServiceTargetGroup))  # type: ignore[attr-defined]
_IDS = bindparam("ids", expanding=True)

_RULES = select(_eligibility).where(_eligibility.c.service_id.in_(_IDS))
# Ordered as the Service.locations relationship is; deleted locations never show.
_LOCATIONS = (
    select(_at.c.service_id, *_location.c)
    .join(_location, _location.c.id == _at.c.location_id)
    .where(_at.c.service_id.in_(_IDS), _location.c.deleted_at.is_(None))
    .order_by(_location.c.name)
)
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
_RULE_COLUMNS = [c.name for c in _eligibility.c if c.name != "service_id"]


# The columns a result shows, the organisation's name, the need domain and target group
# codes, and the eligibility rules (rule_*, all null without rules): one row per service.
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
    .where(_service.c.id.in_(_IDS))
)


def load_eligibility(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, SimpleNamespace]:
    """Service id -> a record with just `eligibility` (None without rules), for eligibility_rules."""
    rules = {row.service_id: row for row in session.execute(_RULES, {"ids": ids})}
    return {service_id: SimpleNamespace(eligibility=rules.get(service_id)) for service_id in ids}


def load_services(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, SimpleNamespace]:
    """Service id -> a record with the Service's columns a result shows and organisation, need_domains,
    target_groups, eligibility and live locations. The locations' opening_hours and
    exceptions start empty: load_opening_times fills in those the page needs."""
    if not ids:
        return {}
    locations: defaultdict[uuid.UUID, list[SimpleNamespace]] = defaultdict(list)
    for row in session.execute(_LOCATIONS, {"ids": ids}):
        locations[row.service_id].append(as_record(row, opening_hours=[], exceptions=[]))
    return {
        row.id: as_record(
            row,
            organisation=SimpleNamespace(id=row.organisation_id, name=row.organisation_name),
            need_domains=[SimpleNamespace(domain_code=code) for code in (row.domain_codes or "").split()],
            target_groups=[SimpleNamespace(group_code=code) for code in (row.group_codes or "").split()],
            locations=locations[row.id],
            eligibility=SimpleNamespace(**{n: getattr(row, f"rule_{n}") for n in _RULE_COLUMNS})
            if row.rule_service_id is not None else None,
        )
        for row in session.execute(_SERVICES, {"ids": ids})
    }


def load_opening_times(session: Session, locations: list[SimpleNamespace]) -> None:
    """Fill in the weekly hours and dated exceptions of these location records, in one
    round trip. A page shows them for each result's nearest location only (and needs all
    live locations' for an opening state), so the others are not read."""
    records: defaultdict[uuid.UUID, list[SimpleNamespace]] = defaultdict(list)
    for location in locations:
        records[location.id].append(location)
    if not records:
        return
    for row in session.execute(_TIMES, {"ids": list(records)}):
        for location in records[row.location_id]:
            (location.opening_hours if row.weekly else location.exceptions).append(row)
