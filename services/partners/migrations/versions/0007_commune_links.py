"""commune_links: a commune's read-only link to its villages' figures
(services/partners/commune_links.py)

Revision ID: 0007_commune_links
Revises: 0006_partner_removal
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0007_commune_links"
down_revision = "0006_partner_removal"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "commune_links",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_commune_links_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commune_links")),
    )
    op.create_index(
        op.f("ix_commune_links_partner_id"), "commune_links", ["partner_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_commune_links_partner_id"), table_name="commune_links")
    op.drop_table("commune_links")
