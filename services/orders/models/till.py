"""The hub's till (caisse): walk-in sales and how they were paid, refunds, the day's closing (Z);
the hub's shelf (stock items and their movements); solidarity prices and who may have them.

Money is integer cents, VAT included; a VAT rate is per mille (55 = 5.5 %), as in the catalogue.
A line's VAT amount is computed from its VAT-included total (`till.vat_of`)."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class TillSale(Base):
    """A sale at the till, to a member (`member_id`) or to anyone walking in. `day` is the business
    day (Europe/Paris) it belongs to: the day a closing (Z) counts."""

    __tablename__ = "till_sales"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_till_sales_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # the receipt was asked for by e-mail (the address went with `sale.receipt_requested`)
    receipt_emailed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    day: Mapped[date] = mapped_column(Date, index=True)
    sold_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    given_cents: Mapped[int] = mapped_column(Integer, default=0)  # cash handed over
    change_cents: Mapped[int] = mapped_column(Integer, default=0)  # cash given back

    lines: Mapped[list["TillSaleLine"]] = relationship(
        back_populates="sale",
        order_by="TillSaleLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    payments: Mapped[list["TillPayment"]] = relationship(
        order_by="TillPayment.position", cascade="all, delete-orphan", lazy="selectin"
    )


class TillSaleLine(Base):
    """One item sold, priced as the catalogue (or the shelf) said then. `refunded` counts the units
    given back since (never more than `quantity`)."""

    __tablename__ = "till_sale_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(String(36), ForeignKey("till_sales.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(36))
    stock_item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    partner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    solidarity: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded: Mapped[int] = mapped_column(Integer, default=0)

    sale: Mapped[TillSale] = relationship(back_populates="lines")


class TillPayment(Base):
    """How much of a sale was paid by one method (cash: what was kept, the change given back)."""

    __tablename__ = "till_payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sale_id: Mapped[str] = mapped_column(String(36), ForeignKey("till_sales.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(10))
    amount_cents: Mapped[int] = mapped_column(Integer)


class TillRefund(Base):
    """Lines of a sale given back, with a reason, and the money given back by one method."""

    __tablename__ = "till_refunds"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_till_refunds_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    sale_id: Mapped[str] = mapped_column(String(36), ForeignKey("till_sales.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    refunded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    method: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    total_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)

    lines: Mapped[list["TillRefundLine"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TillRefundLine.position"
    )


class TillRefundLine(Base):
    """Units of one sale line given back."""

    __tablename__ = "till_refund_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    refund_id: Mapped[str] = mapped_column(String(36), ForeignKey("till_refunds.id"), index=True)
    line_id: Mapped[str] = mapped_column(String(36), ForeignKey("till_sale_lines.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)


class TillClosing(Base):
    """The day's closing (Z) of a village's till: once per village and day. `totals` keeps what
    was counted then (per payment method, per partner, per VAT rate), so that a Z printed again
    reads the same."""

    __tablename__ = "till_closings"
    __table_args__ = (UniqueConstraint("village_id", "day", name="uq_till_closings_day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    day: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    float_cents: Mapped[int] = mapped_column(Integer, default=0)
    expected_cash_cents: Mapped[int] = mapped_column(BigInteger)
    counted_cash_cents: Mapped[int] = mapped_column(BigInteger)
    difference_cents: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    totals: Mapped[dict] = mapped_column(JSON)


class StockItem(Base):
    """Goods on the hub's shelf: a catalogue item of the village (`item_id`, priced by the
    catalogue) or the hub's own goods (priced here). `quantity` never goes below zero."""

    __tablename__ = "stock_items"
    __table_args__ = (UniqueConstraint("village_id", "item_id", name="uq_stock_items_item"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    item_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    partner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    vat_rate: Mapped[int] = mapped_column(Integer, default=55)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    low_at: Mapped[int] = mapped_column(Integer, default=0)
    use_by: Mapped[date | None] = mapped_column(Date, nullable=True)


class StockMovement(Base):
    """One change of a shelf's quantity: received, sold, refunded (put back), handed_over, lost,
    spoilt, counted (an inventory: `change` is the gap found)."""

    __tablename__ = "stock_movements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    stock_item_id: Mapped[str] = mapped_column(String(36), ForeignKey("stock_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    change: Mapped[int] = mapped_column(Integer)
    quantity_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sale_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # goods received from a pooled supplier order (stock.receive_supplier_order)
    purchase_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SolidarityPrice(Base):
    """The solidarity price (épicerie solidaire) of an item sold at a village's till: a catalogue
    item or a stock item."""

    __tablename__ = "solidarity_prices"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    price_cents: Mapped[int] = mapped_column(Integer)


class SolidarityEligibility(Base):
    """A member's right to solidarity prices, as a social partner gave it, until `ends_on`
    (included). The till's own record: nobody else reads it, and the figures never name anyone."""

    __tablename__ = "solidarity_eligibilities"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    given_by: Mapped[str] = mapped_column(String(200))
    ends_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
