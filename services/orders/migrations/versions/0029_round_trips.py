"""rounds that close the chain: several trips over the vehicle's capacity (rounds.trips,
round_stops.trip), home deliveries at the member's home when known (round_stops.located), a pooled
order's drop-offs at the villages' hubs (round_stops.purchase_order_id no longer unique;
round_pickups holds a pooled order on one round)

Revision ID: 0029_round_trips
Revises: 0028_grappes
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_round_trips"
down_revision = "0028_grappes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "round_pickups",
        sa.Column("purchase_order_id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_pickups_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("purchase_order_id", name=op.f("pk_round_pickups")),
    )
    with op.batch_alter_table("round_pickups") as batch:
        batch.create_index(batch.f("ix_round_pickups_round_id"), ["round_id"], unique=False)
    op.execute(
        "INSERT INTO round_pickups (purchase_order_id, round_id) "
        "SELECT purchase_order_id, round_id FROM round_stops WHERE purchase_order_id IS NOT NULL"
    )
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(sa.Column("trips", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("round_stops") as batch:
        batch.add_column(sa.Column("trip", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("located", sa.String(10), nullable=True))
        batch.drop_constraint("uq_round_stops_purchase_order_id", type_="unique")
        batch.create_index(
            batch.f("ix_round_stops_purchase_order_id"), ["purchase_order_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("round_stops") as batch:
        batch.drop_index(batch.f("ix_round_stops_purchase_order_id"))
        batch.create_unique_constraint("uq_round_stops_purchase_order_id", ["purchase_order_id"])
        batch.drop_column("located")
        batch.drop_column("trip")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("trips")
    op.drop_table("round_pickups")
