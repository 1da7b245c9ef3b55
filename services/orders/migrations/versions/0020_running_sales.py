"""running_sales: sales by village and partner from the first month rolled up through each month,
so that the coordinator's export of a year is the difference of two months' rows (it summed twelve
months of monthly_sales, ~600,000 rows on a national network, in Python)

Every month rolled up before is forgotten, with its rows: the roll-up timer sums them again from
the daily rows (kept), in order, on its next run. Until then a period reads those months from the
daily rows, which gives the same figures.

Revision ID: 0020_running_sales
Revises: 0019_help_request_reminded_at
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_running_sales"
down_revision = "0019_help_request_reminded_at"
branch_labels = None
depends_on = None

MONTHLY = ("rolled_months", "monthly_villages", "monthly_partner_sales", "monthly_sales")


def upgrade():
    for table in MONTHLY:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.create_table(
        "running_sales",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.Column("days_sold", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "village_id", "partner_id"),
    )


def downgrade():
    op.drop_table("running_sales")
