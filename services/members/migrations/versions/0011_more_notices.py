"""more notices: a reminder's source names its step ("<parcel id>/3", source_ref widened); the
parcels waiting for a member, which the reminders are counted from; a notice may be for a staff
account (account_id; member_id and village_id may then be empty)

Revision ID: 0011_more_notices
Revises: 0010_village_public_contact
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0011_more_notices"
down_revision = "0010_village_public_contact"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.alter_column(
            "source_ref", existing_type=sa.String(length=36), type_=sa.String(length=80)
        )
        batch.alter_column("member_id", existing_type=sa.String(length=36), nullable=True)
        batch.alter_column("village_id", existing_type=sa.String(length=36), nullable=True)
        batch.add_column(sa.Column("account_id", sa.String(length=36), nullable=True))
        batch.create_index(batch.f("ix_member_notices_account_id"), ["account_id"], unique=False)
    op.create_table(
        "member_waiting_parcels",
        sa.Column("parcel_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("pickup_code", sa.String(length=12), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("parcel_id", name=op.f("pk_member_waiting_parcels")),
    )
    op.create_index(
        op.f("ix_member_waiting_parcels_member_id"),
        "member_waiting_parcels",
        ["member_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_member_waiting_parcels_received_at"),
        "member_waiting_parcels",
        ["received_at"],
        unique=False,
    )


def downgrade():
    op.drop_index(
        op.f("ix_member_waiting_parcels_received_at"), table_name="member_waiting_parcels"
    )
    op.drop_index(op.f("ix_member_waiting_parcels_member_id"), table_name="member_waiting_parcels")
    op.drop_table("member_waiting_parcels")
    op.execute("DELETE FROM member_notices WHERE member_id IS NULL")
    with op.batch_alter_table("member_notices") as batch:
        batch.drop_index(batch.f("ix_member_notices_account_id"))
        batch.drop_column("account_id")
        batch.alter_column("village_id", existing_type=sa.String(length=36), nullable=False)
        batch.alter_column("member_id", existing_type=sa.String(length=36), nullable=False)
        batch.alter_column(
            "source_ref", existing_type=sa.String(length=80), type_=sa.String(length=36)
        )
