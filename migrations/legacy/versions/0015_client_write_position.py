"""client_write_position: the primary's WAL position after each client's last write

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

With read replicas, a client's reads go to a replica only once it has replayed the
client's last write (app/replicas.py). Every API node records that position here, on the
primary, so that a read through any node finds it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'client_write_position',
        sa.Column('key_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('lsn', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('key_digest'),
    )


def downgrade() -> None:
    op.drop_table('client_write_position')
