"""vehicles.kind (van, truck, car, cargo bike) and vehicles.retired_at: the coordinator edits a
vehicle's kind and capacity and retires it from the console; a retired vehicle stays for the
rounds it made

Revision ID: 0016_vehicle_kind
Revises: 0015_monthly_sales_and_parcels
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0016_vehicle_kind"
down_revision = "0015_monthly_sales_and_parcels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("vehicles") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="van", nullable=False)
        )
        batch_op.add_column(sa.Column("retired_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("vehicles") as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("kind")
