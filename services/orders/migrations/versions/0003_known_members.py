"""known_members: read model of members (member.registered / member.erased)

Revision ID: 0003_known_members
Revises: 0001
"""

from backbone import migrations

revision = "0003_known_members"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    migrations.create_known_members()


def downgrade():
    migrations.drop_known_members()
