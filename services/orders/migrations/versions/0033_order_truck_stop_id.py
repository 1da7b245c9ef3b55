"""an order collected at the truck's stop names one of its village's stops (orders.truck_stop_id,
from known_village_stops); orders placed before keep their text in truck_stop and no id.

Revision ID: 0033_order_truck_stop_id
Revises: 0032_truck_stop_places
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_order_truck_stop_id"
down_revision = "0032_truck_stop_places"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("truck_stop_id", sa.String(36), nullable=True))


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("truck_stop_id")
