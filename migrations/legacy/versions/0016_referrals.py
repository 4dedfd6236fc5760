"""referrals with their steps, problem reports on entries, daily search counters

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

referral, referral_domain and referral_event hold what a practice referred to and the
receiving side's dated progress: codes, services, need domains, statuses. No column can
hold anything about a patient. entry_report holds a kind of problem per entry, never
text. search_tally counts searches per day, gemeente, need domain and word stem.
contact.unreachable_reported_at dates when open reports made a contact's reachability
uncertain.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('search_tally',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('gemeente_code', sa.String(length=6), nullable=False),
    sa.Column('dimension', sa.String(length=6), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('found_nothing', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'gemeente_code', 'dimension', 'value')
    )
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
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('entry_report', schema=None) as batch_op:
        batch_op.create_index('ix_entry_report_entity', ['entity_type', 'entity_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_report_status'), ['status'], unique=False)

    op.create_table('entry_report_gemeente',
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('gemeente_code', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['entry_report.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'gemeente_code')
    )
    with op.batch_alter_table('entry_report_gemeente', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_report_gemeente_gemeente_code'), ['gemeente_code'], unique=False)

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
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['passed_on_service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['practice_client_id'], ['api_client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_month_gemeente', ['month', 'gemeente_code'], unique=False)
        batch_op.create_index('ix_referral_practice_created', ['practice_client_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_service_id'), ['service_id'], unique=False)

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_waiting', ['acknowledge_by'], unique=False,
                              postgresql_where=sa.text('acknowledged_at IS NULL'),
                              sqlite_where=sa.text('acknowledged_at IS NULL'))

    op.create_table('referral_tally',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('gemeente_code', sa.String(length=6), nullable=False),
    sa.Column('domain_code', sa.String(length=40), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('referrals', sa.Integer(), nullable=False),
    sa.Column('acknowledged_late', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'gemeente_code', 'domain_code', 'service_id', 'status', 'outcome')
    )
    op.create_table('referral_contact_days',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('gemeente_code', sa.String(length=6), nullable=False),
    sa.Column('domain_code', sa.String(length=40), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('referrals', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'gemeente_code', 'domain_code', 'service_id', 'days')
    )
    op.create_table('referral_domain',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('domain_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['domain_code'], ['need_domain.code'], ),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('referral_id', 'domain_code')
    )
    op.create_table('referral_event',
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('practice_client_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('passed_on_service_id', sa.Uuid(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['passed_on_service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['practice_client_id'], ['api_client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('position'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index('ix_referral_event_practice_position', ['practice_client_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)

    op.add_column('contact', sa.Column('unreachable_reported_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35 and later) rather than a batch's copy of the table,
    # whose DROP TABLE contact the rows that refer to contacts would refuse.
    op.drop_column('contact', 'unreachable_reported_at')

    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))
        batch_op.drop_index('ix_referral_event_practice_position')

    op.drop_table('referral_contact_days')
    op.drop_table('referral_tally')
    op.drop_table('referral_event')
    op.drop_table('referral_domain')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_service_id'))
        batch_op.drop_index('ix_referral_practice_created')
        batch_op.drop_index('ix_referral_month_gemeente')
        batch_op.drop_index('ix_referral_waiting', postgresql_where=sa.text('acknowledged_at IS NULL'),
                            sqlite_where=sa.text('acknowledged_at IS NULL'))

    op.drop_table('referral')
    with op.batch_alter_table('entry_report_gemeente', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_report_gemeente_gemeente_code'))

    op.drop_table('entry_report_gemeente')
    with op.batch_alter_table('entry_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_report_status'))
        batch_op.drop_index('ix_entry_report_entity')

    op.drop_table('entry_report')
    op.drop_table('search_tally')
