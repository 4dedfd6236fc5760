"""service_open_location: the location links of services open to anyone, kept by triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

The search's radius level wants, for the locations near a patient, the services there that
have no service areas. Reading every link at those locations and testing each service for
areas (an anti-join per link) is most of the slowest searches' cost: a rare word in a dense
place reaches thousands of links. This table holds only the links of services without
areas, keyed by location, so the radius level reads them from the key alone.

Triggers keep it, so every writer (the save paths, the bulk import, re-division, a script
of the operator's) keeps it right without knowing of it: after any change to a service's
links or areas, that service's rows are made anew. SQLite: row triggers. PostgreSQL:
statement triggers over the changed rows (a bulk COPY refreshes each chunk once).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "INSERT INTO service_open_location (location_id, service_id) "
    "SELECT l.location_id, l.service_id FROM service_location l "
    "WHERE {which} AND NOT EXISTS (SELECT 1 FROM service_area a WHERE a.service_id = l.service_id)"
)
_SQLITE_REFRESH = (
    "DELETE FROM service_open_location WHERE service_id = {row}.service_id; "
    + _FILL.format(which="l.service_id = {row}.service_id") + ";"
)
# Per change: the rows (new, old or both) whose services are refreshed.
_EVENTS = {"INSERT": ("new",), "DELETE": ("old",), "UPDATE": ("old", "new")}
_TRIGGERS = [(f"{table}_open_{event.lower()}", table, event)
             for table in ("service_location", "service_area") for event in _EVENTS]
_POSTGRES_FUNCTION = """
CREATE FUNCTION service_open_location_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
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
    DELETE FROM service_open_location WHERE service_id = ANY(changed);
    """ + _FILL.format(which="l.service_id = ANY(changed)") + """;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'service_open_location',
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint('location_id', 'service_id'),
    )
    op.create_index('ix_service_open_location_service_id', 'service_open_location', ['service_id'])
    op.execute(_FILL.format(which="1 = 1"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for name, table, event in _TRIGGERS:
            referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _EVENTS[event])
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION service_open_location_refresh()")
        return
    for name, table, event in _TRIGGERS:
        body = " ".join(_SQLITE_REFRESH.format(row=row) for row in _EVENTS[event])
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION service_open_location_refresh()")
    else:
        for name, _table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_service_open_location_service_id', 'service_open_location')
    op.drop_table('service_open_location')
