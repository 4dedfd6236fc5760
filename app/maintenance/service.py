"""Writes to the catalogue: create, replace, update (merge patch), delete, verify.

Every flow locks the stored entry, checks the version the client read (no lost
updates), and goes through the entry's one save path, which checks the actor's scope
and records the change. Nothing here commits: the request's transaction does.
"""

import uuid
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.changelog.service import Action, write_and_record
from app.clients.scope import Actor, authorize_write
from app.db import utcnow
from app.entity import CatalogueEntry, load_for_save
from app.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, invalid_input
from app.http_cache import entity_tag
from app.maintenance.kinds import Maintained


def _lock_current(session: Session, kind: Maintained, entity_id: uuid.UUID, expected: frozenset[int] | None) -> Any:
    entity = load_for_save(session, kind.model, entity_id, kind.load)
    if entity is None:
        raise NotFound(f"No {kind.entity_type.replace('_', ' ')} with id {entity_id}.", field="id")
    if expected is not None and entity.version not in expected:
        tag = entity_tag(kind.read(session, entity_id))  # as a read tags it: the client may send it back in If-Match
        raise PreconditionFailed(
            f"The {kind.entity_type.replace('_', ' ')} is at version {entity.version}, not the one in If-Match: "
            "it changed since you read it. Read it again and redo your change.",
            field="If-Match", current_etag=tag, headers={"ETag": tag},
        )
    return entity


def create(session: Session, kind: Maintained, data: BaseModel, actor: Actor) -> CatalogueEntry:
    entity_id = getattr(data, "id", None)
    if entity_id is not None and session.get(kind.model, entity_id) is not None:
        raise Conflict(f"An entry with id {entity_id} exists; change it with PUT or PATCH and If-Match.", field="id")
    entity, _ = kind.save(session, data, actor)
    return entity


def replace(
    session: Session, kind: Maintained, entity_id: uuid.UUID, data: BaseModel,
    expected: frozenset[int] | None, actor: Actor,
) -> CatalogueEntry:
    """PUT: `data` is the write schema's fields, or what GET returned with changes (see
    maintenance.schemas.replace_model)."""
    if getattr(data, "id", None) not in (None, entity_id):
        raise InvalidInput("The id in the body differs from the one in the path.", field="id")
    stored = _lock_current(session, kind, entity_id, expected)
    written = kind.write_schema.model_fields
    sent = data.model_fields_set
    values = {name: getattr(data, name) for name in sent if name in written}
    if read_only := sorted(name for name in sent if name not in written):
        current = kind.read(session, entity_id)
        if differing := [name for name in read_only if getattr(data, name) != getattr(current, name)]:
            raise InvalidInput(
                f"{', '.join(differing)}: read-only, and different from the stored value; leave it out or send "
                "it as read.", field=differing[0],
                errors=[{"field": name, "message": "read-only: differs from the stored value"} for name in differing],
            )
        kept = kind.as_write(stored)
        for name in read_only:
            values |= {field: getattr(kept, field) for field in kind.stands_for.get(name, ()) if field not in sent}
    try:
        checked = kind.write_schema.model_validate(values | {"id": entity_id})
    except ValidationError as exc:
        raise invalid_input(exc) from exc
    entity, _ = kind.save(session, checked, actor)
    return entity


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396: objects merge member by member, anything else (lists included) replaces."""
    merged = dict(target)
    for name, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = merge_patch(merged[name], value)
        else:
            merged[name] = value
    return merged


def update(
    session: Session, kind: Maintained, entity_id: uuid.UUID, patch: dict[str, Any],
    expected: frozenset[int] | None, actor: Actor,
) -> CatalogueEntry:
    current = kind.as_write(_lock_current(session, kind, entity_id, expected))
    try:
        data = kind.write_schema.model_validate(merge_patch(current.model_dump(), patch))
    except ValidationError as exc:
        raise invalid_input(exc) from exc
    entity, _ = kind.save(session, data.model_copy(update={"id": entity_id}), actor)
    return entity


def delete(
    session: Session, kind: Maintained, entity_id: uuid.UUID, expected: frozenset[int] | None, actor: Actor
) -> None:
    """Soft delete: gone from lists and search, a 410 on read, kept in the change log."""
    entity = _lock_current(session, kind, entity_id, expected)
    owned = kind.ownership(session, kind.as_write(entity))
    authorize_write(actor, owned, None)
    if blocking := {what: n for what, n in kind.dependents(session, entity_id).items() if n}:
        listed = ", ".join(f"{n} {what}" for what, n in blocking.items())
        raise Conflict(f"Still in use by {listed}; delete or move those first.", dependents=blocking)
    entity.deleted_at = utcnow()
    write_and_record(
        session, kind.entity_type, entity, actor, Action.delete,
        changes={"deleted_at": [None, entity.deleted_at.isoformat()]}, gemeenten=owned.gemeenten,
    )


def verify(
    session: Session, kind: Maintained, entity_id: uuid.UUID, expected: frozenset[int] | None, actor: Actor
) -> CatalogueEntry:
    """Mark the entry as checked now (it is still right), without changing anything else."""
    entity = _lock_current(session, kind, entity_id, expected)
    owned = kind.ownership(session, kind.as_write(entity))
    authorize_write(actor, owned, None)  # like a delete: only the stored entry's scope matters
    before, entity.last_verified_at = entity.last_verified_at, utcnow()
    write_and_record(
        session, kind.entity_type, entity, actor, Action.verify,
        changes={"last_verified_at": [before.isoformat() if before else None, entity.last_verified_at.isoformat()]},
        gemeenten=owned.gemeenten,
    )
    return entity
