"""service_anywhere: the services with neither service areas nor locations, kept by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

A telephone line or an online course has no area and no address: open to anyone,
anywhere. The search's area levels never reach such a service and its radius level needs a
location, so without this level a practice nurse would never see one. The search's last level ("anywhere") reads
them from this table, which holds their ids alone: finding services without areas and
locations at search time would test every service in the country.

Triggers keep it, as they keep service_open_location (migration 0007): after any change to
a service's rows, area links or location links, that service's row is made anew.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "INSERT INTO service_anywhere (service_id) SELECT s.id FROM service s WHERE {which} "
    "AND NOT EXISTS (SELECT 1 FROM service_area a WHERE a.service_id = s.id) "
    "AND NOT EXISTS (SELECT 1 FROM service_location l WHERE l.service_id = s.id)"
)
_SQLITE_REFRESH = (
    "DELETE FROM service_anywhere WHERE service_id = {row}.{key}; "
    + _FILL.format(which="s.id = {row}.{key}") + ";"
)
# Per change: the rows (new, old or both) whose services are refreshed.
_EVENTS = {"INSERT": ("new",), "DELETE": ("old",), "UPDATE": ("old", "new")}
# The column that names the service in each table. A service's own updates change neither
# its areas nor its links: only its insert and delete count.
_KEYS = {"service": "id", "service_area": "service_id", "service_location": "service_id"}
_TRIGGERS = [(f"{table}_anywhere_{event.lower()}", table, event) for table in _KEYS for event in _EVENTS
             if table != "service" or event != "UPDATE"]
_POSTGRES_FUNCTION = """
CREATE FUNCTION service_anywhere_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid[];
BEGIN
    -- TG_ARGV[0]: the column that names the service in the changed table.
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO changed;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO changed;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT k) FROM (SELECT %1$I AS k FROM old_rows '
                       'UNION SELECT %1$I FROM new_rows) AS both_sides', TG_ARGV[0]) INTO changed;
    END IF;
    DELETE FROM service_anywhere WHERE service_id = ANY(changed);
    """ + _FILL.format(which="s.id = ANY(changed)") + """;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table('service_anywhere', sa.Column('service_id', sa.Uuid(), primary_key=True))
    op.execute(_FILL.format(which="1 = 1"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for name, table, event in _TRIGGERS:
            referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _EVENTS[event])
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION service_anywhere_refresh('{_KEYS[table]}')")
        return
    for name, table, event in _TRIGGERS:
        body = " ".join(_SQLITE_REFRESH.format(row=row, key=_KEYS[table]) for row in _EVENTS[event])
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION service_anywhere_refresh()")
    else:
        for name, _table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('service_anywhere')
