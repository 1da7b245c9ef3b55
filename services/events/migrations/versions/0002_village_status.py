"""village status read model (from village.status_changed)

Revision ID: 0002_village_status
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0002_village_status"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "village_statuses",
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_village_statuses")),
    )


def downgrade():
    op.drop_table("village_statuses")
