"""known_villages.changed_at: village.updated keeps the latest description of a village

Revision ID: 0011_village_changed_at
Revises: 0010_daily_villages
"""

from backbone import migrations

revision = "0011_village_changed_at"
down_revision = "0010_daily_villages"
branch_labels = None
depends_on = None


def upgrade():
    migrations.add_known_villages_changed_at()


def downgrade():
    migrations.drop_known_villages_changed_at()
