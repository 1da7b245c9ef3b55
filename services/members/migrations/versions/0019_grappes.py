"""grappes: villages the coordinator gathers to pool shared suppliers' orders and rounds, with
their depot

Revision ID: 0019_grappes
Revises: 0018_offline_actions
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0019_grappes"
down_revision = "0018_offline_actions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "grappes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("supplier_partner_ids", sa.JSON(), nullable=False),
        sa.Column("depot_village_id", sa.String(36), nullable=False),
        sa.Column("depot_place", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_grappes_name")),
    )


def downgrade():
    op.drop_table("grappes")
