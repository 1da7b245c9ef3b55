"""the till keeps no receipt address: the sale says a receipt was asked for by e-mail
(`receipt_emailed`); the address leaves with `sale.receipt_requested` for the members service's
notices, which forget it once sent

Revision ID: 0025_till_receipt_address
Revises: 0024_stock_from_supplier_orders
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_till_receipt_address"
down_revision = "0024_stock_from_supplier_orders"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("till_sales") as batch:
        batch.add_column(
            sa.Column("receipt_emailed", sa.Boolean(), nullable=False, server_default="0")
        )
    sales = sa.table(
        "till_sales", sa.column("email", sa.String), sa.column("receipt_emailed", sa.Boolean)
    )
    op.execute(sales.update().where(sales.c.email.is_not(None)).values(receipt_emailed=True))
    with op.batch_alter_table("till_sales") as batch:
        batch.drop_column("email")


def downgrade():
    with op.batch_alter_table("till_sales") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.drop_column("receipt_emailed")
