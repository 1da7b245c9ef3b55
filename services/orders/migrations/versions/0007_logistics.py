"""help requests and delivery rounds

Revision ID: 0007_logistics
Revises: 0006_counter
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0007_logistics"
down_revision = "0006_counter"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    with op.batch_alter_table("known_volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_distance_km", sa.Integer(), nullable=True))

    op.create_table(
        "help_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("requester_member_id", sa.String(length=36), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("volunteer_id", sa.String(length=36), nullable=True),
        sa.Column("volunteer_member_id", sa.String(length=36), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("unmatched_reason", sa.String(length=200), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=True),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_requests_requester_member_id"),
            ["requester_member_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_help_requests_village_id"), ["village_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_help_requests_volunteer_member_id"),
            ["volunteer_member_id"],
            unique=False,
        )

    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("depot_village_id", sa.String(length=36), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("driver_member_id", sa.String(length=36), nullable=True),
        sa.Column("driver_partner_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("name", name=op.f("uq_vehicles_name")),
    )
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicles_depot_village_id"), ["depot_village_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vehicles_driver_partner_id"), ["driver_partner_id"], unique=False
        )

    op.create_table(
        "rounds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("vehicle_id", sa.String(length=36), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("depot_village_id", sa.String(length=36), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("driver_member_id", sa.String(length=36), nullable=True),
        sa.Column("driver_partner_id", sa.String(length=36), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("load", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("planned_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_rounds_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("vehicle_id", "on_date", name="uq_rounds_vehicle_date"),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rounds_depot_village_id"), ["depot_village_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rounds_driver_partner_id"), ["driver_partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rounds_on_date"), ["on_date"], unique=False)

    op.create_table(
        "round_stops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=True),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("supplier_name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("items_count", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_stops_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_stops")),
        sa.UniqueConstraint("order_id", name=op.f("uq_round_stops_order_id")),
        sa.UniqueConstraint("purchase_order_id", name=op.f("uq_round_stops_purchase_order_id")),
    )
    with op.batch_alter_table("round_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_stops_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_stops_village_id"), ["village_id"], unique=False)


def downgrade():
    op.drop_table("round_stops")
    op.drop_table("rounds")
    op.drop_table("vehicles")
    op.drop_table("help_requests")
    with op.batch_alter_table("known_volunteers", schema=None) as batch_op:
        batch_op.drop_column("max_distance_km")
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
