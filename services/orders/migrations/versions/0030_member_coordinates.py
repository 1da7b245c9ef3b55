"""where a member's home is (known_members.latitude, longitude, from member.updated)

Revision ID: 0030_member_coordinates
Revises: 0029_round_trips
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_member_coordinates"
down_revision = "0029_round_trips"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("known_members") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table("known_members") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
