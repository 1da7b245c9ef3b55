"""partners as the skills map knows them (known_partners, from partner.joined / partner.updated):
a service structure's or an artisan's skills count as supply where it serves

Revision ID: 0020_known_partners
Revises: 0019_grappes
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0020_known_partners"
down_revision = "0019_grappes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "known_partners",
        sa.Column("partner_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_known_partners")),
    )


def downgrade():
    op.drop_table("known_partners")
