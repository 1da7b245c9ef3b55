"""animations.reminded_at: the reminder of the day before is announced once

Revision ID: 0008_animation_reminded_at
Revises: 0007_village_changed_at
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0008_animation_reminded_at"
down_revision = "0007_village_changed_at"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("animations", sa.Column("reminded_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("animations", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
