"""daily roll-ups of the coordinator's order figures (filled by the service's roll-up timer)

Revision ID: 0009_daily_figures
Revises: 0008_order_period_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_daily_figures"
down_revision = "0008_order_period_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rolled_days", sa.Column("day", sa.Date(), nullable=False), sa.PrimaryKeyConstraint("day")
    )
    op.create_table(
        "daily_orders",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "village_id"),
    )
    op.create_table(
        "daily_sales",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "village_id", "partner_id"),
    )


def downgrade():
    op.drop_table("daily_sales")
    op.drop_table("daily_orders")
    op.drop_table("rolled_days")
