"""a producer's commission rate with the date it takes effect (commission_rates): a statement for a
past month uses the rate in force then; the rate each partner had is kept as in force from the
beginning, and partners.commission_per_mille goes (the history says it)

Revision ID: 0012_commission_rates
Revises: 0011_partner_skills
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

from backbone.clock import utcnow
from backbone.tables import UtcDateTime

revision = "0012_commission_rates"
down_revision = "0011_partner_skills"
branch_labels = None
depends_on = None

BEGINNING = date(1970, 1, 1)  # services/partners/commission.py: in force since always


def upgrade():
    rates = op.create_table(
        "commission_rates",
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("per_mille", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_commission_rates_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("partner_id", "effective_from", name=op.f("pk_commission_rates")),
    )
    partners = sa.table("partners", sa.column("id"), sa.column("commission_per_mille"))
    bind = op.get_bind()
    now = utcnow()
    rows = bind.execute(
        sa.select(partners.c.id, partners.c.commission_per_mille).where(
            partners.c.commission_per_mille.is_not(None)
        )
    ).all()
    if rows:
        op.bulk_insert(
            rates,
            [
                {
                    "partner_id": pid,
                    "effective_from": BEGINNING,
                    "per_mille": rate,
                    "recorded_at": now,
                }
                for pid, rate in rows
            ],
        )
    # natively (SQLite 3.35+): a batch copy of `partners` would break the keys that name it
    op.drop_column("partners", "commission_per_mille")


def downgrade():
    op.add_column("partners", sa.Column("commission_per_mille", sa.Integer(), nullable=True))
    # the rate in force today comes back as the partner's one rate
    rates = sa.table(
        "commission_rates",
        sa.column("partner_id"),
        sa.column("effective_from"),
        sa.column("per_mille"),
    )
    partners = sa.table("partners", sa.column("id"), sa.column("commission_per_mille"))
    bind = op.get_bind()
    today = date.today()
    latest = {}
    for pid, _since, rate in bind.execute(
        sa.select(rates.c.partner_id, rates.c.effective_from, rates.c.per_mille)
        .where(rates.c.effective_from <= today)
        .order_by(rates.c.effective_from)
    ):
        latest[pid] = rate
    for pid, rate in latest.items():
        bind.execute(
            partners.update().where(partners.c.id == pid).values(commission_per_mille=rate)
        )
    op.drop_table("commission_rates")
