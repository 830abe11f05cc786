"""worker heartbeat and pending import uploads in the database (worker_heartbeat, pending_upload)

Both used to be files in INSTANCE_PATH, which the web hosts and the worker hosts do not share when
they run on separate machines. Created empty: the first heartbeat task writes its worker's row, and
an upload waiting in the old folder is simply uploaded again (it expired within a day anyway).

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_heartbeat',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=True),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_heartbeat')),
        sa.UniqueConstraint('worker', name=op.f('uq_worker_heartbeat_worker')),
    )
    op.create_table(
        'pending_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_pending_upload_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_upload')),
        sa.UniqueConstraint('token', name=op.f('uq_pending_upload_token')),
    )


def downgrade():
    op.drop_table('pending_upload')
    op.drop_table('worker_heartbeat')
