"""baseline: the whole schema, with its reference rows

Revision ID: 0018
Revises:
Create Date: 2026-12-08

Every table, index, constraint and trigger of the schema, and the reference rows it starts
with, on SQLite and PostgreSQL. A database made by this file is the one the migrations in
migrations/legacy/versions (0001-0018) make, object for object (tests/test_migration_baseline.py
compares them), and it carries their head's revision id: a database already at legacy 0018
is at this baseline and needs nothing; one at an older legacy revision is taken to 0018 by
the legacy chain first (app.db.upgrade_schema, `wijkkaart db upgrade`). See
docs/adr/0021-migrations-squashed-into-a-baseline.md.

This file describes the schema by itself (no app imports), so a later change to a model
never changes it: such a change is a new migration on top of it.

Column order: columns that older databases gained by ALTER TABLE ... ADD COLUMN come last
in their tables here too, so both kinds of database have the same columns in the same order.

Where the databases differ: the search index. SQLite keeps each service's stems in
service_search_stems and indexes them in an FTS5 external-content table, service_search,
that three triggers keep in step (the way FTS5 follows its content table). PostgreSQL keeps
the stems as text beside a tsvector with a GIN index in one table, service_search. Every
other derived table (the search cards) is written by app/search/index/; the ranking reads
the catalogue and the stems into each worker's memory (app/search/memory.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0018'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Live entries only: a deleted entry frees its key.
LIVE = {'sqlite_where': sa.text('deleted_at IS NULL'), 'postgresql_where': sa.text('deleted_at IS NULL')}
# A key that counts up; SQLite uses the rowid.
POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The life domains of the Zelfredzaamheid-Matrix, in the matrix's own order.
NEED_DOMAINS = [
    ("financien", "Financiën", "Finances"),
    ("werk_opleiding", "Werk & opleiding", "Work & education"),
    ("tijdsbesteding", "Tijdsbesteding", "Use of time"),
    ("huisvesting", "Huisvesting", "Housing"),
    ("huiselijke_relaties", "Huiselijke relaties", "Domestic relations"),
    ("geestelijke_gezondheid", "Geestelijke gezondheid", "Mental health"),
    ("lichamelijke_gezondheid", "Lichamelijke gezondheid", "Physical health"),
    ("middelengebruik", "Middelengebruik", "Substance use"),
    ("basale_adl", "Basale ADL", "Basic activities of daily living"),
    ("instrumentele_adl", "Instrumentele ADL", "Instrumental activities of daily living"),
    ("sociaal_netwerk", "Sociaal netwerk", "Social network"),
    ("maatschappelijke_participatie", "Maatschappelijke participatie", "Participation in society"),
    ("justitie", "Justitie", "Justice"),
]

TARGET_GROUPS = [
    ("jeugd", "Jeugd (0-17)", "Children and youth (0-17)"),
    ("jongvolwassenen", "Jongvolwassenen (18-27)", "Young adults (18-27)"),
    ("ouders", "Ouders en opvoeders", "Parents and carers of children"),
    ("ouderen", "Ouderen (50+)", "Older people (50+)"),
    ("mantelzorgers", "Mantelzorgers", "Informal carers"),
    ("statushouders", "Statushouders", "Refugees with a residence permit"),
    ("ex_gedetineerden", "Ex-gedetineerden", "People leaving prison"),
    ("laaggeletterden", "Laaggeletterden", "Low-literate people"),
    ("mensen_met_beperking", "Mensen met een beperking", "People with a disability"),
    ("dak_en_thuislozen", "Dak- en thuislozen", "Homeless people"),
]

# SQLite's FTS5 index of service_search_stems, and the triggers that keep it in step.
SQLITE_STEMS = (
    "CREATE TABLE service_search_stems (id INTEGER PRIMARY KEY, service_id CHAR(32) NOT NULL UNIQUE, "
    "document TEXT NOT NULL, name_stems TEXT)"
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE service_search USING fts5(document, service_id UNINDEXED, "
    "content='service_search_stems', content_rowid='id')"
)
SQLITE_FTS_TRIGGERS = {
    "service_search_stems_ai": "AFTER INSERT ON service_search_stems BEGIN "
    "INSERT INTO service_search (rowid, document, service_id) VALUES (new.id, new.document, new.service_id); END",
    "service_search_stems_ad": "AFTER DELETE ON service_search_stems BEGIN "
    "INSERT INTO service_search (service_search, rowid, document, service_id) "
    "VALUES ('delete', old.id, old.document, old.service_id); END",
    "service_search_stems_au": "AFTER UPDATE ON service_search_stems BEGIN "
    "INSERT INTO service_search (service_search, rowid, document, service_id) "
    "VALUES ('delete', old.id, old.document, old.service_id); "
    "INSERT INTO service_search (rowid, document, service_id) VALUES (new.id, new.document, new.service_id); END",
}

# Every table, in the order they are made (a table after those it refers to).
TABLES = (
    'area', 'postcode4', 'postcode4_buurt', 'postcode6', 'need_domain', 'target_group',
    'organisation', 'organisation_owner', 'location', 'opening_hours', 'opening_exception',
    'service', 'service_owner', 'service_area', 'service_location', 'service_need_domain',
    'service_target_group', 'eligibility', 'contact', 'contact_area', 'front_door',
    'change_log', 'change_log_gemeente', 'api_client', 'api_client_gemeente', 'api_client_organisation',
    'api_key', 'client_write_position', 'entry_report', 'entry_report_gemeente', 'referral',
    'referral_domain', 'referral_event', 'referral_tally', 'referral_contact_days', 'search_tally',
    'search_card',
)


def _entry_columns() -> list[sa.Column]:
    """The columns every catalogue entry starts with (organisation, location, service, contact, front door)."""
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    _areas_and_postcodes()
    _reference_lists()
    _catalogue()
    _change_log()
    _api_clients()
    _referrals_reports_and_counters()
    _search_index(op.get_bind().dialect.name)


def _areas_and_postcodes() -> None:
    """CBS areas (gemeente > wijk > buurt) and the postcodes that lie in them."""
    op.create_table('area',
        sa.Column('code', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('parent_code', sa.String(length=8), nullable=True),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('first_year', sa.Integer(), nullable=True),
        sa.Column('retired_year', sa.Integer(), nullable=True),
        sa.Column('successor_codes', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'gemeente' AND length(code) = 6 AND substr(code, 1, 2) = 'GM' AND parent_code IS NULL) "
            "OR (kind = 'wijk' AND length(code) = 8 AND substr(code, 1, 2) = 'WK' "
            "AND parent_code = 'GM' || substr(code, 3, 4)) "
            "OR (kind = 'buurt' AND length(code) = 10 AND substr(code, 1, 2) = 'BU' "
            "AND parent_code = 'WK' || substr(code, 3, 6))",
            name='area_code_shape'),
        sa.ForeignKeyConstraint(['parent_code'], ['area.code']),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_index('ix_area_kind', 'area', ['kind'])
    op.create_index('ix_area_parent_code', 'area', ['parent_code'])

    op.create_table('postcode4',
        sa.Column('pc4', sa.String(length=4), nullable=False),
        sa.Column('place', sa.String(), nullable=True),
        sa.Column('gemeente_code', sa.String(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['gemeente_code'], ['area.code']),
        sa.PrimaryKeyConstraint('pc4'),
    )
    op.create_index('ix_postcode4_gemeente_code', 'postcode4', ['gemeente_code'])
    op.create_index('ix_postcode4_lat_lon', 'postcode4', ['lat', 'lon'])

    op.create_table('postcode4_buurt',
        sa.Column('pc4', sa.String(), nullable=False),
        sa.Column('buurt_code', sa.String(), nullable=False),
        sa.Column('approximate', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['buurt_code'], ['area.code']),
        sa.ForeignKeyConstraint(['pc4'], ['postcode4.pc4']),
        sa.PrimaryKeyConstraint('pc4', 'buurt_code'),
    )
    op.create_index('ix_postcode4_buurt_buurt_code', 'postcode4_buurt', ['buurt_code'])

    op.create_table('postcode6',
        sa.Column('pc6', sa.String(length=6), nullable=False),
        sa.Column('pc4', sa.String(), nullable=False),
        sa.Column('buurt_code', sa.String(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['buurt_code'], ['area.code']),
        sa.ForeignKeyConstraint(['pc4'], ['postcode4.pc4']),
        sa.PrimaryKeyConstraint('pc6'),
    )
    op.create_index('ix_postcode6_buurt_code', 'postcode6', ['buurt_code'])
    op.create_index('ix_postcode6_pc4', 'postcode6', ['pc4'])


def _reference_lists() -> None:
    """The need domains and target groups, with their rows: the API's fixed vocabularies."""
    for name, items in (('need_domain', NEED_DOMAINS), ('target_group', TARGET_GROUPS)):
        table = op.create_table(name,
            sa.Column('code', sa.String(length=40), nullable=False),
            sa.Column('label', sa.String(), nullable=False),
            sa.Column('label_en', sa.String(), nullable=False),
            sa.Column('position', sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint('code'),
        )
        op.bulk_insert(table, [
            {'code': code, 'label': label, 'label_en': label_en, 'position': position}
            for position, (code, label, label_en) in enumerate(items, start=1)
        ])


def _catalogue() -> None:
    """Organisations, their locations with opening hours, services, contacts and front doors."""
    op.create_table('organisation',
        *_entry_columns(),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('kvk_number', sa.String(length=8), nullable=True),
        sa.Column('agb_code', sa.String(length=8), nullable=True),
        sa.Column('website', sa.String(), nullable=True),
        sa.Column('phone', sa.String(), nullable=True),
        sa.Column('email', sa.String(), nullable=True),
        sa.Column('description', sa.String(), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_organisation_name', 'organisation', ['name'])
    op.create_index('uq_organisation_external_id_live', 'organisation', ['external_id'], unique=True, **LIVE)

    op.create_table('organisation_owner',
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.Column('gemeente_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['gemeente_code'], ['area.code']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organisation_id', 'gemeente_code'),
    )
    op.create_index('ix_organisation_owner_gemeente_code', 'organisation_owner', ['gemeente_code'])

    op.create_table('location',
        *_entry_columns(),
        sa.Column('organisation_id', sa.Uuid(), nullable=True),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('street', sa.String(), nullable=True),
        sa.Column('house_number', sa.String(), nullable=True),
        sa.Column('postcode', sa.String(length=6), nullable=True),
        sa.Column('city', sa.String(), nullable=True),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('accessibility_note', sa.String(), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_location_lat_lon', 'location', ['lat', 'lon'])
    op.create_index('ix_location_organisation_id', 'location', ['organisation_id'])
    op.create_index('ix_location_postcode', 'location', ['postcode'])
    # The ranking's lookup of a candidate's location reads this index alone (SQLite has no INCLUDE).
    op.create_index('ix_location_id_point', 'location', ['id', 'deleted_at', 'lat', 'lon'])
    op.create_index('uq_location_external_id_live', 'location', ['external_id'], unique=True, **LIVE)

    op.create_table('opening_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens', sa.Time(), nullable=False),
        sa.Column('closes', sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_opening_hours_location_id', 'opening_hours', ['location_id'])

    op.create_table('opening_exception',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('opens', sa.Time(), nullable=True),
        sa.Column('closes', sa.Time(), nullable=True),
        sa.Column('note', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_opening_exception_location_id', 'opening_exception', ['location_id'])

    op.create_table('service',
        *_entry_columns(),
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('description', sa.String(), nullable=True),
        sa.Column('access_route', sa.String(length=20), nullable=False),
        sa.Column('cost', sa.String(length=20), nullable=False),
        sa.Column('cost_note', sa.String(), nullable=True),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('waiting_days', sa.Integer(), nullable=True),
        sa.Column('waiting_reported_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_service_access_route', 'service', ['access_route'])
    op.create_index('ix_service_name', 'service', ['name'])
    op.create_index('ix_service_organisation_id', 'service', ['organisation_id'])
    op.create_index('ix_service_status', 'service', ['status'])
    # The ranking's lookup of a candidate service (live? active?) reads this index alone.
    op.create_index('ix_service_id_state', 'service', ['id', 'deleted_at', 'status'])
    op.create_index('uq_service_external_id_live', 'service', ['external_id'], unique=True, **LIVE)

    op.create_table('service_owner',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('gemeente_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['gemeente_code'], ['area.code']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'gemeente_code'),
    )
    op.create_index('ix_service_owner_gemeente_code', 'service_owner', ['gemeente_code'])

    op.create_table('service_area',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('area_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['area_code'], ['area.code']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'area_code'),
    )
    # Covering: an area's services are read from the index alone.
    op.create_index('ix_service_area_area_code_service', 'service_area', ['area_code', 'service_id'])

    op.create_table('service_location',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('location_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'location_id'),
    )
    # Covering: the services at a location are read from the index alone.
    op.create_index('ix_service_location_location_service', 'service_location', ['location_id', 'service_id'])

    op.create_table('service_need_domain',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('domain_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['domain_code'], ['need_domain.code']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'domain_code'),
    )
    op.create_index('ix_service_need_domain_domain_code', 'service_need_domain', ['domain_code'])

    op.create_table('service_target_group',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('group_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['group_code'], ['target_group.code']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id', 'group_code'),
    )
    op.create_index('ix_service_target_group_group_code', 'service_target_group', ['group_code'])

    op.create_table('eligibility',
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('min_age', sa.Integer(), nullable=True),
        sa.Column('max_age', sa.Integer(), nullable=True),
        sa.Column('must_live_in_area', sa.Boolean(), nullable=False),
        sa.Column('max_income_pct_social_minimum', sa.Integer(), nullable=True),
        sa.Column('household_types', sa.JSON(), nullable=False),
        sa.Column('required_target_group', sa.String(), nullable=True),
        sa.Column('needs_beschikking', sa.Boolean(), nullable=False),
        sa.Column('needs_gp_referral', sa.Boolean(), nullable=False),
        sa.Column('note', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['required_target_group'], ['target_group.code']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('service_id'),
    )

    op.create_table('contact',
        *_entry_columns(),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('role', sa.String(), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=True),
        sa.Column('organisation_id', sa.Uuid(), nullable=True),
        sa.Column('phone', sa.String(), nullable=True),
        sa.Column('email', sa.String(), nullable=True),
        sa.Column('secure_messaging', sa.String(), nullable=True),
        sa.Column('is_general', sa.Boolean(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.Column('unreachable_reported_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('service_id IS NOT NULL OR organisation_id IS NOT NULL', name='contact_belongs_somewhere'),
        sa.CheckConstraint('valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until',
                           name='contact_validity_order'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_contact_organisation_id', 'contact', ['organisation_id'])
    op.create_index('ix_contact_service_id', 'contact', ['service_id'])
    op.create_index('uq_contact_external_id_live', 'contact', ['external_id'], unique=True, **LIVE)

    op.create_table('contact_area',
        sa.Column('contact_id', sa.Uuid(), nullable=False),
        sa.Column('area_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['area_code'], ['area.code']),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('contact_id', 'area_code'),
    )
    op.create_index('ix_contact_area_area_code', 'contact_area', ['area_code'])

    op.create_table('front_door',
        *_entry_columns(),
        sa.Column('area_code', sa.String(), nullable=False),
        sa.Column('topic', sa.String(length=40), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('contact_id', sa.Uuid(), nullable=True),
        sa.Column('note', sa.String(), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['area_code'], ['area.code']),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_front_door_area_code', 'front_door', ['area_code'])
    op.create_index('ix_front_door_service_id', 'front_door', ['service_id'])
    op.create_index('ix_front_door_topic', 'front_door', ['topic'])
    # One live front door per area and topic.
    op.create_index('uq_front_door_area_topic_live', 'front_door', ['area_code', 'topic'], unique=True, **LIVE)
    op.create_index('uq_front_door_external_id_live', 'front_door', ['external_id'], unique=True, **LIVE)


def _change_log() -> None:
    """Every write, in order: the audit trail and the feed of changes (with the gemeenten it concerns)."""
    # SQLite: no AUTOINCREMENT, so a new row takes the highest position plus one. Change-log
    # rows are never deleted, so positions are never handed out twice.
    op.create_table('change_log',
        sa.Column('position', POSITION, sa.Identity(always=False), nullable=False),
        sa.Column('entity_type', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.String(length=36), nullable=False),
        sa.Column('operation', sa.String(length=10), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(), nullable=False),
        sa.Column('client_id', sa.Uuid(), nullable=True),
        sa.Column('on_behalf_of', sa.String(length=200), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('position'),
    )
    op.create_index('ix_change_log_entity', 'change_log', ['entity_type', 'entity_id'])
    op.create_index('ix_change_log_client_id', 'change_log', ['client_id'])

    op.create_table('change_log_gemeente',
        sa.Column('position', POSITION, nullable=False),
        sa.Column('gemeente_code', sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(['position'], ['change_log.position'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('position', 'gemeente_code'),
    )
    op.create_index('ix_change_log_gemeente_gemeente_code', 'change_log_gemeente', ['gemeente_code'])


def _api_clients() -> None:
    """API clients, their scopes and keys; the primary's WAL position after each client's last write."""
    op.create_table('api_client',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table('api_client_gemeente',
        sa.Column('client_id', sa.Uuid(), nullable=False),
        sa.Column('gemeente_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['gemeente_code'], ['area.code']),
        sa.PrimaryKeyConstraint('client_id', 'gemeente_code'),
    )
    op.create_table('api_client_organisation',
        sa.Column('client_id', sa.Uuid(), nullable=False),
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('client_id', 'organisation_id'),
    )
    op.create_table('api_key',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('client_id', sa.Uuid(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    op.create_index('ix_api_key_client_id', 'api_key', ['client_id'])

    # With read replicas, a client's reads go to a replica once it has replayed this position.
    op.create_table('client_write_position',
        sa.Column('key_digest', sa.String(length=64), nullable=False),
        sa.Column('lsn', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('key_digest'),
    )


def _referrals_reports_and_counters() -> None:
    """Problem reports on entries, referrals with their steps and monthly summaries, daily
    search counters. No column holds anything about a patient."""
    op.create_table('entry_report',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('entity_type', sa.String(length=10), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reporter_client_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_client_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['closed_by_client_id'], ['api_client.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reporter_client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_entry_report_entity', 'entry_report', ['entity_type', 'entity_id', 'status'])
    op.create_index('ix_entry_report_status', 'entry_report', ['status'])

    op.create_table('entry_report_gemeente',
        sa.Column('report_id', sa.Uuid(), nullable=False),
        sa.Column('gemeente_code', sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['entry_report.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('report_id', 'gemeente_code'),
    )
    op.create_index('ix_entry_report_gemeente_gemeente_code', 'entry_report_gemeente', ['gemeente_code'])

    op.create_table('referral',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('practice_client_id', sa.Uuid(), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('contact_id', sa.Uuid(), nullable=True),
        sa.Column('gemeente_code', sa.String(length=6), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('urgency', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('passed_on_service_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledge_by', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('days_to_contact', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id']),
        sa.ForeignKeyConstraint(['passed_on_service_id'], ['service.id']),
        sa.ForeignKeyConstraint(['practice_client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_referral_month_gemeente', 'referral', ['month', 'gemeente_code'])
    op.create_index('ix_referral_practice_created', 'referral', ['practice_client_id', 'created_at', 'id'])
    op.create_index('ix_referral_service_id', 'referral', ['service_id'])
    # The referrals still waiting for an acknowledgement, by deadline.
    op.create_index('ix_referral_waiting', 'referral', ['acknowledge_by'],
                    postgresql_where=sa.text('acknowledged_at IS NULL'),
                    sqlite_where=sa.text('acknowledged_at IS NULL'))

    op.create_table('referral_domain',
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('domain_code', sa.String(), nullable=False),
        sa.ForeignKeyConstraint(['domain_code'], ['need_domain.code']),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('referral_id', 'domain_code'),
    )
    op.create_table('referral_event',
        sa.Column('position', POSITION, sa.Identity(always=False), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=False),
        sa.Column('practice_client_id', sa.Uuid(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('passed_on_service_id', sa.Uuid(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['passed_on_service_id'], ['service.id']),
        sa.ForeignKeyConstraint(['practice_client_id'], ['api_client.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('position'),
        sqlite_autoincrement=True,  # a purged step's position is never handed out again
    )
    op.create_index('ix_referral_event_practice_position', 'referral_event', ['practice_client_id', 'position'])
    op.create_index('ix_referral_event_referral_id', 'referral_event', ['referral_id'])

    op.create_table('referral_tally',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('gemeente_code', sa.String(length=6), nullable=False),
        sa.Column('domain_code', sa.String(length=40), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('referrals', sa.Integer(), nullable=False),
        sa.Column('acknowledged_late', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'gemeente_code', 'domain_code', 'service_id', 'status', 'outcome'),
    )
    op.create_table('referral_contact_days',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('gemeente_code', sa.String(length=6), nullable=False),
        sa.Column('domain_code', sa.String(length=40), nullable=False),
        sa.Column('service_id', sa.Uuid(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('referrals', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'gemeente_code', 'domain_code', 'service_id', 'days'),
    )

    op.create_table('search_tally',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('gemeente_code', sa.String(length=6), nullable=False),
        sa.Column('dimension', sa.String(length=6), nullable=False),
        sa.Column('value', sa.String(length=40), nullable=False),
        sa.Column('searches', sa.Integer(), nullable=False),
        sa.Column('found_nothing', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'gemeente_code', 'dimension', 'value'),
    )


def _search_index(dialect_name: str) -> None:
    """What the search reads besides the catalogue, all written by app/search/index/ (empty
    here; `wijkkaart db upgrade` writes what is missing)."""
    # Each service's, location's and contact's part of a search result, rendered as JSON.
    op.create_table('search_card',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('entity_id', sa.Uuid(), nullable=False),
        sa.Column('format', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'entity_id'),
    )

    # Each service's stems (all of them in order, and its name's alone) and the full-text index.
    if dialect_name == 'postgresql':
        op.create_table('service_search',
            sa.Column('service_id', sa.Uuid(), sa.ForeignKey('service.id', ondelete='CASCADE'), primary_key=True),
            sa.Column('document', postgresql.TSVECTOR(), nullable=False),
            sa.Column('stems', sa.Text(), nullable=False),
            sa.Column('name_stems', sa.Text(), nullable=True),
        )
        op.create_index('ix_service_search_document', 'service_search', ['document'], postgresql_using='gin')
    else:
        op.execute(SQLITE_STEMS)
        op.execute(SQLITE_FTS)
        for name, body in SQLITE_FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    # Dropping a table drops its indexes and (SQLite) its triggers.
    op.drop_table('service_search')
    if op.get_bind().dialect.name != 'postgresql':
        op.drop_table('service_search_stems')
    for table in reversed(TABLES):
        op.drop_table(table)
