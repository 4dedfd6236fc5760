"""Columns every maintained catalogue entry carries."""

import uuid
from collections.abc import Sequence
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


def is_live(model: type[CatalogueEntry]) -> Any:
    return model.deleted_at.is_(None)  # type: ignore[union-attr]


def as_record(row: Any, **extra: Any) -> SimpleNamespace:
    """A plain view of a Core row, read like its entity: far cheaper than an ORM instance
    where a response needs many rows and no identity map (search pages, contact lists)."""
    return SimpleNamespace(**row._mapping, **extra)
