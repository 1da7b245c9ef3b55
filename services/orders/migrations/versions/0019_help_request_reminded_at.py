"""help_requests.reminded_at: the reminder of the day before is announced once

Revision ID: 0019_help_request_reminded_at
Revises: 0018_round_stop_outcome
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0019_help_request_reminded_at"
down_revision = "0018_round_stop_outcome"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("help_requests", sa.Column("reminded_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
