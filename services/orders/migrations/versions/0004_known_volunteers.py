"""known volunteers read model (from volunteer.available)

Revision ID: 0004_known_volunteers
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0004_known_volunteers"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "known_volunteers",
        sa.Column("volunteer_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("home_village_id", sa.String(length=36), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("has_licence", sa.Boolean(), nullable=False),
        sa.Column("has_vehicle", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_known_volunteers")),
    )
    with op.batch_alter_table("known_volunteers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_volunteers_member_id"), ["member_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("known_volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_volunteers_member_id"))
    op.drop_table("known_volunteers")
