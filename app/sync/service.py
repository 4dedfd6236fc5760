"""Keeping a copy in sync: the change feed and the full export, read from the one change log.

Entries travel normalised (app.sync.views): organisations and locations as their read
endpoints return them; a service with its organisation and locations by id and without
its contacts; a front door with its area, service and contact by code and id; an area as
its row. Each of those changes under its own version and arrives as its own change, so a
copy built from the feed stays exact.

Change-log positions become visible in commit order (app.dialect.lock_change_log), so
"everything after position n" never skips a change that commits later, and a cursor is
just a signed position: it survives restarts and any number of API workers.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import dialect
from app.changelog.models import ChangeLogEntry
from app.changelog.service import EntityType
from app.errors import Gone
from app.pagination import decode_cursor, encode_cursor
from app.sync import columns, views
from app.sync.schemas import Change, ChangePage
from app.visibility import Viewer

CURSOR_SCOPE = "changes"
View = dict[str, Any]


def entity_views(session: Session, wanted: Iterable[tuple[str, str]], viewer: Viewer) -> dict[tuple[str, str], View]:
    """The views of the live entries among `wanted`, by (kind, id)."""
    by_kind: dict[EntityType, list[str]] = {}
    for kind, entity_id in wanted:
        by_kind.setdefault(EntityType(kind), []).append(entity_id)
    found: dict[tuple[str, str], View] = {}
    for kind, ids in by_kind.items():
        for key, view in views.views(session.connection(), kind, viewer, ids):
            found[kind, key] = orjson.loads(columns.encode(view))  # as the export writes it
    return found


def _position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    (position,) = decode_cursor(CURSOR_SCOPE, cursor, [ChangeLogEntry.position], "since")  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
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
        .order_by(col(ChangeLogEntry.position)).limit(limit + 1)
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


# What the export holds, in the order a copy can be built (references first).
EXPORT_ORDER = [
    EntityType.area, EntityType.postcode, EntityType.organisation, EntityType.location,
    EntityType.service, EntityType.contact, EntityType.front_door,
]


def export_lines(session: Session, viewer: Viewer) -> Iterator[bytes]:
    """The cursor line first, then a line for every live entry, all from one snapshot."""
    dialect.begin_snapshot(session)
    top = session.exec(select(func.max(ChangeLogEntry.position))).one() or 0
    yield columns.encode({"type": "cursor", "next_cursor": encode_cursor(CURSOR_SCOPE, [top])}) + b"\n"
    connection = session.connection()
    for kind in EXPORT_ORDER:
        for key, view in views.views(connection, kind, viewer):
            yield columns.encode({"type": kind.value, "id": key, "entity": view}) + b"\n"
