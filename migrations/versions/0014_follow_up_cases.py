"""follow-up cases: departments, case events, review, satisfaction call-back; undoing a board move

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'department',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('contact', sa.String(length=64), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
        sa.UniqueConstraint('name', name=op.f('uq_department_name')),
    )
    op.create_table(
        'follow_up_review_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_follow_up_review_setting_updated_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_review_setting')),
        sa.UniqueConstraint('scope', name=op.f('uq_follow_up_review_setting_scope')),
    )
    op.create_table(
        'follow_up_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follow_up_id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('from_status', sa.String(length=16), nullable=True),
        sa.Column('to_status', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('on_date', sa.Date(), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=True),
        sa.Column('other_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_follow_up_event_actor_id_user')),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_follow_up_event_company_id_company')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_follow_up_event_department_id_department')),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_up.id'], name=op.f('fk_follow_up_event_follow_up_id_follow_up')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_event')),
    )
    with op.batch_alter_table('follow_up_event', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_event_company_at', ['company_id', 'at'], unique=False)
        batch_op.create_index('ix_follow_up_event_follow_up_at', ['follow_up_id', 'at'], unique=False)
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_follow_up_referred_department_id_department'), 'department',
                                    ['referred_department_id'], ['id'])
    with op.batch_alter_table('track_transition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undoes_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_track_transition_undoes_id_track_transition'), 'track_transition',
                                    ['undoes_id'], ['id'])


def downgrade():
    with op.batch_alter_table('track_transition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_track_transition_undoes_id_track_transition'), type_='foreignkey')
        batch_op.drop_column('undoes_id')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_up_referred_department_id_department'), type_='foreignkey')
        batch_op.drop_column('referred_department_id')
    with op.batch_alter_table('follow_up_event', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_event_follow_up_at')
        batch_op.drop_index('ix_follow_up_event_company_at')
    op.drop_table('follow_up_event')
    op.drop_table('follow_up_review_setting')
    op.drop_table('department')
