"""catalogue foundation: areas, postcodes, organisations, services, locations, contacts,
front doors and the change log

Revision ID: 0001
Revises:
Create Date: 2026-11-24 01:34:47.704029
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('area',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('first_year', sa.Integer(), nullable=True),
    sa.Column('retired_year', sa.Integer(), nullable=True),
    sa.Column('successor_codes', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'gemeente' AND length(code) = 6 AND substr(code, 1, 2) = 'GM' AND parent_code IS NULL) OR (kind = 'wijk' AND length(code) = 8 AND substr(code, 1, 2) = 'WK' AND parent_code = 'GM' || substr(code, 3, 4)) OR (kind = 'buurt' AND length(code) = 10 AND substr(code, 1, 2) = 'BU' AND parent_code = 'WK' || substr(code, 3, 6))", name='area_code_shape'),
    sa.ForeignKeyConstraint(['parent_code'], ['area.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_parent_code'), ['parent_code'], unique=False)

    op.create_table('change_log',
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('position'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('need_domain',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('organisation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kvk_number', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('agb_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)

    op.create_table('target_group',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('location',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('house_number', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accessibility_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index('ix_location_lat_lon', ['lat', 'lon'], unique=False)
        batch_op.create_index(batch_op.f('ix_location_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_location_postcode'), ['postcode'], unique=False)

    op.create_table('organisation_owner',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('gemeente_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['gemeente_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'gemeente_code')
    )
    with op.batch_alter_table('organisation_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_owner_gemeente_code'), ['gemeente_code'], unique=False)

    op.create_table('postcode4',
    sa.Column('pc4', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('gemeente_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['gemeente_code'], ['area.code'], ),
    sa.PrimaryKeyConstraint('pc4')
    )
    with op.batch_alter_table('postcode4', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode4_gemeente_code'), ['gemeente_code'], unique=False)
        batch_op.create_index('ix_postcode4_lat_lon', ['lat', 'lon'], unique=False)

    op.create_table('service',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('access_route', sa.String(length=20), nullable=False),
    sa.Column('cost', sa.String(length=20), nullable=False),
    sa.Column('cost_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('waiting_days', sa.Integer(), nullable=True),
    sa.Column('waiting_reported_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_access_route'), ['access_route'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_status'), ['status'], unique=False)

    op.create_table('contact',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('secure_messaging', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('is_general', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.CheckConstraint('service_id IS NOT NULL OR organisation_id IS NOT NULL', name='contact_belongs_somewhere'),
    sa.CheckConstraint('valid_from IS NULL OR valid_until IS NULL OR valid_from <= valid_until', name='contact_validity_order'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_service_id'), ['service_id'], unique=False)

    op.create_table('eligibility',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('must_live_in_area', sa.Boolean(), nullable=False),
    sa.Column('max_income_pct_social_minimum', sa.Integer(), nullable=True),
    sa.Column('household_types', sa.JSON(), nullable=False),
    sa.Column('required_target_group', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('needs_beschikking', sa.Boolean(), nullable=False),
    sa.Column('needs_gp_referral', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['required_target_group'], ['target_group.code'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id')
    )
    op.create_table('opening_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=True),
    sa.Column('closes', sa.Time(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opening_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_exception_location_id'), ['location_id'], unique=False)

    op.create_table('opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_hours_location_id'), ['location_id'], unique=False)

    op.create_table('postcode4_buurt',
    sa.Column('pc4', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('buurt_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('approximate', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['buurt_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['pc4'], ['postcode4.pc4'], ),
    sa.PrimaryKeyConstraint('pc4', 'buurt_code')
    )
    with op.batch_alter_table('postcode4_buurt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode4_buurt_buurt_code'), ['buurt_code'], unique=False)

    op.create_table('postcode6',
    sa.Column('pc6', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('pc4', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('buurt_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['buurt_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['pc4'], ['postcode4.pc4'], ),
    sa.PrimaryKeyConstraint('pc6')
    )
    with op.batch_alter_table('postcode6', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode6_buurt_code'), ['buurt_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_postcode6_pc4'), ['pc4'], unique=False)

    op.create_table('service_area',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'area_code')
    )
    with op.batch_alter_table('service_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_area_area_code'), ['area_code'], unique=False)

    op.create_table('service_location',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'location_id')
    )
    with op.batch_alter_table('service_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_location_location_id'), ['location_id'], unique=False)

    op.create_table('service_need_domain',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('domain_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['domain_code'], ['need_domain.code'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'domain_code')
    )
    with op.batch_alter_table('service_need_domain', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_need_domain_domain_code'), ['domain_code'], unique=False)

    op.create_table('service_owner',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('gemeente_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['gemeente_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'gemeente_code')
    )
    with op.batch_alter_table('service_owner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_owner_gemeente_code'), ['gemeente_code'], unique=False)

    op.create_table('service_target_group',
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('group_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['group_code'], ['target_group.code'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'group_code')
    )
    with op.batch_alter_table('service_target_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_target_group_group_code'), ['group_code'], unique=False)

    op.create_table('contact_area',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'area_code')
    )
    with op.batch_alter_table('contact_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_area_area_code'), ['area_code'], unique=False)

    op.create_table('front_door',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('area_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['area_code'], ['area.code'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('front_door', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_front_door_area_code'), ['area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_front_door_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_front_door_topic'), ['topic'], unique=False)
        batch_op.create_index('uq_front_door_area_topic_live', ['area_code', 'topic'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('front_door', schema=None) as batch_op:
        batch_op.drop_index('uq_front_door_area_topic_live', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_front_door_topic'))
        batch_op.drop_index(batch_op.f('ix_front_door_service_id'))
        batch_op.drop_index(batch_op.f('ix_front_door_area_code'))

    op.drop_table('front_door')
    with op.batch_alter_table('contact_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_area_area_code'))

    op.drop_table('contact_area')
    with op.batch_alter_table('service_target_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_target_group_group_code'))

    op.drop_table('service_target_group')
    with op.batch_alter_table('service_owner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_owner_gemeente_code'))

    op.drop_table('service_owner')
    with op.batch_alter_table('service_need_domain', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_need_domain_domain_code'))

    op.drop_table('service_need_domain')
    with op.batch_alter_table('service_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_location_location_id'))

    op.drop_table('service_location')
    with op.batch_alter_table('service_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_area_area_code'))

    op.drop_table('service_area')
    with op.batch_alter_table('postcode6', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postcode6_pc4'))
        batch_op.drop_index(batch_op.f('ix_postcode6_buurt_code'))

    op.drop_table('postcode6')
    with op.batch_alter_table('postcode4_buurt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postcode4_buurt_buurt_code'))

    op.drop_table('postcode4_buurt')
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_hours_location_id'))

    op.drop_table('opening_hours')
    with op.batch_alter_table('opening_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_exception_location_id'))

    op.drop_table('opening_exception')
    op.drop_table('eligibility')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_service_id'))
        batch_op.drop_index(batch_op.f('ix_contact_organisation_id'))

    op.drop_table('contact')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_status'))
        batch_op.drop_index(batch_op.f('ix_service_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_service_name'))
        batch_op.drop_index(batch_op.f('ix_service_access_route'))

    op.drop_table('service')
    with op.batch_alter_table('postcode4', schema=None) as batch_op:
        batch_op.drop_index('ix_postcode4_lat_lon')
        batch_op.drop_index(batch_op.f('ix_postcode4_gemeente_code'))

    op.drop_table('postcode4')
    with op.batch_alter_table('organisation_owner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_owner_gemeente_code'))

    op.drop_table('organisation_owner')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_location_postcode'))
        batch_op.drop_index(batch_op.f('ix_location_organisation_id'))
        batch_op.drop_index('ix_location_lat_lon')

    op.drop_table('location')
    op.drop_table('target_group')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_name'))

    op.drop_table('organisation')
    op.drop_table('need_domain')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')

    op.drop_table('change_log')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_parent_code'))
        batch_op.drop_index(batch_op.f('ix_area_kind'))

    op.drop_table('area')
