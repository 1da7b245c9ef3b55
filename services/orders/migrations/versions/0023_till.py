"""till: walk-in sales, payments, refunds, the day's closing (Z); the hub's shelf and its movements;
solidarity prices and eligibility

Revision ID: 0023_till
Revises: 0022_volunteer_bookings
"""

import sqlalchemy as sa
from alembic import op

from backbone.tables import UtcDateTime  # noqa: F401

revision = "0023_till"
down_revision = "0022_volunteer_bookings"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("daily_villages", "monthly_villages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ("till_sales", "solidarity_sales"):
                batch_op.add_column(
                    sa.Column(column, sa.Integer(), server_default="0", nullable=False)
                )
            batch_op.add_column(
                sa.Column(
                    "solidarity_sales_cents", sa.BigInteger(), server_default="0", nullable=False
                )
            )
    op.create_table(
        "solidarity_eligibilities",
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("given_by", sa.String(length=200), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "village_id", "member_id", name=op.f("pk_solidarity_eligibilities")
        ),
    )
    op.create_table(
        "solidarity_prices",
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", "item_id", name=op.f("pk_solidarity_prices")),
    )
    op.create_table(
        "stock_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("low_at", sa.Integer(), nullable=False),
        sa.Column("use_by", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_items")),
        sa.UniqueConstraint("village_id", "item_id", name="uq_stock_items_item"),
    )
    with op.batch_alter_table("stock_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_items_village_id"), ["village_id"], unique=False)

    op.create_table(
        "till_closings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=False),
        sa.Column("float_cents", sa.Integer(), nullable=False),
        sa.Column("expected_cash_cents", sa.BigInteger(), nullable=False),
        sa.Column("counted_cash_cents", sa.BigInteger(), nullable=False),
        sa.Column("difference_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_closings")),
        sa.UniqueConstraint("village_id", "day", name="uq_till_closings_day"),
    )
    with op.batch_alter_table("till_closings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_till_closings_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "till_sales",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sold_at", UtcDateTime(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("given_cents", sa.Integer(), nullable=False),
        sa.Column("change_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_sales")),
        sa.UniqueConstraint("village_id", "idempotency_key", name="uq_till_sales_idempotency"),
    )
    with op.batch_alter_table("till_sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_till_sales_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_till_sales_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_till_sales_sold_at"), ["sold_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_till_sales_village_id"), ["village_id"], unique=False)

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("stock_item_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.Column("quantity_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("sale_id", sa.String(length=36), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["stock_items.id"],
            name=op.f("fk_stock_movements_stock_item_id_stock_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_movements_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stock_movements_stock_item_id"), ["stock_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_movements_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "till_payments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["till_sales.id"], name=op.f("fk_till_payments_sale_id_till_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_payments")),
    )
    with op.batch_alter_table("till_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_till_payments_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "till_refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("refunded_at", UtcDateTime(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["till_sales.id"], name=op.f("fk_till_refunds_sale_id_till_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_refunds")),
        sa.UniqueConstraint("village_id", "idempotency_key", name="uq_till_refunds_idempotency"),
    )
    with op.batch_alter_table("till_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_till_refunds_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_till_refunds_refunded_at"), ["refunded_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_till_refunds_sale_id"), ["sale_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_till_refunds_village_id"), ["village_id"], unique=False
        )

    op.create_table(
        "till_sale_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sale_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("stock_item_id", sa.String(length=36), nullable=True),
        sa.Column("partner_id", sa.String(length=36), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("solidarity", sa.Boolean(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["till_sales.id"], name=op.f("fk_till_sale_lines_sale_id_till_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_sale_lines")),
    )
    with op.batch_alter_table("till_sale_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_till_sale_lines_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_till_sale_lines_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "till_refund_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("refund_id", sa.String(length=36), nullable=False),
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["till_sale_lines.id"],
            name=op.f("fk_till_refund_lines_line_id_till_sale_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["till_refunds.id"],
            name=op.f("fk_till_refund_lines_refund_id_till_refunds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_refund_lines")),
    )
    with op.batch_alter_table("till_refund_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_till_refund_lines_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_till_refund_lines_refund_id"), ["refund_id"], unique=False
        )


def downgrade():
    for table in ("daily_villages", "monthly_villages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ("till_sales", "solidarity_sales", "solidarity_sales_cents"):
                batch_op.drop_column(column)
    with op.batch_alter_table("till_refund_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_refund_lines_refund_id"))
        batch_op.drop_index(batch_op.f("ix_till_refund_lines_line_id"))

    op.drop_table("till_refund_lines")
    with op.batch_alter_table("till_sale_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_sale_lines_sale_id"))
        batch_op.drop_index(batch_op.f("ix_till_sale_lines_partner_id"))

    op.drop_table("till_sale_lines")
    with op.batch_alter_table("till_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_refunds_village_id"))
        batch_op.drop_index(batch_op.f("ix_till_refunds_sale_id"))
        batch_op.drop_index(batch_op.f("ix_till_refunds_refunded_at"))
        batch_op.drop_index(batch_op.f("ix_till_refunds_day"))

    op.drop_table("till_refunds")
    with op.batch_alter_table("till_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_payments_sale_id"))

    op.drop_table("till_payments")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_village_id"))
        batch_op.drop_index(batch_op.f("ix_stock_movements_stock_item_id"))
        batch_op.drop_index(batch_op.f("ix_stock_movements_at"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("till_sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_sales_village_id"))
        batch_op.drop_index(batch_op.f("ix_till_sales_sold_at"))
        batch_op.drop_index(batch_op.f("ix_till_sales_member_id"))
        batch_op.drop_index(batch_op.f("ix_till_sales_day"))

    op.drop_table("till_sales")
    with op.batch_alter_table("till_closings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_till_closings_village_id"))

    op.drop_table("till_closings")
    with op.batch_alter_table("stock_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_items_village_id"))

    op.drop_table("stock_items")
    op.drop_table("solidarity_prices")
    op.drop_table("solidarity_eligibilities")
