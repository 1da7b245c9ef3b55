"""permanences: services held at a village's hub by others on a weekday (La Poste, a social
worker), shown on its public page

Revision ID: 0012_permanences
Revises: 0011_more_notices
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0012_permanences"
down_revision = "0011_more_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "village_permanences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("note", sa.String(length=160), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["villages.id"],
            name=op.f("fk_village_permanences_village_id_villages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_permanences")),
    )
    op.create_index(
        op.f("ix_village_permanences_village_id"),
        "village_permanences",
        ["village_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_village_permanences_village_id"), table_name="village_permanences")
    op.drop_table("village_permanences")
