"""partners.ended_at, end_reason, feed_deleted_at: a partnership can end
(services/partners/removal.py)

Revision ID: 0006_partner_removal
Revises: 0005_village_changed_at
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0006_partner_removal"
down_revision = "0005_village_changed_at"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("partners", sa.Column("ended_at", UtcDateTime(), nullable=True))
    op.add_column("partners", sa.Column("end_reason", sa.String(length=300), nullable=True))
    op.add_column("partners", sa.Column("feed_deleted_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("feed_deleted_at")
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_at")
