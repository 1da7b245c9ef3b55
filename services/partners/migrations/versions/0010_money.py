"""money: producers' commission, the sales read model, services delivered, service contracts and
their numbered invoices, in-kind contributions (services/partners/consignment.py, invoicing.py)

Revision ID: 0010_money
Revises: 0009_outbox_pending_index
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime

revision = "0010_money"
down_revision = "0009_outbox_pending_index"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("partners", sa.Column("commission_per_mille", sa.Integer(), nullable=True))
    op.create_table(
        "monthly_sales",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "partner_id", "village_id", "channel", name=op.f("pk_monthly_sales")
        ),
    )
    op.create_table(
        "counted_orders",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("handed_over_month", sa.String(length=7), nullable=True),
        sa.Column("refused_line_ids", sa.JSON(), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_counted_orders")),
    )
    op.create_table(
        "delivered_services",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "source_id", name=op.f("pk_delivered_services")),
    )
    op.create_index(op.f("ix_delivered_services_village_id"), "delivered_services", ["village_id"])
    op.create_index(op.f("ix_delivered_services_month"), "delivered_services", ["month"])
    op.create_table(
        "service_contracts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("village_ids", sa.JSON(), nullable=False),
        sa.Column("help_hour_cents", sa.Integer(), nullable=False),
        sa.Column("home_delivery_cents", sa.Integer(), nullable=False),
        sa.Column("animation_cents", sa.Integer(), nullable=False),
        sa.Column("premises_month_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_service_contracts_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contracts")),
    )
    op.create_index(op.f("ix_service_contracts_partner_id"), "service_contracts", ["partner_id"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("in_kind_cents", sa.Integer(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("sent_to", sa.String(length=254), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["service_contracts.id"],
            name=op.f("fk_invoices_contract_id_service_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("contract_id", "month", name="uq_invoices_contract_month"),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index(op.f("ix_invoices_contract_id"), "invoices", ["contract_id"])
    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "in_kind_contributions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("value_cents", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_in_kind_contributions_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_in_kind_contributions")),
    )
    op.create_index(
        op.f("ix_in_kind_contributions_village_id"), "in_kind_contributions", ["village_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_in_kind_contributions_village_id"), table_name="in_kind_contributions")
    op.drop_table("in_kind_contributions")
    op.drop_table("invoice_counters")
    op.drop_index(op.f("ix_invoices_contract_id"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_service_contracts_partner_id"), table_name="service_contracts")
    op.drop_table("service_contracts")
    op.drop_index(op.f("ix_delivered_services_month"), table_name="delivered_services")
    op.drop_index(op.f("ix_delivered_services_village_id"), table_name="delivered_services")
    op.drop_table("delivered_services")
    op.drop_table("counted_orders")
    op.drop_table("monthly_sales")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("commission_per_mille")
