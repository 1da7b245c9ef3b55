"""multi-village animations, suggestion answers, people reached, guest erasure

Revision ID: 0006_answers
Revises: 0005_animations
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from backbone.tables import UtcDateTime  # noqa: F401


revision = '0006_answers'
down_revision = '0005_animations'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
