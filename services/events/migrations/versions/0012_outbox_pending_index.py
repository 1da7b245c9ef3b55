"""outbox: an index of the pending rows only, for the relay (a poll as cheap with millions kept)

Revision ID: 0012_outbox_pending_index
Revises: 0011_volunteer_bookings
"""

from backbone import migrations

revision = "0012_outbox_pending_index"
down_revision = "0011_volunteer_bookings"
branch_labels = None
depends_on = None


def upgrade():
    migrations.create_outbox_unpublished_index()


def downgrade():
    migrations.drop_outbox_unpublished_index()
