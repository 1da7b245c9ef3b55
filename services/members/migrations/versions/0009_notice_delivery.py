"""notices really sent: retries with growing pauses (attempts, next_attempt_at, last_error), parked
after a limit (parked_at), and what the message is made of (template, context)

Revision ID: 0009_notice_delivery
Revises: 0008_staff_sessions
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0009_notice_delivery"
down_revision = "0008_staff_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.add_column(sa.Column("next_attempt_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("parked_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("template", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("context", sa.Text(), nullable=True))
        batch.create_index(
            batch.f("ix_member_notices_next_attempt_at"), ["next_attempt_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("member_notices") as batch:
        batch.drop_index(batch.f("ix_member_notices_next_attempt_at"))
        batch.drop_column("context")
        batch.drop_column("template")
        batch.drop_column("parked_at")
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
