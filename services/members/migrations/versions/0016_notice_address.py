"""a notice to someone who is not a member: the till's receipt by e-mail goes to the address typed
at the sale (`address`), kept only until the e-mail is sent or given up

Revision ID: 0016_notice_address
Revises: 0015_skills_owned
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_notice_address"
down_revision = "0015_skills_owned"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.add_column(sa.Column("address", sa.String(254), nullable=True))


def downgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.drop_column("address")
