"""sales by village and partner rolled up by month too (the coordinator's sales_by_partner export
read a year of daily rows, ~1.5 million on a national network)

The months already rolled up are forgotten, with their monthly rows: the roll-up timer sums them
again, into the three monthly tables, on its next run. Until then a period reads those months
from the daily tables, which give the same figures.

Revision ID: 0015_monthly_sales
Revises: 0014_monthly_figures
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_monthly_sales'
down_revision = '0014_monthly_figures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monthly_sales',
                    sa.Column('month', sa.Date(), nullable=False),
                    sa.Column('village_id', sa.String(length=36), nullable=False),
                    sa.Column('partner_id', sa.String(length=36), nullable=False),
                    sa.Column('partner_name', sa.String(length=200), nullable=False),
                    sa.Column('sales_cents', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('month', 'village_id', 'partner_id'))
    for table in ('rolled_months', 'monthly_villages', 'monthly_partner_sales'):
        op.execute(sa.text(f'DELETE FROM {table}'))


def downgrade():
    op.drop_table('monthly_sales')
