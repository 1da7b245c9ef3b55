"""The money partners keeps: the read model of sales per partner, village and month (for producers'
consignment statements and the funding mix), the orders it is waiting to count, the services
delivered in each village (for the commune's invoices), service contracts and their invoices."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.partners.models.base import Base

HUB = ""  # `partner_id` of the hub's own goods sold at the till (no producer to pay)


class MonthlySales(Base):
    """What was sold of one partner's goods in one village in one month (Europe/Paris), by channel:
    `till` (walk-in sales, refunds subtracted in the month they happened) or `order` (counted in
    the month the order was collected or delivered). Added to by each event, never recomputed."""

    __tablename__ = "monthly_sales"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-11
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(5), primary_key=True)  # till | order
    quantity: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)  # VAT included


class CountedOrder(Base):
    """An order as the sales read model follows it: its lines once `order.placed` arrived, whether
    it was handed over (collected or delivered, and in which month) or dropped (cancelled, refused).
    Its lines are counted once, when both are known, whatever order the events came in; once
    counted or dropped, the row only guards against its order's late events, and goes when none
    can come any more (`settled_at`, consignment.purge_settled_orders)."""

    __tablename__ = "counted_orders"

    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36))
    lines: Mapped[list | None] = mapped_column(JSON, nullable=True)  # from order.placed
    handed_over_month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    refused_line_ids: Mapped[list] = mapped_column(JSON, default=list)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    # when it was counted or dropped: purged a while after (consignment.purge_settled_orders)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)


class DeliveredService(Base):
    """A service really given in a village, from the services' own events: `help_minutes` (a coup
    de main, its minutes), `home_delivery` (an order delivered at home: 1), `animation` (an
    animation held: 1). One row per source, so a fact told twice is counted once."""

    __tablename__ = "delivered_services"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    quantity: Mapped[int] = mapped_column(Integer)


class ServiceContract(Base):
    """A commune (a partner of kind local_authority) buys services for its villages at unit prices
    over a period; the premises it lends are valued per month (in kind, never invoiced)."""

    __tablename__ = "service_contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    village_ids: Mapped[list] = mapped_column(JSON)
    help_hour_cents: Mapped[int] = mapped_column(Integer)  # per hour of coup de main
    home_delivery_cents: Mapped[int] = mapped_column(Integer)  # per delivery
    animation_cents: Mapped[int] = mapped_column(Integer)  # per animation held
    premises_month_cents: Mapped[int] = mapped_column(Integer)  # in kind, per month
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Invoice(Base):
    """A contract's invoice for one month: its lines frozen and its number given when issued (one
    per contract and month), then sent, then paid."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("contract_id", "month", name="uq_invoices_contract_month"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("service_contracts.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    number: Mapped[str] = mapped_column(String(12), unique=True)  # 2026-0001
    lines: Mapped[list] = mapped_column(JSON)
    total_cents: Mapped[int] = mapped_column(Integer)
    in_kind_cents: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    sent_to: Mapped[str | None] = mapped_column(String(254), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class InvoiceCounter(Base):
    """The last invoice number given in a year: taken and moved in the issuing transaction, so
    numbers follow each other without a gap and none is given twice."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class InKindContribution(Base):
    """Something given in kind to a village (premises lent, a vehicle, equipment), valued."""

    __tablename__ = "in_kind_contributions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    description: Mapped[str] = mapped_column(String(200))
    value_cents: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
