"""Keeping a copy in sync: the change feed and the full export, read from the one change log.

Entries travel normalised: as their read endpoints return them, except that a service
names its organisation and locations by id and leaves out its contacts, and a front door
names its area, service and contact by code and id. Each of those changes under its own
version and arrives as its own change, so a copy built from the feed stays exact.

Change-log positions become visible in commit order (app.dialect.lock_change_log), so
"everything after position n" never skips a change that commits later, and a cursor is
just a signed position: it survives restarts and any number of API workers.
"""

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import dialect
from app.areas.models import Area, Postcode4
from app.areas.service import get_area
from app.changelog.models import ChangeLogEntry
from app.changelog.service import EntityType
from app.clock import local_today
from app.contacts import service as contacts
from app.contacts.models import Contact
from app.entity import is_live
from app.errors import Gone
from app.front_doors.models import FrontDoor
from app.locations import service as locations
from app.locations.models import Location
from app.organisations import service as organisations
from app.organisations.models import Organisation
from app.pagination import decode_cursor, encode_cursor
from app.services import service as services
from app.services.models import Service
from app.sync.schemas import Change, ChangePage
from app.visibility import Viewer

CURSOR_SCOPE = "changes"
EXPORT_BATCH = 500
View = dict[str, Any]


def _catalogue_views(session: Session, kind: EntityType, ids: list[str], viewer: Viewer) -> dict[str, View]:
    """The read views of the live entries among `ids`, by id."""
    today = local_today()
    keys = [uuid.UUID(i) for i in ids]
    outs: list[Any]
    if kind == EntityType.organisation:
        rows = session.exec(select(Organisation).where(col(Organisation.id).in_(keys), is_live(Organisation))
                            .options(*organisations.ORGANISATION_LOAD)).all()
        outs = [organisations.to_out(row) for row in rows]
    elif kind == EntityType.location:
        rows = session.exec(select(Location).where(col(Location.id).in_(keys), is_live(Location))
                            .options(*locations.LOCATION_LOAD)).all()
        outs = [locations.to_out(row) for row in rows]
    elif kind == EntityType.service:
        rows = session.exec(select(Service).where(col(Service.id).in_(keys), is_live(Service))
                            .options(*services.SERVICE_LOAD)).all()
        return {str(out.id): _normalised_service(out.model_dump(mode="json"))
                for out in services.to_outs(session, list(rows), viewer)}
    elif kind == EntityType.contact:
        rows = session.exec(select(Contact).where(col(Contact.id).in_(keys), is_live(Contact))
                            .options(*contacts.CONTACT_LOAD)).all()
        outs = [contacts.to_out(row, viewer, today) for row in rows]
    else:
        rows = session.exec(select(FrontDoor).where(col(FrontDoor.id).in_(keys), is_live(FrontDoor))).all()
        return {str(row.id): row.model_dump(mode="json", exclude={"deleted_at"}) for row in rows}
    return {str(out.id): out.model_dump(mode="json") for out in outs}


def _normalised_service(view: View) -> View:
    """A service refers to its organisation and locations by id and leaves its contacts
    out: each of those changes under its own version and arrives as its own change."""
    view["organisation_id"] = view.pop("organisation")["id"]
    view["location_ids"] = [location["id"] for location in view.pop("locations")]
    del view["contacts"]
    return view


def _reference_views(session: Session, kind: EntityType, ids: list[str]) -> dict[str, View]:
    if kind == EntityType.area:
        return {code: get_area(session, code).model_dump(mode="json") for code in ids}
    rows = session.exec(select(Postcode4).where(col(Postcode4.pc4).in_(ids))).all()
    return {row.pc4: row.model_dump(mode="json") for row in rows}


def entity_views(session: Session, wanted: Iterable[tuple[EntityType, str]], viewer: Viewer) -> dict[tuple[str, str], View]:
    by_kind: dict[EntityType, list[str]] = {}
    for kind, entity_id in wanted:
        by_kind.setdefault(EntityType(kind), []).append(entity_id)
    views: dict[tuple[str, str], View] = {}
    for kind, ids in by_kind.items():
        found = (
            _reference_views(session, kind, ids) if kind in (EntityType.area, EntityType.postcode)
            else _catalogue_views(session, kind, ids, viewer)
        )
        views.update({(kind, entity_id): view for entity_id, view in found.items()})
    return views


def _position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    (position,) = decode_cursor(CURSOR_SCOPE, cursor, [ChangeLogEntry.position])  # type: ignore[list-item]
    return int(position)


def changes_since(session: Session, viewer: Viewer, since: str | None, limit: int) -> ChangePage:
    after = _position(since)
    oldest = session.exec(select(func.min(ChangeLogEntry.position))).one()
    if oldest is not None and after < oldest - 1:
        # Only when old entries were pruned: the client missed changes it can no longer get.
        raise Gone("This cursor is older than the change log keeps; do a full sync from /api/v1/export.ndjson.",
                   field="since")
    rows = session.exec(
        select(ChangeLogEntry).where(col(ChangeLogEntry.position) > after)
        .order_by(ChangeLogEntry.position).limit(limit + 1)
    ).all()
    page = rows[:limit]
    views = entity_views(session, ((row.entity_type, row.entity_id) for row in page if row.operation == "upsert"), viewer)
    items = [
        Change(
            **row.model_dump(include={"position", "entity_type", "entity_id", "operation", "version", "changed_at"}),
            entity=views.get((row.entity_type, row.entity_id)) if row.operation == "upsert" else None,
        )
        for row in page
    ]
    last = page[-1].position if page else after
    return ChangePage(items=items, next_cursor=encode_cursor(CURSOR_SCOPE, [last]), has_more=len(rows) > limit)


# What the export holds, in the order a copy can be built (references first):
# the kind, its key column and, for catalogue entries, the model (to skip deleted ones).
_EXPORTED: list[tuple[EntityType, Any, Any]] = [
    (EntityType.area, Area.code, None),
    (EntityType.postcode, Postcode4.pc4, None),
    (EntityType.organisation, Organisation.id, Organisation),
    (EntityType.location, Location.id, Location),
    (EntityType.service, Service.id, Service),
    (EntityType.contact, Contact.id, Contact),
    (EntityType.front_door, FrontDoor.id, FrontDoor),
]


def _key_batches(session: Session, key: Any, model: Any) -> Iterator[list[str]]:
    """Every (live) key of one kind, a batch at a time (keyset, so memory stays flat)."""
    last: Any = None
    while True:
        statement = select(key).order_by(key).limit(EXPORT_BATCH)
        if model is not None:
            statement = statement.where(is_live(model))
        if last is not None:
            statement = statement.where(key > last)
        batch = session.exec(statement).all()
        if not batch:
            return
        yield [str(value) for value in batch]
        last = batch[-1]


def export_lines(session: Session, viewer: Viewer) -> Iterator[tuple[str, str | None, View]]:
    """(type, id, view) for the cursor first, then every live entry, from one snapshot."""
    dialect.begin_snapshot(session)
    top = session.exec(select(func.max(ChangeLogEntry.position))).one() or 0
    yield "cursor", None, {"next_cursor": encode_cursor(CURSOR_SCOPE, [top])}
    for kind, key, model in _EXPORTED:
        for ids in _key_batches(session, key, model):
            views = entity_views(session, ((kind, i) for i in ids), viewer)
            for entity_id in ids:
                if (kind, entity_id) in views:
                    yield kind, entity_id, views[(kind, entity_id)]
            session.expunge_all()  # keep the identity map, and so memory, flat
