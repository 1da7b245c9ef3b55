"""known_partners.ended_at: a partner whose partnership ended (partner.updated with ended_at) is
offered as a co-organiser nowhere; rows from before stay active until told

Revision ID: 0017_partner_ended
Revises: 0016_signal_counts
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0017_partner_ended"
down_revision = "0016_signal_counts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
