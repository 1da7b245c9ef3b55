"""known_partners.ended_at: a partner whose partnership ended (partner.updated with ended_at)
supplies nothing on the skills map; rows from before stay active until told

Revision ID: 0022_partner_ended
Revises: 0021_member_coordinates
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0022_partner_ended"
down_revision = "0021_member_coordinates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
