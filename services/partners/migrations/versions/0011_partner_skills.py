"""the skills a partner's services offer (partners.skills): a service structure or an artisan
counts as supply on the skills map where it serves

Revision ID: 0011_partner_skills
Revises: 0010_money
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_partner_skills"
down_revision = "0010_money"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="[]"))


def downgrade():
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("skills")
