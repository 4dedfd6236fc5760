"""Appending to the change log: the one record of every write, whatever its path.

Each entry is both a change for syncing clients (entity, version, upsert or delete) and
an audit record (who, for whom, what they did, the fields before and after).
"""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app import dialect
from app.changelog.models import ChangeLogEntry, ChangeLogGemeente
from app.changelog.schemas import AuditEntry
from app.clients.models import Role
from app.clients.scope import Actor, Principal
from app.db import CommittedWrites, table_of, utcnow
from app.errors import Forbidden
from app.pagination import keyset_page


class EntityType(StrEnum):
    area = "area"
    postcode = "postcode"
    organisation = "organisation"
    service = "service"
    location = "location"
    contact = "contact"
    front_door = "front_door"


class Operation(StrEnum):
    upsert = "upsert"
    delete = "delete"


class Action(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    verify = "verify"
    erase = "erase"


class Versioned(Protocol):
    version: int


ChangeListener = Callable[[Session, list[tuple[EntityType, object]]], None]
_listeners: list[ChangeListener] = []


def on_change(listener: ChangeListener) -> None:
    """Call `listener` with the session and the (entity type, id) of what each write records
    from now on, in the writer's transaction, before the write returns. Every write passes
    here, so what is derived from the catalogue (the search cards and documents) follows it
    without the change log knowing its readers. Registering the same listener again changes
    nothing."""
    if listener not in _listeners:
        _listeners.append(listener)


def _publish(session: Session, changed: list[tuple[EntityType, object]]) -> None:
    for listener in _listeners:
        listener(session, changed)


# Transactions that append to the change log: what commits with them changed the catalogue
# (the search's response cache watches the count).
APPENDED = CommittedWrites("change_log")


def _begin_append(session: Session) -> None:
    dialect.lock_change_log(session)
    APPENDED.mark(session)


def record_change(
    session: Session,
    entity_type: EntityType,
    entity_id: object,
    version: int,
    actor: Actor,
    action: Action,
    *,
    changes: dict[str, Any] | None = None,
    gemeenten: Iterable[str] = (),
) -> ChangeLogEntry:
    """Append one entry in the caller's transaction (so it commits with the change or not at all)."""
    _begin_append(session)
    entry = ChangeLogEntry(**_entry_values(Change(entity_type, entity_id, version, action, changes), actor))
    session.add(entry)
    session.flush()
    assert entry.position is not None  # the database numbers the entry at flush
    session.add_all(ChangeLogGemeente(position=entry.position, gemeente_code=code) for code in sorted(set(gemeenten)))
    _publish(session, [(entity_type, entity_id)])
    return entry


@dataclass(frozen=True)
class Change:
    """One entry for record_changes: what record_change takes, less the actor."""

    entity_type: EntityType
    entity_id: object
    version: int
    action: Action
    changes: dict[str, Any] | None = None
    gemeenten: Iterable[str] = ()


def _entry_values(change: Change, actor: Actor) -> dict[str, Any]:
    return {
        "entity_type": change.entity_type,
        "entity_id": str(change.entity_id),
        "operation": Operation.delete if change.action in (Action.delete, Action.erase) else Operation.upsert,
        "version": change.version,
        "actor": actor.name,
        "client_id": actor.principal.client_id if actor.principal else None,
        "on_behalf_of": actor.on_behalf_of,
        "action": change.action,
        "changes": change.changes or None,
    }


def record_changes(session: Session, actor: Actor, changes: Sequence[Change], *, publish: bool = True) -> None:
    """Append many entries at once, in order (a bulk import): one multi-row insert instead
    of an ORM object and a flush per entry. `publish` False: the listeners (on_change) are
    not called; the caller derives what they would have itself."""
    if not changes:
        return
    _begin_append(session)
    now = utcnow()
    table = table_of(ChangeLogEntry)
    positions = dialect.insert_rows(
        session, table, [_entry_values(change, actor) | {"changed_at": now} for change in changes],
        returning=table.c.position,
    )
    dialect.insert_rows(session, table_of(ChangeLogGemeente), [
        {"position": position, "gemeente_code": code}
        for position, change in zip(positions, changes, strict=True)
        for code in sorted(set(change.gemeenten))
    ])
    if publish:
        _publish(session, [(change.entity_type, change.entity_id) for change in changes])


def scrub_changes(session: Session, entity_type: EntityType, entity_id: object, fields: Iterable[str]) -> None:
    """Remove these fields from every recorded change of one entry (erasure)."""
    removed = set(fields)
    for entry in session.exec(
        select(ChangeLogEntry).where(ChangeLogEntry.entity_type == entity_type, ChangeLogEntry.entity_id == str(entity_id))
    ).all():
        if entry.changes and removed & entry.changes.keys():
            entry.changes = {name: value for name, value in entry.changes.items() if name not in removed} or None
            session.add(entry)
    session.flush()


def changed_fields(before: BaseModel | None, after: BaseModel) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field that differs (all of them for a create)."""
    old = before.model_dump(mode="json", exclude={"id"}) if before is not None else {}
    new = after.model_dump(mode="json", exclude={"id"})
    return {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}


def write_and_record(
    session: Session,
    entity_type: EntityType,
    entity: Any,
    actor: Actor,
    action: Action,
    *,
    changes: dict[str, Any] | None = None,
    gemeenten: Iterable[str] = (),
) -> ChangeLogEntry:
    """Give a created or changed entry its next version, write it and log the change."""
    bump_version(entity, is_new=action == Action.create)
    session.add(entity)
    session.flush()
    return record_change(
        session, entity_type, entity.id, entity.version, actor, action, changes=changes, gemeenten=gemeenten
    )


def record_save(
    session: Session, entity_type: EntityType, entity: Any, actor: Actor,
    before: BaseModel | None, after: BaseModel, gemeenten: Iterable[str],
) -> ChangeLogEntry:
    """A save path's write: a create when nothing was stored before, else an update, with
    the fields that changed."""
    return write_and_record(
        session, entity_type, entity, actor, Action.update if before else Action.create,
        changes=changed_fields(before, after), gemeenten=gemeenten,
    )


def bump_version(entity: Versioned, *, is_new: bool) -> None:
    """A new entry starts at version 1; every later change adds one."""
    if is_new:
        entity.version = 1
        return
    entity.version += 1
    if hasattr(entity, "updated_at"):
        entity.updated_at = utcnow()


def list_audit(
    session: Session,
    principal: Principal,
    *,
    entity_type: EntityType | None,
    entity_id: str | None,
    client_id: uuid.UUID | None,
    gemeente: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[AuditEntry], str | None]:
    """The trail, newest first. An editor sees the changes to its own gemeenten' entries only."""
    statement = select(ChangeLogEntry)
    if not principal.role.edits:
        raise Forbidden("The audit trail is for editors and admins.")
    if principal.role == Role.editor:
        if gemeente and gemeente not in principal.gemeenten:
            raise Forbidden(f"This key maintains {', '.join(sorted(principal.gemeenten))}, not {gemeente}.", field="gemeente")
        visible = [gemeente] if gemeente else sorted(principal.gemeenten)
        statement = statement.where(col(ChangeLogEntry.position).in_(
            select(ChangeLogGemeente.position).where(col(ChangeLogGemeente.gemeente_code).in_(visible))
        ))
    elif gemeente:
        statement = statement.where(col(ChangeLogEntry.position).in_(
            select(ChangeLogGemeente.position).where(ChangeLogGemeente.gemeente_code == gemeente)
        ))
    if entity_type:
        statement = statement.where(ChangeLogEntry.entity_type == entity_type)
    if entity_id:
        statement = statement.where(ChangeLogEntry.entity_id == entity_id)
    if client_id:
        statement = statement.where(ChangeLogEntry.client_id == client_id)
    if since:
        statement = statement.where(ChangeLogEntry.changed_at >= since)
    if until:
        statement = statement.where(ChangeLogEntry.changed_at < until)
    rows, next_cursor = keyset_page(
        session, statement, scope="audit", order=[ChangeLogEntry.position],  # type: ignore[list-item]  # SQLModel types columns and relationships as their Python values
        cursor=cursor, limit=limit, descending=True,
    )
    owners: dict[int, list[str]] = {row.position: [] for row in rows}
    for link in session.exec(
        select(ChangeLogGemeente).where(col(ChangeLogGemeente.position).in_(owners)).order_by(ChangeLogGemeente.gemeente_code)
    ).all():
        owners[link.position].append(link.gemeente_code)
    return [
        AuditEntry(
            **row.model_dump(include={"position", "entity_type", "entity_id", "action", "version", "actor",
                                      "client_id", "on_behalf_of", "changes"}),
            at=row.changed_at, gemeenten=owners[row.position],
        )
        for row in rows
    ], next_cursor
