"""offline_actions: registrations replayed with their key and the time they happened

Revision ID: 0018_offline_actions
Revises: 0017_outbox_pending_index
"""

from alembic import op

from backbone import offline_actions

revision = "0018_offline_actions"
down_revision = "0017_outbox_pending_index"
branch_labels = None
depends_on = None


def upgrade():
    offline_actions.create_table()


def downgrade():
    op.drop_table("offline_actions")
