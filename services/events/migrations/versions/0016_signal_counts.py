"""the signals' ledger counted by theme, month and village (signal_counts, one column per source,
the new `item_asked` among them), filled from the ledger already there

Revision ID: 0016_signal_counts
Revises: 0015_member_coordinates
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_signal_counts"
down_revision = "0015_member_coordinates"
branch_labels = None
depends_on = None

SOURCES = ("suggestion", "support", "help_unmatched", "order_refused", "item_asked")


def upgrade():
    op.create_table(
        "signal_counts",
        sa.Column("theme", sa.String(30), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("village_id", sa.String(36), nullable=False),
        *(sa.Column(source, sa.Integer(), nullable=False) for source in SOURCES),
        sa.PrimaryKeyConstraint("theme", "month", "village_id", name=op.f("pk_signal_counts")),
    )
    counts = ", ".join(f"SUM(CASE WHEN source = '{s}' THEN 1 ELSE 0 END)" for s in SOURCES)
    op.execute(
        f"INSERT INTO signal_counts (theme, month, village_id, {', '.join(SOURCES)}) "
        f"SELECT theme, month, village_id, {counts} FROM signals "
        "GROUP BY theme, month, village_id"
    )


def downgrade():
    op.drop_table("signal_counts")
