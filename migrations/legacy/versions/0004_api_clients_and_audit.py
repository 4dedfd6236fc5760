"""api clients and keys; the change log becomes the audit trail; contact erasure

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Existing change-log rows get an action derived from what they recorded: a delete, the
first version (create) or a later one (update).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_client',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('api_client_gemeente',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('gemeente_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['gemeente_code'], ['area.code'], ),
    sa.PrimaryKeyConstraint('client_id', 'gemeente_code')
    )
    op.create_table('api_client_organisation',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('client_id', 'organisation_id')
    )
    op.create_table('api_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_client_id'), ['client_id'], unique=False)

    op.create_table('change_log_gemeente',
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gemeente_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.ForeignKeyConstraint(['position'], ['change_log.position'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('position', 'gemeente_code')
    )
    with op.batch_alter_table('change_log_gemeente', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_log_gemeente_gemeente_code'), ['gemeente_code'], unique=False)

    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_change_log_client_id'), ['client_id'], unique=False)
    op.execute(
        "UPDATE change_log SET action = CASE WHEN operation = 'delete' THEN 'delete' "
        "WHEN version = 1 THEN 'create' ELSE 'update' END"
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_log_client_id'))
        batch_op.drop_column('changes')
        batch_op.drop_column('action')
        batch_op.drop_column('on_behalf_of')
        batch_op.drop_column('client_id')

    with op.batch_alter_table('change_log_gemeente', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_log_gemeente_gemeente_code'))

    op.drop_table('change_log_gemeente')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_client_id'))

    op.drop_table('api_key')
    op.drop_table('api_client_organisation')
    op.drop_table('api_client_gemeente')
    op.drop_table('api_client')
