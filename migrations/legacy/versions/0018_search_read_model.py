"""search read model: the five ranking tables dropped

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

The ranking finds its candidates in each worker's read model (app/search/memory.py),
loaded from the catalogue and the services' stems and kept from the change log, and no
longer in the tables that handed them to its SQL by key: service_open_location (0007),
service_anywhere (0011), service_area_domain (0012), service_area_document (0013) and
service_point (0014) go. The downgrade makes each again as its migration did, filled from
the catalogue, and drops their triggers as 0017 did.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("service_open_location", "service_anywhere", "service_area_domain", "service_area_document", "service_point")


def _migration(name: str) -> ModuleType:
    """An older migration's module (migrations are files, not a package)."""
    spec = importlib.util.spec_from_file_location(f"wijkkaart_migration_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)


def downgrade() -> None:
    index_writer = _migration("0017_search_index_writer")
    for migration in index_writer._MADE_BY:
        _migration(migration).upgrade()  # the table, filled, with its triggers
    index_writer.drop_triggers(op.get_bind().dialect.name)
