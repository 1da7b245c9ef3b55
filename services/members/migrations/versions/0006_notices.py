"""notices to tell people (an animation cancelled…)

Revision ID: 0006_notices
Revises: 0005_merge
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from backbone.tables import UtcDateTime  # noqa: F401


revision = '0006_notices'
down_revision = '0005_merge'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
