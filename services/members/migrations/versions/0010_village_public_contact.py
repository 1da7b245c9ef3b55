"""how the public reaches a village's concierge: the hub's own phone and e-mail (optional), shown
on the village's public page (never a staff member's personal contact)

Revision ID: 0010_village_public_contact
Revises: 0009_notice_delivery
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_village_public_contact"
down_revision = "0009_notice_delivery"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("villages") as batch:
        batch.add_column(sa.Column("public_phone", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("public_email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("villages") as batch:
        batch.drop_column("public_email")
        batch.drop_column("public_phone")
