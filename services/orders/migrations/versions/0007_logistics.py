"""help requests and delivery rounds

Revision ID: 0007_logistics
Revises: 0006_counter
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from backbone.tables import UtcDateTime  # noqa: F401


revision = '0007_logistics'
down_revision = '0006_counter'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
