"""search_card: each service's, location's and contact's part of a search result, rendered once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Reading a search page's services, locations, opening hours and contacts in four
statements and building some 250 output objects from them costs about 9 of a 14 ms search
at 200,000 services. The cards hold those parts as JSON, rendered in the transaction that
writes the entry (app/search/cards.py), so a page reads them in one statement. The table
starts empty: `wijkkaart db upgrade` renders the missing cards after migrating, and a
search renders any card it finds missing on the fly.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_card",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id"),
    )


def downgrade() -> None:
    op.drop_table("search_card")
