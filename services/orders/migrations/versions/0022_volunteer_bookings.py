"""volunteer_bookings: the animation roles holding a volunteer's time (animation.volunteer_booking)

Revision ID: 0022_volunteer_bookings
Revises: 0021_member_updated
"""

from alembic import op

from backbone import volunteer_bookings

revision = "0022_volunteer_bookings"
down_revision = "0021_member_updated"
branch_labels = None
depends_on = None


def upgrade():
    volunteer_bookings.create_table()


def downgrade():
    op.drop_table("volunteer_bookings")
