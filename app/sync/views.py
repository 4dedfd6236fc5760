"""The normalised views that sync hands out, built in bulk.

A copy is kept by applying these one entry at a time, so each view holds only the entry's
own data and names other entries by id. They are built from a few set-wise queries per
batch rather than the read endpoints' object graphs: an export of the whole country
builds hundreds of thousands of them.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from app.areas.models import Area
from app.clock import local_today
from app.contacts.models import Contact, ContactArea
from app.contacts.service import is_current
from app.entity import is_live
from app.locations.models import Location
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


def _grouped(session: Session, pairs: Iterable[tuple[uuid.UUID, Any]]) -> defaultdict[uuid.UUID, list[Any]]:
    grouped: defaultdict[uuid.UUID, list[Any]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value if isinstance(value, str) else str(value))
    return grouped


def service_views(session: Session, keys: list[uuid.UUID]) -> dict[str, View]:
    rows = session.exec(select(Service).where(col(Service.id).in_(keys), is_live(Service))).all()
    ids = [row.id for row in rows]

    def codes(link: Any, column: Any) -> defaultdict[uuid.UUID, list[Any]]:
        return _grouped(session, session.exec(select(link.service_id, column).where(col(link.service_id).in_(ids))).all())

    domains = codes(ServiceNeedDomain, ServiceNeedDomain.domain_code)
    groups = codes(ServiceTargetGroup, ServiceTargetGroup.group_code)
    areas = codes(ServiceArea, ServiceArea.area_code)
    owners = codes(ServiceOwner, ServiceOwner.gemeente_code)
    located = _grouped(session, session.exec(
        select(ServiceLocation.service_id, Location.id)
        .join(Location, col(Location.id) == ServiceLocation.location_id)
        .where(col(ServiceLocation.service_id).in_(ids), is_live(Location))
        .order_by(Location.name, Location.id)
    ).all())
    rules = {
        row.service_id: EligibilityRules.model_validate(row.model_dump(exclude={"service_id"})).model_dump(mode="json")
        for row in session.exec(select(Eligibility).where(col(Eligibility.service_id).in_(ids))).all()
    }
    views = {}
    for row in rows:
        view = row.model_dump(mode="json", exclude={"deleted_at", "waiting_days", "waiting_reported_on"})
        view["waiting_time"] = {"days": row.waiting_days, "reported_on": view_date(row.waiting_reported_on)}
        view |= {
            "need_domains": sorted(domains[row.id]), "target_groups": sorted(groups[row.id]),
            "areas": sorted(areas[row.id]), "owners": sorted(owners[row.id]),
            "eligibility": rules.get(row.id), "location_ids": located[row.id],
        }
        views[str(row.id)] = view
    return views


def contact_views(session: Session, keys: list[uuid.UUID], viewer: Viewer) -> dict[str, View]:
    """Direct lines go through app.visibility, as in every other view of a contact."""
    today = local_today()
    rows = session.exec(select(Contact).where(col(Contact.id).in_(keys), is_live(Contact))).all()
    covers = _grouped(session, session.exec(
        select(ContactArea.contact_id, ContactArea.area_code).where(col(ContactArea.contact_id).in_(keys))
    ).all())
    return {
        str(row.id): redact_direct_lines(row.model_dump(mode="json", exclude={"deleted_at", "erased_at"}), viewer)
        | {"is_current": is_current(row, today), "areas": sorted(covers[row.id])}
        for row in rows
    }


def area_views(session: Session, codes: list[str]) -> dict[str, View]:
    return {row.code: row.model_dump(mode="json") for row in session.exec(select(Area).where(col(Area.code).in_(codes))).all()}


def view_date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
