"""sales by village and partner rolled up by month too (the coordinator's sales_by_partner export
read a year of daily rows, ~1.5 million on a national network); parcels in the roll-ups (a
national year of parcels left at relay points is millions of rows, too many to count at each look
at the coordinator's page): received and handed over per village (daily_villages,
monthly_villages), and per sender and day (daily_parcel_senders)

Every day and month rolled up before is forgotten, with its rows: the roll-up timer rolls them up
again from the orders and parcels, into every table, on its next run. Until then a period counts
those days from the orders and parcels themselves, which gives the same figures.

Revision ID: 0015_monthly_sales_and_parcels
Revises: 0014_monthly_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_monthly_sales_and_parcels"
down_revision = "0014_monthly_figures"
branch_labels = None
depends_on = None

ROLLED_UP = (
    "rolled_days",
    "daily_villages",
    "daily_sales",
    "daily_partner_sales",
    "rolled_months",
    "monthly_villages",
    "monthly_partner_sales",
)


def upgrade():
    for table in ROLLED_UP:
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("daily_villages", "monthly_villages"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("parcels_received", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.add_column(
                sa.Column("parcels_handed_over", sa.Integer(), server_default="0", nullable=False)
            )
    # the roll-up of a day and the figures of the days not rolled up read the parcels of a day: a
    # national network's parcels table is millions of rows
    op.create_index("ix_parcels_received_at", "parcels", ["received_at"])
    op.create_index("ix_parcels_closed_at", "parcels", ["closed_at"])
    op.create_table(
        "monthly_sales",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("sales_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "village_id", "partner_id"),
    )
    op.create_table(
        "daily_parcel_senders",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sender_kind", sa.String(length=20), nullable=False),
        sa.Column("sender_key", sa.String(length=200), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("parcels_received", sa.Integer(), nullable=False),
        sa.Column("parcels_handed_over", sa.Integer(), nullable=False),
        sa.Column("parcels_returned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "sender_kind", "sender_key"),
    )


def downgrade():
    op.drop_index("ix_parcels_closed_at", "parcels")
    op.drop_index("ix_parcels_received_at", "parcels")
    op.drop_table("daily_parcel_senders")
    op.drop_table("monthly_sales")
    for table in ("monthly_villages", "daily_villages"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("parcels_handed_over")
            batch_op.drop_column("parcels_received")
