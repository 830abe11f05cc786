"""HNTE annual reports (年度发展情况报表) filed per company and year

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'annual_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_annual_report_company_id_company')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_annual_report_recorded_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_report')),
        sa.UniqueConstraint('company_id', 'year', name='uq_annual_report_company_year'),
    )
    with op.batch_alter_table('annual_report', schema=None) as batch_op:
        batch_op.create_index('ix_annual_report_year', ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('annual_report', schema=None) as batch_op:
        batch_op.drop_index('ix_annual_report_year')
    op.drop_table('annual_report')
