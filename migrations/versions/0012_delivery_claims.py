"""delivery hardening: claim tokens, due times on the database clock

Each claim of an outbox row writes a fresh token (every later update of the row matches it), and
the Message-ID of a row's first delivery attempt is kept so a resend carries the same one. Leases
and due times already live in `next_attempt_at`; from this revision on they are written and
compared on the database's clock (no schema change for that).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("message_id")
        batch.drop_column("claim_token")
