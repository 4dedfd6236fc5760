"""The sync views as the ORM and the read endpoints build them, one entry at a time.

This is the definition that the export's fast path (streamed Core rows, app.sync.views) must
match, value for value and in order. Fields are listed in the model's field order: a table
model's model_dump lists them in the order the ORM loads them, which varies with
PYTHONHASHSEED from one process to the next.
"""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from app.areas.models import Area, Postcode4
from app.changelog.service import EntityType
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.contacts.service import is_current, reachability_uncertain
from app.front_doors.models import FrontDoor
from app.locations import service as locations
from app.locations.models import Location
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.services.models import (
    Eligibility,
    Service,
    ServiceArea,
    ServiceLocation,
    ServiceNeedDomain,
    ServiceOwner,
    ServiceTargetGroup,
)
from app.services.schemas import EligibilityRules
from app.visibility import Viewer, redact_direct_lines

View = dict[str, Any]


def _dump(row: Any, exclude: set[str] | None = None) -> View:
    """The row as model_dump gives it, its fields in the model's order."""
    dumped = row.model_dump(mode="json", exclude=exclude)
    return {name: dumped[name] for name in type(row).model_fields if name in dumped}


def _service(session: Session, row: Service) -> View:
    def codes(link: Any, column: Any) -> list[str]:
        return sorted(session.exec(select(column).where(link.service_id == row.id)).all())

    rules = session.get(Eligibility, row.id)
    located = session.exec(
        select(Location.id).join(ServiceLocation, col(Location.id) == ServiceLocation.location_id)
        .where(ServiceLocation.service_id == row.id, col(Location.deleted_at).is_(None))
        .order_by(Location.name, Location.id)
    ).all()
    view = _dump(row, {"deleted_at", "waiting_days", "waiting_reported_on"})
    view["waiting_time"] = {
        "days": row.waiting_days,
        "reported_on": row.waiting_reported_on.isoformat() if row.waiting_reported_on else None,
    }
    return view | {
        "need_domains": codes(ServiceNeedDomain, ServiceNeedDomain.domain_code),
        "target_groups": codes(ServiceTargetGroup, ServiceTargetGroup.group_code),
        "areas": codes(ServiceArea, ServiceArea.area_code),
        "owners": codes(ServiceOwner, ServiceOwner.gemeente_code),
        "eligibility": None if rules is None else EligibilityRules.model_validate(
            rules.model_dump(exclude={"service_id"})
        ).model_dump(mode="json"),
        "location_ids": [str(i) for i in located],
    }


def _contact(session: Session, row: Contact, viewer: Viewer) -> View:
    covers = session.exec(select(ContactArea.area_code).where(ContactArea.contact_id == row.id)).all()
    return redact_direct_lines(_dump(row, {"deleted_at", "erased_at", "unreachable_reported_at"}), viewer) | {
        "is_current": is_current(row, local_today()),
        "reachability_uncertain": reachability_uncertain(row.unreachable_reported_at, row.last_verified_at),
        "areas": sorted(covers),
    }


def reference_view(session: Session, kind: EntityType, entity_id: str, viewer: Viewer) -> View | None:
    """The view of one entry, or None when it is not live."""
    if kind == EntityType.area:
        area = session.get(Area, entity_id)
        return _dump(area) if area else None
    if kind == EntityType.postcode:
        postcode = session.get(Postcode4, entity_id)
        return _dump(postcode) if postcode else None
    model = {
        EntityType.organisation: Organisation, EntityType.location: Location, EntityType.service: Service,
        EntityType.contact: Contact, EntityType.front_door: FrontDoor,
    }[kind]
    options = {EntityType.organisation: organisations.ORGANISATION_LOAD, EntityType.location: locations.LOCATION_LOAD}
    row = session.exec(select(model).where(model.id == uuid.UUID(entity_id)).options(*options.get(kind, ()))).first()
    if row is None or row.deleted_at is not None:
        return None
    if kind == EntityType.organisation:
        return organisations.to_out(row).model_dump(mode="json")
    if kind == EntityType.location:
        return locations.to_out(row).model_dump(mode="json")
    if kind == EntityType.service:
        return _service(session, row)
    if kind == EntityType.contact:
        return _contact(session, row, viewer)
    return _dump(row, {"deleted_at"})
