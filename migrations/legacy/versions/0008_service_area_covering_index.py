"""service_area: the index on area_code becomes a covering one on (area_code, service_id)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

The search's area levels read the services of an area code (a gemeente holds over a
thousand nationally). With the service id in the index they read them from the index
alone; on SQLite a text search's statement over Amsterdam's gemeente level takes 3.1 ms
with it against 4.3-7.0 ms without. (PostgreSQL, whose plan hashes or merges the candidates,
measures the same with and without it.)
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_service_area_area_code_service", "service_area", ["area_code", "service_id"])
    op.drop_index("ix_service_area_area_code", "service_area")


def downgrade() -> None:
    op.create_index("ix_service_area_area_code", "service_area", ["area_code"])
    op.drop_index("ix_service_area_area_code_service", "service_area")
