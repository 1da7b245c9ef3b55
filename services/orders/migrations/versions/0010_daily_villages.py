"""the villages' daily orders and sales in one table, and the partners' daily sales of the whole
network: the coordination page sums small tables (daily_orders is folded into daily_villages)

Revision ID: 0010_daily_villages
Revises: 0009_daily_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_daily_villages"
down_revision = "0009_daily_figures"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "daily_villages",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "village_id"),
    )
    op.create_table(
        "daily_partner_sales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "partner_id"),
    )
    op.execute(
        "INSERT INTO daily_villages (day, village_id, orders, sales_cents) "
        "SELECT day, village_id, SUM(orders), SUM(sales_cents) FROM ("
        "SELECT day, village_id, orders, 0 AS sales_cents FROM daily_orders "
        "UNION ALL SELECT day, village_id, 0 AS orders, sales_cents FROM daily_sales) AS both_ "
        "GROUP BY day, village_id"
    )
    op.execute(
        "INSERT INTO daily_partner_sales (day, partner_id, partner_name, "
        "sales_cents) SELECT day, partner_id, MAX(partner_name), SUM(sales_cents) "
        "FROM daily_sales GROUP BY day, partner_id"
    )
    op.drop_table("daily_orders")


def downgrade():
    op.create_table(
        "daily_orders",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "village_id"),
    )
    op.execute(
        "INSERT INTO daily_orders (day, village_id, orders) "
        "SELECT day, village_id, orders FROM daily_villages WHERE orders > 0"
    )
    op.drop_table("daily_partner_sales")
    op.drop_table("daily_villages")
