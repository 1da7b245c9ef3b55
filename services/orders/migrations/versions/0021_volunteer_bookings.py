"""volunteer_bookings: the animation roles holding a volunteer's time (animation.volunteer_booking)

Revision ID: 0021_volunteer_bookings
Revises: 0020_member_updated
"""

from alembic import op

from backbone import volunteer_bookings

revision = "0021_volunteer_bookings"
down_revision = "0020_member_updated"
branch_labels = None
depends_on = None


def upgrade():
    volunteer_bookings.create_table()


def downgrade():
    op.drop_table("volunteer_bookings")
