"""known_members.address, consents, changed_at: member.updated keeps the latest description of a
member

Revision ID: 0021_member_updated
Revises: 0020_running_sales
"""

from backbone import migrations

revision = "0021_member_updated"
down_revision = "0020_running_sales"
branch_labels = None
depends_on = None


def upgrade():
    migrations.add_known_members_description()


def downgrade():
    migrations.drop_known_members_description()
