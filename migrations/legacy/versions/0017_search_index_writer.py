"""search index writer: the derived tables' triggers dropped; each service's name stems kept

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

The five tables the ranking reads by key (service_open_location 0007, service_anywhere
0011, service_area_domain 0012, service_area_document 0013, service_point 0014) were kept
by triggers. The search index (app/search/index/) now writes them, with the cards and the
documents, from the change log's hook, a bulk import and `wijkkaart db upgrade`: their
triggers go, their rows stay. The downgrade creates the triggers again from the migrations
that made them.

FHIR's `name` of a HealthcareService matches words as the search does (stems, prefixes,
compounds), against the name alone: the index keeps the stems of a service's name beside
all of its stems. The column starts empty; `wijkkaart db upgrade` writes the documents
lacking it anew after migrating.

SQLite's FTS5 index keeps following its stems table by the triggers of 0006: they are how
an external-content FTS5 table is kept, as PostgreSQL keeps a GIN index itself.
"""

import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table holding each service's stems as text (migration 0006).
_STEMS_TABLE = {"sqlite": "service_search_stems", "postgresql": "service_search"}
# The migrations whose triggers go, and the PostgreSQL functions they call.
_MADE_BY = {
    "0007_service_open_location": ["service_open_location_refresh()"],
    "0011_service_anywhere": ["service_anywhere_refresh()"],
    "0012_service_area_domain": ["service_area_domain_refresh()"],
    "0013_service_area_document": ["service_area_document_refresh()"],
    "0014_service_point": ["service_point_refresh_service_location()", "service_point_refresh_location()"],
}


def _migration(name: str) -> ModuleType:
    """An older migration's module, for its trigger definitions (migrations are files, not a package)."""
    spec = importlib.util.spec_from_file_location(f"wijkkaart_migration_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _triggers(module: ModuleType, dialect_name: str) -> list[tuple[str, str, str]]:
    """(name, table, event) of a migration's triggers."""
    return module._triggers(dialect_name) if hasattr(module, "_triggers") else module._TRIGGERS


def upgrade() -> None:
    name = op.get_bind().dialect.name
    drop_triggers(name)
    op.execute(f"ALTER TABLE {_STEMS_TABLE[name]} ADD COLUMN name_stems TEXT")


def drop_triggers(name: str) -> None:
    """The five tables' triggers and PostgreSQL functions dropped (0018's downgrade also uses it)."""
    for migration, functions in _MADE_BY.items():
        for trigger, table, _event in _triggers(_migration(migration), name):
            op.execute(f"DROP TRIGGER {trigger} ON {table}" if name == "postgresql" else f"DROP TRIGGER {trigger}")
        if name == "postgresql":
            for function in functions:
                op.execute(f"DROP FUNCTION {function}")


def downgrade() -> None:
    name = op.get_bind().dialect.name
    op.execute(f"ALTER TABLE {_STEMS_TABLE[name]} DROP COLUMN name_stems")
    for migration in _MADE_BY:
        _CREATE[migration](_migration(migration), name)


def _postgres_triggers(module: ModuleType, triggers: list[tuple[str, str, str]], function: str) -> None:
    for trigger, table, event in triggers:
        referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in module._EVENTS[event])
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {function.format(table=table)}")


def _sqlite_triggers(module: ModuleType, triggers: list[tuple[str, str, str]]) -> None:
    for trigger, table, event in triggers:
        body = " ".join(module._SQLITE_REFRESH.format(row=row) for row in module._EVENTS[event])
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN {body} END")


def _refreshed_by(function: str) -> Callable[[ModuleType, str], None]:
    """How 0007, 0012 and 0013 made their triggers: one refresh function for every trigger."""
    def create(module: ModuleType, name: str) -> None:
        triggers = _triggers(module, name)
        if name == "postgresql":
            op.execute(module._POSTGRES_FUNCTION)
            _postgres_triggers(module, triggers, function)
        else:
            _sqlite_triggers(module, triggers)
    return create


def _anywhere(module: ModuleType, name: str) -> None:  # as 0011 made them: the refresh takes the table's key
    if name == "postgresql":
        op.execute(module._POSTGRES_FUNCTION)
        for trigger, table, event in module._TRIGGERS:
            _postgres_triggers(module, [(trigger, table, event)], f"service_anywhere_refresh('{module._KEYS[table]}')")
        return
    for trigger, table, event in module._TRIGGERS:
        body = " ".join(module._SQLITE_REFRESH.format(row=row, key=module._KEYS[table]) for row in module._EVENTS[event])
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN {body} END")


def _point(module: ModuleType, name: str) -> None:  # as 0014 made them
    if name == "postgresql":
        for table, (row_key, point_key) in module._KEYS.items():
            op.execute(module._POSTGRES_FUNCTION.format(
                table=table, row_key=row_key, point_key=point_key,
                fill=module._FILL.format(which=f"sl.{point_key} = ANY(changed)"),
            ))
        _postgres_triggers(module, module._TRIGGERS, "service_point_refresh_{table}()")
        return
    for trigger, table, event in module._TRIGGERS:
        row_key, point_key = module._KEYS[table]
        body = " ".join(
            f"DELETE FROM service_point WHERE {point_key} = {row}.{row_key}; "
            + module._FILL.format(which=f"sl.{point_key} = {row}.{row_key}") + ";"
            for row in module._EVENTS[event]
        )
        columns = " OF lat, lon, deleted_at" if table == "location" and event == "UPDATE" else ""
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event}{columns} ON {table} BEGIN {body} END")


_CREATE = {
    "0007_service_open_location": _refreshed_by("service_open_location_refresh()"),
    "0011_service_anywhere": _anywhere,
    "0012_service_area_domain": _refreshed_by("service_area_domain_refresh()"),
    "0013_service_area_document": _refreshed_by("service_area_document_refresh()"),
    "0014_service_point": _point,
}
