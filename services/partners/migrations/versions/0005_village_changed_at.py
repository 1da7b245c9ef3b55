"""known_villages.changed_at: village.updated keeps the latest description of a village

Revision ID: 0005_village_changed_at
Revises: 0004_subscriptions
"""

from backbone import migrations

revision = "0005_village_changed_at"
down_revision = "0004_subscriptions"
branch_labels = None
depends_on = None


def upgrade():
    migrations.add_known_villages_changed_at()


def downgrade():
    migrations.drop_known_villages_changed_at()
