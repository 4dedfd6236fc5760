"""external ids: the maintainer's own key on every catalogue entry (bulk import)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

A nullable column on organisation, service, location, contact and front_door, unique
among the live entries of one kind (a partial index: deleted entries free their key).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('organisation', 'service', 'location', 'contact', 'front_door')
LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'), 'postgresql_where': sa.text('deleted_at IS NULL')}


# Plain ALTER TABLE, no batch mode: SQLite (3.35 and later) adds and drops a column in
# place, while a batch copy of these tables would trip the foreign keys that point at them.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        op.create_index(f'uq_{table}_external_id_live', table, ['external_id'], unique=True, **LIVE)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(f'uq_{table}_external_id_live', table_name=table, **LIVE)
        op.drop_column(table, 'external_id')
