"""parcels.partner_id: the logistics partner who brought a parcel (La Poste, a carrier of the
network), told of its parcel's events

Revision ID: 0013_parcel_partner
Revises: 0012_write_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_parcel_partner"
down_revision = "0012_write_keys"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("parcels", sa.Column("partner_id", sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.drop_column("partner_id")
