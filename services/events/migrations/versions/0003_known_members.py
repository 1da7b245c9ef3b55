"""known_members: read model of members (member.registered / member.erased)

Revision ID: 0003_known_members
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0003_known_members"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "known_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=170), nullable=True),
        sa.Column("tags", sa.String(length=200), nullable=True),
        sa.Column("registered_at", UtcDateTime(), nullable=True),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_members")),
    )
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_known_members_village_id"), ["village_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("known_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_members_village_id"))
    op.drop_table("known_members")
