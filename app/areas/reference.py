"""Writing reference rows (areas, PC4s) with their change-log entries, one row or a national list at once.

Each row that differs from what is stored gets its next version and one change-log entry
(a create or an update with the fields before and after), so HIS clients syncing the
change feed see reference data change like any entry. Rows are read, inserted and
updated in bulk: a national import writes tens of thousands of them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlmodel import Session

from app import dialect
from app.areas.models import Area, Postcode4
from app.changelog.service import Action, Change, EntityType, record_changes
from app.clients.scope import Actor, gemeente_of
from app.db import table_of

_CHUNK = 2000  # keys per IN list: well below SQLite's limit on bound variables


@dataclass
class Written:
    """What one call wrote: the keys created and changed, and each changed row's fields before and after."""

    created: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.created or self.changed)


_KEYS: dict[type, tuple[str, EntityType]] = {Area: ("code", EntityType.area), Postcode4: ("pc4", EntityType.postcode)}


def stored_rows(session: Session, model: type[Area] | type[Postcode4], keys: Sequence[str]) -> dict[str, Any]:
    """The stored rows (Core rows, read-only) under these keys."""
    table: Table = table_of(model)
    key_column = table.c[_KEYS[model][0]]
    found: dict[str, Any] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        for row in session.execute(select(table).where(key_column.in_(unique[start:start + _CHUNK]))):
            found[row._mapping[key_column.name]] = row
    return found


def save_reference_rows(
    session: Session, model: type[Area] | type[Postcode4], rows: Sequence[dict[str, Any]], actor: Actor
) -> Written:
    """Insert or update these rows (each a dict of the columns it sets, key included); a row
    equal to the stored one writes nothing. Areas must come parents first."""
    key_name, entity_type = _KEYS[model]
    table: Table = table_of(model)
    session.flush()  # Core statements below: pending ORM changes go first
    stored = stored_rows(session, model, [str(row[key_name]) for row in rows])
    written = Written()
    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    changes: list[Change] = []
    for row in rows:
        key = str(row[key_name])
        before = stored.get(key)
        if before is None:
            full = model(**row).model_dump()  # the model's defaults for what the row leaves out
            full["version"] = 1
            inserts.append(full)
            stored[key] = full  # a repeated key in one call updates the first
            written.created.append(key)
            diff = {name: [None, value] for name, value in row.items() if value is not None}
            changes.append(_change(entity_type, key, 1, Action.create, diff, row, model))
            continue
        current = before._mapping if hasattr(before, "_mapping") else before
        diff = {name: [current[name], value] for name, value in row.items() if current[name] != value}
        if not diff:
            continue
        version = current["version"] + 1
        columns = tuple(sorted(row))
        updates.setdefault(columns, []).append({**{f"v_{n}": row[n] for n in columns}, "k": key, "v_version": version})
        written.changed[key] = diff
        changes.append(_change(entity_type, key, version, Action.update, diff, {**current, **row}, model))
    dialect.insert_rows(session, table, inserts)
    for columns, params in updates.items():
        statement = (
            update(table).where(table.c[key_name] == bindparam("k"))
            .values({name: bindparam(f"v_{name}") for name in (*columns, "version") if name != key_name})
        )
        session.execute(statement, params)
    record_changes(session, actor, changes)
    if updates:
        session.expire_all()  # ORM instances loaded earlier would otherwise show the old values
    return written


def _change(
    entity_type: EntityType, key: str, version: int, action: Action, diff: dict[str, Any],
    after: Any, model: type[Area] | type[Postcode4],
) -> Change:
    gemeente = after.get("gemeente_code") if model is Postcode4 else gemeente_of(key)
    return Change(entity_type, key, version, action, diff, [gemeente] if gemeente else [])
