"""notices to tell people (an animation cancelled…)

Revision ID: 0006_notices
Revises: 0005_merge
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0006_notices"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("source_type", sa.String(length=60), nullable=False),
        sa.Column("source_ref", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=600), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_notices_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_notices")),
        sa.UniqueConstraint(
            "source_type", "source_ref", "member_id", name="uq_member_notices_source"
        ),
    )
    with op.batch_alter_table("member_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_notices_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_member_notices_village_id"), ["village_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("member_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_notices_village_id"))
        batch_op.drop_index(batch_op.f("ix_member_notices_member_id"))
    op.drop_table("member_notices")
