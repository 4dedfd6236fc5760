"""Columns every maintained catalogue entry carries."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Index, text
from sqlmodel import Field, Session, SQLModel, col, select

from app.db import UTCDateTime, utcnow
from app.errors import Conflict, Gone, InvalidInput, NotFound


class CatalogueEntry(SQLModel):
    """Stable UUID, a version bumped on every change, timestamps and a soft-delete mark."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The maintainer's own key for the entry (bulk import matches rows on it); unique
    # among the live entries of one kind, see external_id_index.
    external_id: str | None = Field(default=None, max_length=100)


def external_id_index(table: str) -> Index:
    """Deleted entries free their external id for reuse, as they free their place otherwise."""
    return Index(
        f"uq_{table}_external_id_live", "external_id", unique=True,
        sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
    )


E = TypeVar("E", bound=CatalogueEntry)


def get_live(session: Session, model: type[E], entity_id: uuid.UUID, options: Sequence[Any] = ()) -> E:
    """The entry, or 404 when it never existed and 410 when it was deleted."""
    what = str(model.__tablename__).replace("_", " ")
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
    if entity is not None:
        refuse_deleted(entity)
    return entity


def refuse_deleted(entity: CatalogueEntry) -> None:
    if entity.deleted_at is not None:
        what = str(entity.__tablename__).replace("_", " ")
        raise Gone(f"The {what} {entity.id} was deleted; a deleted entry cannot be changed.", field="id")


def is_live(model: type[CatalogueEntry]) -> Any:
    return model.deleted_at.is_(None)  # type: ignore[union-attr]  # SQLModel types columns and relationships as their Python values


def live_by_external_id(session: Session, model: type[CatalogueEntry], external_ids: Iterable[str]) -> dict[str, uuid.UUID]:
    """external id -> id of the live entries of one kind that carry one of these keys."""
    wanted = set(external_ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(model.external_id, model.id).where(is_live(model), col(model.external_id).in_(wanted))
    ).all()
    return {external_id: entity_id for external_id, entity_id in rows}  # type: ignore[misc]  # external_id is not null in these rows (the where clause)


def require_unique_external_id(
    session: Session, model: type[CatalogueEntry], entity_id: uuid.UUID, external_id: str | None,
    known: dict[str, uuid.UUID] | None = None,
) -> None:
    """409 when another live entry of this kind already carries the external id. `known`:
    live_by_external_id of a bulk import's chunk, fetched once for all its rows."""
    if external_id is None:
        return
    other = (live_by_external_id(session, model, [external_id]) if known is None else known).get(external_id)
    if other is not None and other != entity_id:
        what = str(model.__tablename__).replace("_", " ")
        raise Conflict(f"The external_id {external_id!r} is already used by {what} {other}.", field="external_id")


@dataclass(frozen=True)
class Ownership:
    """Who an entry belongs to, for scope checks and the audit's gemeente filter.

    `areas` are the areas the entry itself sets (service areas, a contact's coverage, a
    front door's area): an editor may only set areas inside the owning gemeenten.
    `attached` are the entries it is attached to: an editor attaches only to its own.
    The `*_field`s name the field each comes from, which a refusal names (an import row's
    column): a location's gemeenten are its organisation's, a front door's its area's.
    """

    gemeenten: frozenset[str]
    organisations: frozenset[uuid.UUID]
    areas: frozenset[str] = frozenset()
    areas_field: str = "areas"
    attached: tuple["Attachment", ...] = ()
    gemeenten_field: str = "owners"
    organisations_field: str = "organisation_id"


NO_OWNERS = Ownership(gemeenten=frozenset(), organisations=frozenset())


@dataclass(frozen=True)
class Attachment:
    """Entries of one kind an entry is attached to, by the field that names them (a
    service's organisation_id and location_ids, a contact's service_id, ...)."""

    field: str
    ids: frozenset[uuid.UUID]
    # Who owns each of the ids given: read only when a scope check needs it (an editor
    # attaching anew), so saves by admins and the system, and exports, never read it.
    read_owners: Callable[[frozenset[uuid.UUID]], dict[uuid.UUID, Ownership]] = dataclass_field(compare=False, repr=False)
    # The entry takes its owners from this one (a service from its organisation).
    gives_owners: bool = False


def as_record(row: Any, **extra: Any) -> SimpleNamespace:
    """A plain view of a Core row, read like its entity: far cheaper than an ORM instance
    where a response needs many rows and no identity map (search pages, contact lists)."""
    return SimpleNamespace(**row._mapping, **extra)


def require_reference(session: Session, model: type[SQLModel], key: object, field: str) -> None:
    """422 on `field` when it names a `model` row that does not exist or was deleted (None names none)."""
    if key is None:
        return
    row = session.get(model, key)
    if row is None or row.deleted_at is not None:  # type: ignore[attr-defined]  # every model passed here is a CatalogueEntry
        gone = " (it was deleted)" if row is not None else ""
        raise InvalidInput(f"No {field.removesuffix('_id').replace('_', ' ')} with id {key}{gone}.", field=field)
