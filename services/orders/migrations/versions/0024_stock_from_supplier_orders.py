"""the shelf receives a pooled supplier order's goods in one go: each movement says which purchase
order it came from

Revision ID: 0024_stock_from_supplier_orders
Revises: 0023_till
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_stock_from_supplier_orders"
down_revision = "0023_till"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stock_movements") as batch:
        batch.add_column(sa.Column("purchase_order_id", sa.String(36), nullable=True))
        batch.create_index("ix_stock_movements_purchase_order_id", ["purchase_order_id"])


def downgrade():
    with op.batch_alter_table("stock_movements") as batch:
        batch.drop_index("ix_stock_movements_purchase_order_id")
        batch.drop_column("purchase_order_id")
