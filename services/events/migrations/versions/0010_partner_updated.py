"""known_partners.village_ids, changed_at: partner.updated keeps the latest description of a partner

Revision ID: 0010_partner_updated
Revises: 0009_member_updated
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0010_partner_updated"
down_revision = "0009_member_updated"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("village_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("changed_at", UtcDateTime(), nullable=True))
    op.execute("UPDATE known_partners SET changed_at = joined_at")
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.alter_column("changed_at", existing_type=UtcDateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("known_partners", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
        batch_op.drop_column("village_ids")
