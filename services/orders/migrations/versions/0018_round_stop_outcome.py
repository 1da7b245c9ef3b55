"""a round's stop may be missed, and each stop keeps a note (the driver found nobody, the road was
closed): what the concierge follows stop by stop

Revision ID: 0018_round_stop_outcome
Revises: 0017_help_request_declines
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_round_stop_outcome"
down_revision = "0017_help_request_declines"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("round_stops") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table("round_stops") as batch_op:
        batch_op.drop_column("note")
