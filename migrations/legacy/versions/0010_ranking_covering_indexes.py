"""service and location: covering indexes for the ranking's lookup of each candidate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The ranking statement looks up every candidate service by its id (is it live and
active?) and each of its locations by id (live, and how far?). Through the primary key
alone each lookup also reads the table's row; with these columns in an index it reads the
index only. Over load.py's 2,000 searches at 200,000 services, the same code on a
database with and one without them, alternating search by search, two runs each: SQLite's
statements take 3.41 and 3.36 ms a search with them against 3.56 and 3.59 without,
PostgreSQL's 7.48 and 6.84 against 8.13 and 6.95; the pages are the same. A few per cent of a search, for an index
write more per service or location saved. (SQLite has no INCLUDE, so the columns are key
columns on both databases.)
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_service_id_state", "service", ["id", "deleted_at", "status"])
    op.create_index("ix_location_id_point", "location", ["id", "deleted_at", "lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_location_id_point", "location")
    op.drop_index("ix_service_id_state", "service")
