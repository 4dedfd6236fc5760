"""Columns every maintained catalogue entry carries."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlmodel import Field, Session, SQLModel, select

from app.db import UTCDateTime, utcnow
from app.errors import Gone, NotFound


class CatalogueEntry(SQLModel):
    """Stable UUID, a version bumped on every change, timestamps and a soft-delete mark."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


E = TypeVar("E", bound=CatalogueEntry)


def get_live(session: Session, model: type[E], entity_id: uuid.UUID, options: Sequence[Any] = ()) -> E:
    """The entry, or 404 when it never existed and 410 when it was deleted."""
    what = model.__tablename__.replace("_", " ")  # type: ignore[attr-defined]
    entity = session.exec(select(model).where(model.id == entity_id).options(*options)).first()
    if entity is None:
        raise NotFound(f"No {what} with id {entity_id}.", field="id")
    if entity.deleted_at is not None:
        raise Gone(f"The {what} {entity_id} was deleted on {entity.deleted_at:%Y-%m-%d}.", field="id")
    return entity


def load_for_save(session: Session, model: type[E], entity_id: uuid.UUID | None, options: Sequence[Any] = ()) -> E | None:
    """The stored entry a save replaces, row-locked until commit (PostgreSQL; SQLite
    write transactions are exclusive anyway), or None when the save creates it."""
    if entity_id is None:
        return None
    entity = session.exec(select(model).where(model.id == entity_id).options(*options).with_for_update()).first()
    if entity is not None and entity.deleted_at is not None:
        what = model.__tablename__.replace("_", " ")  # type: ignore[attr-defined]
        raise Gone(f"The {what} {entity_id} was deleted; a deleted entry cannot be changed.", field="id")
    return entity


def is_live(model: type[CatalogueEntry]) -> Any:
    return model.deleted_at.is_(None)  # type: ignore[union-attr]


@dataclass(frozen=True)
class Ownership:
    """Who an entry belongs to, for scope checks and the audit's gemeente filter.

    `areas` are the areas the entry itself sets (service areas, a contact's coverage, a
    front door's area): an editor may only set areas inside the owning gemeenten.
    """

    gemeenten: frozenset[str]
    organisations: frozenset[uuid.UUID]
    areas: frozenset[str] = frozenset()
    areas_field: str = "areas"


def as_record(row: Any, **extra: Any) -> SimpleNamespace:
    """A plain view of a Core row, read like its entity: far cheaper than an ORM instance
    where a response needs many rows and no identity map (search pages, contact lists)."""
    return SimpleNamespace(**row._mapping, **extra)
