"""monthly roll-ups of the coordinator's order figures (a month's daily rows summed, by the
service's roll-up timer, once its days are all rolled up)

Revision ID: 0014_monthly_figures
Revises: 0013_parcel_partner
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_monthly_figures"
down_revision = "0013_parcel_partner"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rolled_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "monthly_villages",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "village_id"),
    )
    op.create_table(
        "monthly_partner_sales",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "partner_id"),
    )


def downgrade():
    op.drop_table("monthly_partner_sales")
    op.drop_table("monthly_villages")
    op.drop_table("rolled_months")
