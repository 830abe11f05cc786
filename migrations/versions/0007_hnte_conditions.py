"""HNTE conditions recorded per company and year: key supported field, major incident (yes/no)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: NULL means "not recorded yet", which the HNTE pre-check reads as unknown.
    with op.batch_alter_table("company_year_figures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_field", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("major_incident", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("company_year_figures", schema=None) as batch_op:
        batch_op.drop_column("major_incident")
        batch_op.drop_column("key_field")
