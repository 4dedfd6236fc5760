"""Appending to the change log: the one record of every write, whatever its path.

Each entry is both a change for syncing clients (entity, version, upsert or delete) and
an audit record (who, for whom, what they did, the fields before and after).
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel
from sqlmodel import Session

from app import dialect
from app.changelog.models import ChangeLogEntry, ChangeLogGemeente
from app.clients.scope import Actor
from app.db import utcnow


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
    dialect.lock_change_log(session)
    entry = ChangeLogEntry(
        entity_type=entity_type,
        entity_id=str(entity_id),
        operation=Operation.delete if action in (Action.delete, Action.erase) else Operation.upsert,
        version=version,
        actor=actor.name,
        client_id=actor.principal.client_id if actor.principal else None,
        on_behalf_of=actor.on_behalf_of,
        action=action,
        changes=changes or None,
    )
    session.add(entry)
    session.flush()
    session.add_all(ChangeLogGemeente(position=entry.position, gemeente_code=code) for code in sorted(set(gemeenten)))
    return entry


def changed_fields(before: BaseModel | None, after: BaseModel) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field that differs (all of them for a create)."""
    old = before.model_dump(mode="json", exclude={"id"}) if before is not None else {}
    new = after.model_dump(mode="json", exclude={"id"})
    return {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}


def bump_version(entity: Versioned, *, is_new: bool) -> None:
    """A new entry starts at version 1; every later change adds one."""
    if is_new:
        entity.version = 1
        return
    entity.version += 1
    if hasattr(entity, "updated_at"):
        entity.updated_at = utcnow()  # type: ignore[attr-defined]
