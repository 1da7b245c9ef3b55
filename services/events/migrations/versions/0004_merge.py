"""merge the parallel branches of issue 3 into one history

Revision ID: 0004_merge
Revises: "0002_village_status", "0003_known_members"
"""

revision = "0004_merge"
down_revision = ("0002_village_status", "0003_known_members")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
