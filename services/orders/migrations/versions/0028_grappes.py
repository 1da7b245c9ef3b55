"""grappes: the orders service's copy of the grappes (known_grappes) and a purchase order per
supplier, delivery day and grappe (purchase_orders.grappe_id, "" for the villages in none)

Revision ID: 0028_grappes
Revises: 0027_offline_actions
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0028_grappes"
down_revision = "0027_offline_actions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "known_grappes",
        sa.Column("grappe_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("supplier_partner_ids", sa.JSON(), nullable=False),
        sa.Column("depot_village_id", sa.String(36), nullable=False),
        sa.Column("depot_place", sa.String(200), nullable=True),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("grappe_id", name=op.f("pk_known_grappes")),
    )
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("grappe_id", sa.String(36), nullable=False, server_default=""))
        batch.drop_constraint("uq_purchase_orders_cycle", type_="unique")
        batch.create_unique_constraint(
            "uq_purchase_orders_cycle", ["supplier_partner_id", "delivery_date", "grappe_id"]
        )
        batch.create_index(batch.f("ix_purchase_orders_grappe_id"), ["grappe_id"], unique=False)


def downgrade():
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_index(batch.f("ix_purchase_orders_grappe_id"))
        batch.drop_constraint("uq_purchase_orders_cycle", type_="unique")
        batch.create_unique_constraint(
            "uq_purchase_orders_cycle", ["supplier_partner_id", "delivery_date"]
        )
        batch.drop_column("grappe_id")
    op.drop_table("known_grappes")
