"""village status read model (from village.status_changed)

Revision ID: 0002_village_status
Revises: 0001
"""

from backbone import migrations

revision = "0002_village_status"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    migrations.create_village_statuses()


def downgrade():
    migrations.drop_village_statuses()
