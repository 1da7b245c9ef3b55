"""calls without an answer: the concierge says a call found nobody (unanswered_calls,
last_called_at); the notice stays on the list « à prévenir »

Revision ID: 0014_call_outcomes
Revises: 0013_personal_links
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0014_call_outcomes"
down_revision = "0013_personal_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.add_column(
            sa.Column("unanswered_calls", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_called_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.drop_column("last_called_at")
        batch.drop_column("unanswered_calls")
