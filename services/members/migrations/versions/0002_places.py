"""places: village address, coordinates, services offered, status history; truck stops;
opening hours (weekly slots, exceptions)

Revision ID: 0002_places
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0002_places"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("villages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("services", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("status_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("status_changed_at", UtcDateTime(), nullable=True))

    op.create_table(
        "village_stops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("commune", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_village_stops_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_stops")),
    )
    with op.batch_alter_table("village_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_village_stops_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "opening_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("stop_id", sa.String(length=36), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["stop_id"], ["village_stops.id"], name=op.f("fk_opening_slots_stop_id_village_stops")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_opening_slots_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_slots")),
    )
    with op.batch_alter_table("opening_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_slots_stop_id"), ["stop_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_opening_slots_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "opening_exceptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"], ["villages.id"], name=op.f("fk_opening_exceptions_village_id_villages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_exceptions")),
    )
    with op.batch_alter_table("opening_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opening_exceptions_village_id"), ["village_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("opening_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_exceptions_village_id"))
    op.drop_table("opening_exceptions")
    with op.batch_alter_table("opening_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_slots_village_id"))
        batch_op.drop_index(batch_op.f("ix_opening_slots_stop_id"))
    op.drop_table("opening_slots")
    with op.batch_alter_table("village_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_village_stops_village_id"))
    op.drop_table("village_stops")
    with op.batch_alter_table("villages", schema=None) as batch_op:
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("services")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
        batch_op.drop_column("street")
