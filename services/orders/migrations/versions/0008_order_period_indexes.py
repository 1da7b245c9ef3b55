"""indexes on when orders were placed and closed: the coordinator's figures select a period

Revision ID: 0008_order_period_indexes
Revises: 0007_logistics
"""

from alembic import op

revision = "0008_order_period_indexes"
down_revision = "0007_logistics"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_orders_placed_at", "orders", ["placed_at"])
    op.create_index("ix_orders_closed_at", "orders", ["closed_at"])


def downgrade():
    op.drop_index("ix_orders_closed_at", table_name="orders")
    op.drop_index("ix_orders_placed_at", table_name="orders")
