"""volunteer_bookings: the coups de main holding a volunteer's time (help_request.volunteer_booking)

Revision ID: 0011_volunteer_bookings
Revises: 0010_partner_updated
"""

from alembic import op

from backbone import volunteer_bookings

revision = "0011_volunteer_bookings"
down_revision = "0010_partner_updated"
branch_labels = None
depends_on = None


def upgrade():
    volunteer_bookings.create_table()


def downgrade():
    op.drop_table("volunteer_bookings")
