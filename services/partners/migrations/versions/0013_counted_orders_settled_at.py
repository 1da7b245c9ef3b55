"""when an order followed by the sales read model was counted or dropped (counted_orders
.settled_at): the retention timer deletes the rows settled long enough ago
(services/partners/consignment.py); rows already settled count from this migration

Revision ID: 0013_counted_orders_settled_at
Revises: 0012_commission_rates
"""

import sqlalchemy as sa
from alembic import op

from backbone.clock import utcnow
from backbone.tables import UtcDateTime

revision = "0013_counted_orders_settled_at"
down_revision = "0012_commission_rates"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("counted_orders", sa.Column("settled_at", UtcDateTime(), nullable=True))
    op.create_index(op.f("ix_counted_orders_settled_at"), "counted_orders", ["settled_at"])
    orders = sa.table(
        "counted_orders",
        sa.column("counted", sa.Boolean()),
        sa.column("dropped", sa.Boolean()),
        sa.column("settled_at", UtcDateTime()),
    )
    op.execute(
        orders.update()
        .where(sa.or_(orders.c.counted.is_(True), orders.c.dropped.is_(True)))
        .values(settled_at=utcnow())
    )


def downgrade():
    op.drop_index(op.f("ix_counted_orders_settled_at"), table_name="counted_orders")
    op.drop_column("counted_orders", "settled_at")
