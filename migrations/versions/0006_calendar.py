"""Working-day calendar notices (calendar_day), tech SME evaluation windows (tech_sme_window, seeded with 2025 and 2026), provisional follow-up deadlines

Revision ID: 0006
Revises: 0005

The two known national windows are inserted here (docs/DOMAIN.md §6: 2025 30 Jun–30 Sep; 2026
1 Jun–31 Aug), so every database that runs the migrations has them without a further command;
administrators edit them and add later years on 节假日与评价窗口 or with `flask calendar window`.
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SEEDED_WINDOWS = (
    (2025, dt.date(2025, 6, 30), dt.date(2025, 9, 30)),
    (2026, dt.date(2026, 6, 1), dt.date(2026, 8, 31)),
)


def upgrade():
    op.create_table(
        "calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("notice_year", sa.Integer(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("loaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loaded_by_id"], ["user.id"], name=op.f("fk_calendar_day_loaded_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_day")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_day_day")),
    )
    with op.batch_alter_table("calendar_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_day_notice_year"), ["notice_year"], unique=False)

    windows = op.create_table(
        "tech_sme_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("opens_on <= closes_on", name=op.f("ck_tech_sme_window_opens_before_closes")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_tech_sme_window_updated_by_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tech_sme_window")),
        sa.UniqueConstraint("year", name=op.f("uq_tech_sme_window_year")),
    )
    now = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(windows, [
        {"year": y, "opens_on": o, "closes_on": c, "source": "docs/DOMAIN.md §6（全国科技型中小企业评价工作）",
         "updated_by_id": None, "updated_at": now}
        for y, o, c in SEEDED_WINDOWS
    ])

    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_provisional", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("referred_deadline_provisional", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_column("referred_deadline_provisional")
        batch_op.drop_column("due_provisional")
    op.drop_table("tech_sme_window")
    with op.batch_alter_table("calendar_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_day_notice_year"))
    op.drop_table("calendar_day")
