"""partner subscriptions: webhooks, their deliveries, AMQP feed accounts

Revision ID: 0004_subscriptions
Revises: 0003_offers
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from backbone.tables import UtcDateTime  # noqa: F401


revision = '0004_subscriptions'
down_revision = '0003_offers'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
