"""current-stage table: each company's stage rank on one stored day (company_stage + company_stage_day)

Derived from the designations (tracker.services.stages keeps it in step and rebuilds it nightly);
created empty: until `flask stages rebuild` (or the nightly task) fills it for today, every reader
computes the stage from the designations as before.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'company_stage',
        sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stage_rank', sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_company_stage_company_id_company')),
        sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_stage')),
    )
    op.create_index('ix_company_stage_rank_company', 'company_stage', ['stage_rank', 'company_id'], unique=False)
    op.create_table(
        'company_stage_day',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_stage_day')),
    )


def downgrade():
    op.drop_table('company_stage_day')
    op.drop_index('ix_company_stage_rank_company', table_name='company_stage')
    op.drop_table('company_stage')
