"""where an inhabitant's home is (members.latitude, longitude), entered or imported: home
deliveries stop there rather than at the village's centre

Revision ID: 0021_member_coordinates
Revises: 0020_known_partners
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_member_coordinates"
down_revision = "0020_known_partners"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("members") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
