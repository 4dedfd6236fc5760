"""service_point: each service's live locations with their coordinates, kept by triggers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

A search orders each area level by the distance to a service's nearest location, so it
measures every candidate's locations: through service_location to each location's row, two
lookups a location. Keyed by service and holding the coordinates of its live locations,
this table gives them in one range of adjacent rows.

Triggers keep it, as they keep service_area_domain (0012): a change to a service's
location links makes its rows anew; a change to a location (moved, deleted, restored)
makes that location's rows anew. SQLite fires the latter only for updates that set lat,
lon or deleted_at; PostgreSQL, whose statement triggers over changed rows cannot name
columns, for every update of a location.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "INSERT INTO service_point (service_id, location_id, lat, lon) "
    "SELECT sl.service_id, l.id, l.lat, l.lon FROM service_location sl JOIN location l ON l.id = sl.location_id "
    "WHERE l.deleted_at IS NULL AND {which}"
)
# table -> (the column of its rows that names what changed, the column of service_point
# and of the fill's link that it matches)
_KEYS = {"service_location": ("service_id", "service_id"), "location": ("id", "location_id")}
_EVENTS = {"INSERT": ("new",), "DELETE": ("old",), "UPDATE": ("old", "new")}
_TRIGGERS = [
    ("service_location_point_insert", "service_location", "INSERT"),
    ("service_location_point_delete", "service_location", "DELETE"),
    ("service_location_point_update", "service_location", "UPDATE"),
    ("location_point_delete", "location", "DELETE"),
    ("location_point_update", "location", "UPDATE"),
]
_POSTGRES_FUNCTION = """
CREATE FUNCTION service_point_refresh_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT {row_key}) INTO changed FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT {row_key}) INTO changed FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT {row_key}) INTO changed
        FROM (SELECT {row_key} FROM old_rows UNION SELECT {row_key} FROM new_rows) AS both_sides;
    END IF;
    DELETE FROM service_point WHERE {point_key} = ANY(changed);
    {fill};
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'service_point',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('service_id', 'location_id'),
        sqlite_with_rowid=False,  # a service's points lie together in the key's order
    )
    op.create_index('ix_service_point_location_id', 'service_point', ['location_id'])
    op.execute(_FILL.format(which="1 = 1"))
    if op.get_bind().dialect.name == "postgresql":
        for table, (row_key, point_key) in _KEYS.items():
            op.execute(_POSTGRES_FUNCTION.format(
                table=table, row_key=row_key, point_key=point_key,
                fill=_FILL.format(which=f"sl.{point_key} = ANY(changed)"),
            ))
        for name, table, event in _TRIGGERS:
            referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _EVENTS[event])
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION service_point_refresh_{table}()")
        return
    for name, table, event in _TRIGGERS:
        row_key, point_key = _KEYS[table]
        body = " ".join(
            f"DELETE FROM service_point WHERE {point_key} = {row}.{row_key}; "
            + _FILL.format(which=f"sl.{point_key} = {row}.{row_key}") + ";"
            for row in _EVENTS[event]
        )
        columns = " OF lat, lon, deleted_at" if table == "location" and event == "UPDATE" else ""
        op.execute(f"CREATE TRIGGER {name} AFTER {event}{columns} ON {table} BEGIN {body} END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, _event in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        for table in _KEYS:
            op.execute(f"DROP FUNCTION service_point_refresh_{table}()")
    op.drop_index('ix_service_point_location_id', table_name='service_point')
    op.drop_table('service_point')
