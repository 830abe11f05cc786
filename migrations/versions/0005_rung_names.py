"""One name for a rung of the ladder: designation.kind -> rung, cultivation_track.target_kind -> target_rung

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DESIGNATION_INDEXES = {
    # old name, new name, new columns
    "ix_designation_company_kind": ("ix_designation_company_rung", ["company_id", "rung"]),
    "ix_designation_kind_period": ("ix_designation_rung_period", ["rung", "valid_from", "valid_until"]),
    "ix_designation_kind_until": ("ix_designation_rung_until", ["rung", "valid_until"]),
}


def upgrade():
    with op.batch_alter_table("designation", schema=None) as batch_op:
        for old in DESIGNATION_INDEXES:
            batch_op.drop_index(old)
        batch_op.alter_column("kind", new_column_name="rung")
    with op.batch_alter_table("designation", schema=None) as batch_op:
        for new, columns in DESIGNATION_INDEXES.values():
            batch_op.create_index(new, columns, unique=False)
    with op.batch_alter_table("cultivation_track", schema=None) as batch_op:
        batch_op.drop_index("ix_cultivation_track_board")
        batch_op.drop_constraint("uq_cultivation_track_company_kind_year", type_="unique")
        batch_op.alter_column("target_kind", new_column_name="target_rung")
    with op.batch_alter_table("cultivation_track", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_cultivation_track_company_rung_year", ["company_id", "target_rung", "year"])
        batch_op.create_index("ix_cultivation_track_board", ["target_rung", "year", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("cultivation_track", schema=None) as batch_op:
        batch_op.drop_index("ix_cultivation_track_board")
        batch_op.drop_constraint("uq_cultivation_track_company_rung_year", type_="unique")
        batch_op.alter_column("target_rung", new_column_name="target_kind")
    with op.batch_alter_table("cultivation_track", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_cultivation_track_company_kind_year", ["company_id", "target_kind", "year"])
        batch_op.create_index("ix_cultivation_track_board", ["target_kind", "year", "status"], unique=False)
    with op.batch_alter_table("designation", schema=None) as batch_op:
        for new, _columns in DESIGNATION_INDEXES.values():
            batch_op.drop_index(new)
        batch_op.alter_column("rung", new_column_name="kind")
    with op.batch_alter_table("designation", schema=None) as batch_op:
        old_columns = {"ix_designation_company_kind": ["company_id", "kind"],
                       "ix_designation_kind_period": ["kind", "valid_from", "valid_until"],
                       "ix_designation_kind_until": ["kind", "valid_until"]}
        for old, columns in old_columns.items():
            batch_op.create_index(old, columns, unique=False)
