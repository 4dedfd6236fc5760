"""service_area_document: each service's areas with its search document, kept by triggers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

A search with q tests, at each area level, the services of that area against the query.
From service_area it would look each one's document up by its key: nationally a gemeente
holds up to some 1,300 services, and the lookups (an index and a table probe apiece)
cost more than the test. Keyed by area, this table hands over an area's services with
their documents in one pass over adjacent rows. The document is stored with the
leading space the search's bound stems carry (app/search/ranking.py).

Triggers keep it, as they keep service_area_domain (0012): after any change to a
service's area links or its stems, its rows are made anew. The stems are in
service_search_stems.document on SQLite and service_search.stems on PostgreSQL (0006).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STEMS = {"sqlite": ("service_search_stems", "document"), "postgresql": ("service_search", "stems")}
_FILL = (
    "INSERT INTO service_area_document (area_code, service_id, document) "
    "SELECT a.area_code, a.service_id, ' ' || s.{column} FROM service_area a "
    "JOIN {table} s ON s.service_id = a.service_id WHERE {which}"
)
_SQLITE_REFRESH = (
    "DELETE FROM service_area_document WHERE service_id = {row}.service_id; "
    + _FILL.format(table="service_search_stems", column="document", which="a.service_id = {row}.service_id") + ";"
)
# Per change: the rows (new, old or both) whose services are refreshed.
_EVENTS = {"INSERT": ("new",), "DELETE": ("old",), "UPDATE": ("old", "new")}
_POSTGRES_FUNCTION = """
CREATE FUNCTION service_area_document_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT service_id) INTO changed FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT service_id) INTO changed FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT service_id) INTO changed
        FROM (SELECT service_id FROM old_rows UNION SELECT service_id FROM new_rows) AS both_sides;
    END IF;
    DELETE FROM service_area_document WHERE service_id = ANY(changed);
    """ + _FILL.format(table="service_search", column="stems", which="a.service_id = ANY(changed)") + """;
    RETURN NULL;
END
$$
"""


def _triggers(dialect_name: str) -> list[tuple[str, str, str]]:
    return [(f"{table}_area_document_{event.lower()}", table, event)
            for table in ("service_area", _STEMS[dialect_name][0]) for event in _EVENTS]


def upgrade() -> None:
    name = op.get_bind().dialect.name
    op.create_table(
        'service_area_document',
        sa.Column('area_code', sa.String(), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('area_code', 'service_id'),
        sqlite_with_rowid=False,  # an area's rows, documents and all, lie together in the key's order
    )
    op.create_index('ix_service_area_document_service_id', 'service_area_document', ['service_id'])
    table, column = _STEMS[name]
    op.execute(_FILL.format(table=table, column=column, which="1 = 1"))
    if name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for trigger, table, event in _triggers(name):
            referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _EVENTS[event])
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION service_area_document_refresh()")
        return
    for trigger, table, event in _triggers(name):
        body = " ".join(_SQLITE_REFRESH.format(row=row) for row in _EVENTS[event])
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN {body} END")


def downgrade() -> None:
    name = op.get_bind().dialect.name
    for trigger, table, _event in _triggers(name):
        op.execute(f"DROP TRIGGER {trigger} ON {table}" if name == "postgresql" else f"DROP TRIGGER {trigger}")
    if name == "postgresql":
        op.execute("DROP FUNCTION service_area_document_refresh()")
    op.drop_index('ix_service_area_document_service_id', table_name='service_area_document')
    op.drop_table('service_area_document')
