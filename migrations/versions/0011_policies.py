"""policies (政策快享直达): conditions, entitlements, claims

Entitlements are computed from the records (tracker/services/policies/entitlements.py), so the
tables are the policy registry, each policy's conditions, and claims with their steps.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('issuer', sa.String(length=128), nullable=False),
        sa.Column('reference', sa.String(length=128), nullable=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('until_year', sa.Integer(), nullable=True),
        sa.Column('benefit_kind', sa.String(length=32), nullable=False),
        sa.Column('amount_rule', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_policy_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy')),
    )
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.create_index('ix_policy_live_years', ['deleted_at', 'year', 'until_year'], unique=False)

    op.create_table(
        'policy_condition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('rung', sa.String(length=24), nullable=True),
        sa.Column('field', sa.String(length=32), nullable=True),
        sa.Column('threshold', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('year_offset', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_condition_policy_id_policy')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_condition')),
    )
    with op.batch_alter_table('policy_condition', schema=None) as batch_op:
        batch_op.create_index('ix_policy_condition_policy', ['policy_id', 'position'], unique=False)

    op.create_table(
        'policy_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('policy_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('notified_on', sa.Date(), nullable=True),
        sa.Column('applied_on', sa.Date(), nullable=True),
        sa.Column('reviewed_on', sa.Date(), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_policy_claim_company_id_company')),
        sa.ForeignKeyConstraint(['policy_id'], ['policy.id'], name=op.f('fk_policy_claim_policy_id_policy')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_claim')),
        sa.UniqueConstraint('policy_id', 'company_id', 'year', name='uq_policy_claim_policy_company_year'),
    )
    with op.batch_alter_table('policy_claim', schema=None) as batch_op:
        batch_op.create_index('ix_policy_claim_company', ['company_id'], unique=False)
        batch_op.create_index('ix_policy_claim_policy_year_status', ['policy_id', 'year', 'status'], unique=False)

    op.create_table(
        'policy_claim_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_policy_claim_step_actor_id_user')),
        sa.ForeignKeyConstraint(['claim_id'], ['policy_claim.id'], name=op.f('fk_policy_claim_step_claim_id_policy_claim')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_claim_step')),
    )
    with op.batch_alter_table('policy_claim_step', schema=None) as batch_op:
        batch_op.create_index('ix_policy_claim_step_claim', ['claim_id'], unique=False)


def downgrade():
    with op.batch_alter_table('policy_claim_step', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_claim_step_claim')
    op.drop_table('policy_claim_step')
    with op.batch_alter_table('policy_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_claim_policy_year_status')
        batch_op.drop_index('ix_policy_claim_company')
    op.drop_table('policy_claim')
    with op.batch_alter_table('policy_condition', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_condition_policy')
    op.drop_table('policy_condition')
    with op.batch_alter_table('policy', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_live_years')
    op.drop_table('policy')
