"""partners' profiles, offers, village catalogues, funding and campaigns

Revision ID: 0003_offers
Revises: 0002_village_status
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from backbone.tables import UtcDateTime  # noqa: F401


revision = '0003_offers'
down_revision = '0002_village_status'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
