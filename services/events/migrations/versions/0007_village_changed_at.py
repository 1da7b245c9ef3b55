"""known_villages.changed_at: village.updated keeps the latest description of a village

Revision ID: 0007_village_changed_at
Revises: 0006_answers
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0007_village_changed_at"
down_revision = "0006_answers"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("known_villages", sa.Column("changed_at", UtcDateTime(), nullable=True))
    op.execute("UPDATE known_villages SET changed_at = opened_at")
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.alter_column("changed_at", existing_type=UtcDateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("known_villages", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
