"""service_area_domain: each service's areas by its need domains, kept by triggers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A search with a need domain ranks, at each area level, the services of that area that
help in that domain. From service_area alone it would read every service of the area
and test each for the domain: nationally a gemeente holds hundreds to over a thousand
services, of which a domain keeps a fraction. Keyed by area and domain, this table hands
over that fraction only.

Triggers keep it, as they keep service_open_location (0007) and service_anywhere (0011):
after any change to a service's area links or need domains, its rows are made anew.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = (
    "INSERT INTO service_area_domain (area_code, domain_code, service_id) "
    "SELECT a.area_code, d.domain_code, a.service_id FROM service_area a "
    "JOIN service_need_domain d ON d.service_id = a.service_id WHERE {which}"
)
_SQLITE_REFRESH = (
    "DELETE FROM service_area_domain WHERE service_id = {row}.service_id; "
    + _FILL.format(which="a.service_id = {row}.service_id") + ";"
)
# Per change: the rows (new, old or both) whose services are refreshed.
_EVENTS = {"INSERT": ("new",), "DELETE": ("old",), "UPDATE": ("old", "new")}
_TRIGGERS = [(f"{table}_area_domain_{event.lower()}", table, event)
             for table in ("service_area", "service_need_domain") for event in _EVENTS]
_POSTGRES_FUNCTION = """
CREATE FUNCTION service_area_domain_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
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
    DELETE FROM service_area_domain WHERE service_id = ANY(changed);
    """ + _FILL.format(which="a.service_id = ANY(changed)") + """;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'service_area_domain',
        sa.Column('area_code', sa.String(), nullable=False),
        sa.Column('domain_code', sa.String(), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint('area_code', 'domain_code', 'service_id'),
        sqlite_with_rowid=False,  # read by its key alone
    )
    op.create_index('ix_service_area_domain_service_id', 'service_area_domain', ['service_id'])
    op.execute(_FILL.format(which="1 = 1"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        for name, table, event in _TRIGGERS:
            referencing = " ".join(f"{rows.upper()} TABLE AS {rows}_rows" for rows in _EVENTS[event])
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION service_area_domain_refresh()")
        return
    for name, table, event in _TRIGGERS:
        body = " ".join(_SQLITE_REFRESH.format(row=row) for row in _EVENTS[event])
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION service_area_domain_refresh()")
    else:
        for name, _table, _event in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index('ix_service_area_domain_service_id', table_name='service_area_domain')
    op.drop_table('service_area_domain')
