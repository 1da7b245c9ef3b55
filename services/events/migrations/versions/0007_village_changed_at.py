"""known_villages.changed_at: village.updated keeps the latest description of a village

Revision ID: 0007_village_changed_at
Revises: 0006_answers
"""

from backbone import migrations

revision = "0007_village_changed_at"
down_revision = "0006_answers"
branch_labels = None
depends_on = None


def upgrade():
    migrations.add_known_villages_changed_at()


def downgrade():
    migrations.drop_known_villages_changed_at()
