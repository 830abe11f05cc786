"""notification channels: 企业微信 / 政务微信 app messages and group robots beside email

Each outbox row gets a channel (email, wecom_app, wecom_robot, dingtalk_robot) and the unique key
includes it; a group robot's rows have no recipient but a robot, with their own unique key. Robots
(URL and secret encrypted), the shared 企业微信 access token, role defaults per kind, and each
user's 企业微信 userid and channel preferences.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'channel_robot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('url_encrypted', sa.Text(), nullable=False),
        sa.Column('secret_encrypted', sa.Text(), nullable=True),
        sa.Column('url_hint', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('recent_sends', sa.JSON(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_channel_robot_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_robot')),
        sa.UniqueConstraint('kind', 'scope', name='uq_channel_robot_kind_scope'),
    )
    op.create_table(
        'channel_access_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sa.String(length=255), nullable=False),
        sa.Column('token_encrypted', sa.Text(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_access_token')),
        sa.UniqueConstraint('account', name='uq_channel_access_token_account'),
    )
    op.create_table(
        'channel_default',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_default')),
        sa.UniqueConstraint('role', 'kind', name='uq_channel_default_role_kind'),
    )
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('wecom_userid', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('channel_preferences', sa.JSON(), nullable=True))
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=16), server_default='email', nullable=False))
        batch.add_column(sa.Column('robot_id', sa.Integer(), nullable=True))
        batch.alter_column('recipient_id', existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint('uq_notification_key', type_='unique')
        batch.create_unique_constraint('uq_notification_key', ['recipient_id', 'kind', 'subject_key', 'period', 'channel'])
        batch.create_unique_constraint('uq_notification_robot_key', ['robot_id', 'kind', 'subject_key', 'period'])
        batch.create_foreign_key(op.f('fk_notification_robot_id_channel_robot'), 'channel_robot', ['robot_id'], ['id'])


def downgrade():
    # Rows of the other channels cannot live under the old key (and robot rows have no recipient).
    op.execute("DELETE FROM notification WHERE channel <> 'email' OR recipient_id IS NULL")
    with op.batch_alter_table('notification') as batch:
        batch.drop_constraint(op.f('fk_notification_robot_id_channel_robot'), type_='foreignkey')
        batch.drop_constraint('uq_notification_robot_key', type_='unique')
        batch.drop_constraint('uq_notification_key', type_='unique')
        batch.create_unique_constraint('uq_notification_key', ['recipient_id', 'kind', 'subject_key', 'period'])
        batch.alter_column('recipient_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('robot_id')
        batch.drop_column('channel')
    with op.batch_alter_table('user') as batch:
        batch.drop_column('channel_preferences')
        batch.drop_column('wecom_userid')
    op.drop_table('channel_default')
    op.drop_table('channel_access_token')
    op.drop_table('channel_robot')
