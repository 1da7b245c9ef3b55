"""items asked for at the counter that the village's catalogue does not offer (asked_items)

Revision ID: 0031_asked_items
Revises: 0030_member_coordinates
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0031_asked_items"
down_revision = "0030_member_coordinates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "asked_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("village_id", sa.String(36), nullable=False),
        sa.Column("item", sa.String(120), nullable=False),
        sa.Column("theme", sa.String(30), nullable=True),
        sa.Column("member_id", sa.String(36), nullable=True),
        sa.Column("idempotency_key", sa.String(80), nullable=True),
        sa.Column("asked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asked_items")),
        sa.UniqueConstraint(
            "village_id", "idempotency_key", name=op.f("uq_asked_items_idempotency")
        ),
    )
    op.create_index(op.f("ix_asked_items_village_id"), "asked_items", ["village_id"])
    op.create_index(op.f("ix_asked_items_member_id"), "asked_items", ["member_id"])


def downgrade():
    op.drop_index(op.f("ix_asked_items_member_id"), table_name="asked_items")
    op.drop_index(op.f("ix_asked_items_village_id"), table_name="asked_items")
    op.drop_table("asked_items")
