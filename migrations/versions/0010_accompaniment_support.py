"""key-company accompaniment (陪伴计划) and support records (扶持记录)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=False),
    sa.Column('leader', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_key_company_added_by_id_user')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_key_company_company_id_company')),
    sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], name=op.f('fk_key_company_responsible_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_company'))
    )

    with op.batch_alter_table('key_company', schema=None) as batch_op:
        batch_op.create_index('ix_key_company_year', ['year'], unique=False)
        batch_op.create_index('uq_key_company_company_year_live', ['company_id', 'year'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    op.create_table('support_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('loan_product', sa.String(length=16), nullable=True),
    sa.Column('bank', sa.String(length=64), nullable=True),
    sa.Column('listing_stage', sa.String(length=16), nullable=True),
    sa.Column('listing_board', sa.String(length=16), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('listed_on', sa.Date(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('award', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('source_claim_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_support_record_company_id_company')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_support_record_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_record'))
    )

    with op.batch_alter_table('support_record', schema=None) as batch_op:
        batch_op.create_index('ix_support_record_company_kind', ['company_id', 'kind', 'year'], unique=False)
        batch_op.create_index('ix_support_record_kind_year', ['kind', 'year'], unique=False)
        batch_op.create_index('ix_support_record_source_claim', ['source_claim_id'], unique=False)

    op.create_table('accompaniment_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_company_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('participants', sa.String(length=500), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('resources', sa.String(length=100), nullable=True),
    sa.Column('resource_notes', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_accompaniment_record_company_id_company')),
    sa.ForeignKeyConstraint(['key_company_id'], ['key_company.id'], name=op.f('fk_accompaniment_record_key_company_id_key_company')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_accompaniment_record_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accompaniment_record'))
    )

    with op.batch_alter_table('accompaniment_record', schema=None) as batch_op:
        batch_op.create_index('ix_accompaniment_record_company_date', ['company_id', 'held_on'], unique=False)
        batch_op.create_index('ix_accompaniment_record_key_date', ['key_company_id', 'held_on'], unique=False)

    op.create_table('accompaniment_follow_up',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('follow_up_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_up.id'], name=op.f('fk_accompaniment_follow_up_follow_up_id_follow_up')),
    sa.ForeignKeyConstraint(['record_id'], ['accompaniment_record.id'], name=op.f('fk_accompaniment_follow_up_record_id_accompaniment_record')),
    sa.PrimaryKeyConstraint('record_id', 'follow_up_id', name=op.f('pk_accompaniment_follow_up'))
    )

    with op.batch_alter_table('accompaniment_follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accompaniment_follow_up_follow_up_id'), ['follow_up_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accompaniment_follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accompaniment_follow_up_follow_up_id'))
    op.drop_table('accompaniment_follow_up')

    with op.batch_alter_table('accompaniment_record', schema=None) as batch_op:
        batch_op.drop_index('ix_accompaniment_record_key_date')
        batch_op.drop_index('ix_accompaniment_record_company_date')
    op.drop_table('accompaniment_record')

    with op.batch_alter_table('support_record', schema=None) as batch_op:
        batch_op.drop_index('ix_support_record_source_claim')
        batch_op.drop_index('ix_support_record_kind_year')
        batch_op.drop_index('ix_support_record_company_kind')
    op.drop_table('support_record')

    with op.batch_alter_table('key_company', schema=None) as batch_op:
        batch_op.drop_index('uq_key_company_company_year_live', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_key_company_year')
    op.drop_table('key_company')
