"""Appending to the change log: the one record of every write, whatever its path."""

from enum import StrEnum
from typing import Protocol

from sqlmodel import Session

from app import dialect
from app.changelog.models import ChangeLogEntry
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


class Versioned(Protocol):
    version: int


def record_change(
    session: Session,
    entity_type: EntityType,
    entity_id: object,
    version: int,
    actor: str,
    operation: Operation = Operation.upsert,
) -> ChangeLogEntry:
    """Append one entry in the caller's transaction (so it commits with the change or not at all)."""
    dialect.lock_change_log(session)
    entry = ChangeLogEntry(
        entity_type=entity_type,
        entity_id=str(entity_id),
        operation=operation,
        version=version,
        actor=actor,
    )
    session.add(entry)
    session.flush()
    return entry


def bump_version(entity: Versioned, *, is_new: bool) -> None:
    """A new entry starts at version 1; every later change adds one."""
    if is_new:
        entity.version = 1
        return
    entity.version += 1
    if hasattr(entity, "updated_at"):
        entity.updated_at = utcnow()  # type: ignore[attr-defined]
