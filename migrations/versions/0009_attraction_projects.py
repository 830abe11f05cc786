"""attraction projects (招引项目), channels, weekly notes; company.attraction_channel holds codes

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The plan's channels (tracker.rules.attraction.BUILTIN_CHANNELS), copied here: a migration
# must keep meaning what it meant when it was written.
CHANNELS = (
    ('carrier', '载体招引', 10), ('platform', '平台招引', 20), ('contest', '大赛招引', 30),
    ('fund', '基金招引', 40), ('enclave', '飞地孵化', 50), ('other', '其他', 90),
)


def upgrade():
    channel = op.create_table(
        'attraction_channel',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attraction_channel')),
        sa.UniqueConstraint('code', name=op.f('uq_attraction_channel_code')),
        sa.UniqueConstraint('name', name=op.f('uq_attraction_channel_name')),
    )
    op.create_table(
        'attraction_project',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('district', sa.String(length=16), nullable=False),
        sa.Column('lead_officer_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('lead_on', sa.Date(), nullable=False),
        sa.Column('talking_on', sa.Date(), nullable=True),
        sa.Column('signed_on', sa.Date(), nullable=True),
        sa.Column('settled_on', sa.Date(), nullable=True),
        sa.Column('dropped_on', sa.Date(), nullable=True),
        sa.Column('drop_reason', sa.String(length=500), nullable=True),
        sa.Column('expected_capital', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('actual_capital', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('industry', sa.String(length=32), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_attraction_project_company_id_company')),
        sa.ForeignKeyConstraint(['lead_officer_id'], ['user.id'], name=op.f('fk_attraction_project_lead_officer_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attraction_project')),
    )
    with op.batch_alter_table('attraction_project', schema=None) as batch_op:
        batch_op.create_index('ix_attraction_project_status', ['status'], unique=False)
        batch_op.create_index('ix_attraction_project_settled_on', ['settled_on'], unique=False)
        batch_op.create_index('ix_attraction_project_lead_on', ['lead_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_attraction_project_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attraction_project_lead_officer_id'), ['lead_officer_id'], unique=False)
        batch_op.create_index(
            'uq_attraction_project_district_name_live', ['district', 'name'], unique=True,
            sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'),
        )
    op.create_table(
        'attraction_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('noted_on', sa.Date(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('next_step', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_attraction_note_author_id_user')),
        sa.ForeignKeyConstraint(['project_id'], ['attraction_project.id'],
                                name=op.f('fk_attraction_note_project_id_attraction_project')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attraction_note')),
    )
    with op.batch_alter_table('attraction_note', schema=None) as batch_op:
        batch_op.create_index('ix_attraction_note_project_date', ['project_id', 'noted_on'], unique=False)

    now = sa.func.now() if op.get_bind().dialect.name == 'postgresql' else sa.text("CURRENT_TIMESTAMP")
    rows = [{'code': c, 'name': n, 'sort': s, 'active': True} for c, n, s in CHANNELS]
    bind = op.get_bind()
    for row in rows:
        bind.execute(channel.insert().values(**row, created_at=now))

    # company.attraction_channel held free Chinese names ("载体招引"); from now on it holds codes.
    # Known names (also without 招引, or the code itself) map to their code; any other text
    # becomes a channel of its own (code c1, c2 …) so nothing recorded is lost.
    company = sa.table('company', sa.column('attraction_channel', sa.String))
    for code, name, _ in CHANNELS:
        spellings = {name, name.removesuffix('招引'), code}
        bind.execute(company.update().where(company.c.attraction_channel.in_(sorted(spellings)))
                     .values(attraction_channel=code))
    known = [c for c, _, _ in CHANNELS]
    others = bind.execute(
        sa.select(company.c.attraction_channel).distinct()
        .where(company.c.attraction_channel.is_not(None), company.c.attraction_channel.not_in(known))
        .order_by(company.c.attraction_channel)
    ).scalars().all()
    for n, text in enumerate(others, start=1):
        stripped = text.strip()
        if not stripped:
            bind.execute(company.update().where(company.c.attraction_channel == text).values(attraction_channel=None))
            continue
        code = f'c{n}'
        bind.execute(channel.insert().values(code=code, name=stripped[:32], sort=100 + n, active=True, created_at=now))
        bind.execute(company.update().where(company.c.attraction_channel == text).values(attraction_channel=code))


def downgrade():
    # Codes back to the Chinese names the column held before.
    bind = op.get_bind()
    channel = sa.table('attraction_channel', sa.column('code', sa.String), sa.column('name', sa.String))
    company = sa.table('company', sa.column('attraction_channel', sa.String))
    for code, name in bind.execute(sa.select(channel.c.code, channel.c.name)).all():
        bind.execute(company.update().where(company.c.attraction_channel == code).values(attraction_channel=name))
    with op.batch_alter_table('attraction_note', schema=None) as batch_op:
        batch_op.drop_index('ix_attraction_note_project_date')
    op.drop_table('attraction_note')
    with op.batch_alter_table('attraction_project', schema=None) as batch_op:
        batch_op.drop_index('uq_attraction_project_district_name_live',
                            sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_attraction_project_lead_officer_id'))
        batch_op.drop_index(batch_op.f('ix_attraction_project_company_id'))
        batch_op.drop_index('ix_attraction_project_lead_on')
        batch_op.drop_index('ix_attraction_project_settled_on')
        batch_op.drop_index('ix_attraction_project_status')
    op.drop_table('attraction_project')
    op.drop_table('attraction_channel')
