"""The details of one search page, read with a few Core queries into plain records.

A page of 20 services carries some 250 rows (locations, their hours, domains, contacts).
As ORM instances they cost more than the search itself; as records (app.entity.as_record)
they read the same to the shared builders (locations.to_out, eligibility_rules,
opening_state), at a fraction of the cost.
"""

import uuid
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from app.entity import as_record
from app.locations.models import Location, OpeningException, OpeningHours
from app.organisations.models import Organisation
from app.services.models import Eligibility, Service, ServiceLocation, ServiceNeedDomain, ServiceTargetGroup


def _grouped(session: Session, statement: Select[Any], key: str) -> defaultdict[Any, list[SimpleNamespace]]:
    groups: defaultdict[Any, list[SimpleNamespace]] = defaultdict(list)
    for row in session.execute(statement):
        groups[getattr(row, key)].append(as_record(row))
    return groups


def load_services(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, SimpleNamespace]:
    """Service id -> a record with the Service's columns and organisation, need_domains,
    target_groups, eligibility and live locations (each with opening_hours and exceptions)."""
    if not ids:
        return {}
    domains = _grouped(session, select(ServiceNeedDomain.service_id, ServiceNeedDomain.domain_code)
                       .where(col(ServiceNeedDomain.service_id).in_(ids)), "service_id")
    groups = _grouped(session, select(ServiceTargetGroup.service_id, ServiceTargetGroup.group_code)
                      .where(col(ServiceTargetGroup.service_id).in_(ids)), "service_id")
    rules = {row.service_id: as_record(row) for row in session.execute(
        select(*Eligibility.__table__.columns).where(col(Eligibility.service_id).in_(ids))  # type: ignore[attr-defined]
    )}
    # Ordered as the Service.locations relationship is; deleted locations never show.
    located = session.execute(
        select(ServiceLocation.service_id, *Location.__table__.columns)  # type: ignore[attr-defined]
        .join(Location, col(Location.id) == ServiceLocation.location_id)
        .where(col(ServiceLocation.service_id).in_(ids), col(Location.deleted_at).is_(None))
        .order_by(Location.name)
    ).all()
    location_ids = list({row.id for row in located})
    hours = _grouped(session, select(OpeningHours.location_id, OpeningHours.weekday, OpeningHours.opens,
                                     OpeningHours.closes)
                     .where(col(OpeningHours.location_id).in_(location_ids))
                     .order_by(OpeningHours.weekday, OpeningHours.opens), "location_id")
    exceptions = _grouped(session, select(OpeningException.location_id, OpeningException.date, OpeningException.opens,
                                          OpeningException.closes, OpeningException.note)
                          .where(col(OpeningException.location_id).in_(location_ids))
                          .order_by(OpeningException.date), "location_id")
    locations: defaultdict[uuid.UUID, list[SimpleNamespace]] = defaultdict(list)
    for row in located:
        locations[row.service_id].append(SimpleNamespace(
            **{k: v for k, v in row._mapping.items() if k != "service_id"},
            opening_hours=hours[row.id], exceptions=exceptions[row.id],
        ))
    services = session.execute(
        select(*Service.__table__.columns, col(Organisation.name).label("organisation_name"))  # type: ignore[attr-defined]
        .join(Organisation, col(Organisation.id) == Service.organisation_id)
        .where(col(Service.id).in_(ids))
    )
    return {
        row.id: as_record(
            row,
            organisation=SimpleNamespace(id=row.organisation_id, name=row.organisation_name),
            need_domains=domains[row.id], target_groups=groups[row.id], eligibility=rules.get(row.id),
            locations=locations[row.id],
        )
        for row in services
    }
