"""outbox: an index of the pending rows only, for the relay (a poll as cheap with millions kept)

Revision ID: 0009_outbox_pending_index
Revises: 0008_standard_webhook_secrets
"""

from backbone import migrations

revision = "0009_outbox_pending_index"
down_revision = "0008_standard_webhook_secrets"
branch_labels = None
depends_on = None


def upgrade():
    migrations.create_outbox_unpublished_index()


def downgrade():
    migrations.drop_outbox_unpublished_index()
