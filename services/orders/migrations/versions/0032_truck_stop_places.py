"""a round's truck stop at a place of its village (round_stops.place_id, place_name, place_commune,
arrives_at, duration_minutes) and the villages' truck stops as orders knows them
(known_village_stops, from village.stops_changed). Truck stops planned before stay as they were:
at the village's centre, without a place or a time.

Revision ID: 0032_truck_stop_places
Revises: 0031_asked_items
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0032_truck_stop_places"
down_revision = "0031_asked_items"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("round_stops") as batch:
        batch.add_column(sa.Column("place_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("place_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("place_commune", sa.String(120), nullable=True))
        batch.add_column(sa.Column("arrives_at", sa.String(5), nullable=True))
        batch.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
    op.create_table(
        "known_village_stops",
        sa.Column("village_id", sa.String(36), nullable=False),
        sa.Column("stops", sa.JSON(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_known_village_stops")),
    )


def downgrade():
    op.drop_table("known_village_stops")
    with op.batch_alter_table("round_stops") as batch:
        for column in ("duration_minutes", "arrives_at", "place_commune", "place_name", "place_id"):
            batch.drop_column(column)
