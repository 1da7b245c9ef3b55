"""index on when members joined: the coordinator's new members of a period

Revision ID: 0007_members_joined_on
Revises: 0006_notices
"""

from alembic import op

revision = "0007_members_joined_on"
down_revision = "0006_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_members_joined_on", "members", ["joined_on"])


def downgrade():
    op.drop_index("ix_members_joined_on", table_name="members")
