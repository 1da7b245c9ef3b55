"""the network owns its skills list: the coordinator retires a skill (skills.retired_at) instead
of the list changing only with a release

Revision ID: 0015_skills_owned
Revises: 0014_call_outcomes
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0015_skills_owned"
down_revision = "0014_call_outcomes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("skills") as batch:
        batch.add_column(sa.Column("retired_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("skills") as batch:
        batch.drop_column("retired_at")
