"""Stored eligibility results of the candidates page (candidate_result, candidate_result_set)

The tables start empty: the first page load of a (rung, year) computes its set in the background
(tracker.services.candidates.results), so the migration itself runs no eligibility rules.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "candidate_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("target_rung", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holds_valid_hnte", sa.Boolean(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("unknown_count", sa.Integer(), nullable=False),
        sa.Column("missing_count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], name=op.f("fk_candidate_result_company_id_company")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_result")),
        sa.UniqueConstraint("company_id", "target_rung", "year", "holds_valid_hnte", name="uq_candidate_result_company_id"),
    )
    op.create_index(
        "ix_candidate_result_ranking", "candidate_result",
        ["target_rung", "year", "holds_valid_hnte", "missing_count", "failed_count", "unknown_count", "score", "company_id"],
    )
    op.create_table(
        "candidate_result_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_rung", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("thresholds", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_result_set")),
        sa.UniqueConstraint("target_rung", "year", name="uq_candidate_result_set_target_rung"),
    )


def downgrade():
    op.drop_table("candidate_result_set")
    op.drop_index("ix_candidate_result_ranking", table_name="candidate_result")
    op.drop_table("candidate_result")
