"""a volunteer may decline a coup de main proposed to them (the /moi pages): the request goes back
to the concierge, who no longer sees them among its candidates (declined_member_ids) and sees when
it was declined (declined_at)

Revision ID: 0017_help_request_declines
Revises: 0016_vehicle_kind
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0017_help_request_declines"
down_revision = "0016_vehicle_kind"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("declined_member_ids", sa.Text(), nullable=True))
        batch.add_column(sa.Column("declined_at", UtcDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("declined_at")
        batch.drop_column("declined_member_ids")
