"""field work: one-time submission tokens, visit withdrawal, attachments, location

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'submission_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('record_url', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_submission_token_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_token')),
        sa.UniqueConstraint('token', name=op.f('uq_submission_token_token')),
    )
    with op.batch_alter_table('submission_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_token_user_id'), ['user_id'], unique=False)

    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=True),
        sa.Column('follow_up_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('has_thumbnail', sa.Boolean(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_attachment_company_id_company')),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_up.id'], name=op.f('fk_attachment_follow_up_id_follow_up')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_attachment_uploaded_by_id_user')),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_attachment_visit_id_visit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_attachment_stored_name')),
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_attachment_visit', ['visit_id'], unique=False)
        batch_op.create_index('ix_attachment_follow_up', ['follow_up_id'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('location_accuracy', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))


def downgrade():
    with op.batch_alter_table('company', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('location_accuracy')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_follow_up')
        batch_op.drop_index('ix_attachment_visit')
        batch_op.drop_index(batch_op.f('ix_attachment_company_id'))
    op.drop_table('attachment')

    with op.batch_alter_table('submission_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_token_user_id'))
    op.drop_table('submission_token')
