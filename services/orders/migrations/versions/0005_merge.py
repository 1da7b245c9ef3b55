"""merge the parallel branches of issue 3 into one history

Revision ID: 0005_merge
Revises: "0002_village_status", "0003_known_members", "0004_known_volunteers"
"""

revision = "0005_merge"
down_revision = ("0002_village_status", "0003_known_members", "0004_known_volunteers")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
