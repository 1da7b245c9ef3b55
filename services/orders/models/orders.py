"""Orders taken at the counter and their lines (with a price snapshot)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backbone.clock import utcnow
from backbone.state_machine import Event, Lifecycle
from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class Order(Base):
    """An inhabitant's order. `status` moves along `LIFECYCLE`:

        placed → confirmed → ready → collected (counter, locker, truck stop) / delivered (home)
        placed | confirmed | ready → cancelled (reason)
        placed → refused (every line refused by its supplier; the reasons given)

    `fulfilment`: counter, locker, truck_stop, home_delivery."""

    LIFECYCLE = Lifecycle(
        reason="order_status_transition",
        transitions={
            "placed": ("confirmed", "cancelled", "refused"),
            "confirmed": ("ready", "cancelled"),
            "ready": ("collected", "delivered", "cancelled"),
            "collected": (),
            "delivered": (),
            "cancelled": (),
            "refused": (),
        },
        stamps={
            "confirmed": "confirmed_at",
            "ready": "ready_at",
            **dict.fromkeys(("collected", "delivered", "cancelled", "refused"), "closed_at"),
        },
    )

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_orders_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="placed")
    fulfilment: Mapped[str] = mapped_column(String(20))
    delivery_date: Mapped[date] = mapped_column(Date, index=True)
    delivery_address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    truck_stop: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # the village's stop it names (`known_village_stops`); null for an order placed before, or in a
    # village whose stops orders was not told: `truck_stop` is then the text typed
    truck_stop_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    locker_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    locker_compartment: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    placed_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, index=True
    )  # figures of a period
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)

    # selectin: a list of orders loads all their lines in one more query, not one per order
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        order_by="OrderLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def move_to(self, status: str, now: datetime, *, reason: str | None = None) -> list[Event]:
        """The one place an order's status changes: guarded by `LIFECYCLE`, time-stamped, and
        told as `order.<status>`; `reason` (a cancellation's, a refusal's) is kept with it."""
        self.LIFECYCLE.move(self, status, now)
        if reason is not None:
            self.reason = reason
        payload = self.event_payload(now)
        if status == "ready":
            # the members service tells the inhabitant where and how to collect it
            payload.update(
                member_id=self.member_id,
                locker_compartment=self.locker_compartment,
                locker_code=self.locker_code,
                truck_stop=self.truck_stop,
            )
        return [Event(f"order.{status}", payload, self.village_id)]

    def event_payload(self, now: datetime) -> dict:
        """What every `order.*` event says of the order as it now is."""
        return {
            "order_id": self.id,
            "village_id": self.village_id,
            "status": self.status,
            "fulfilment": self.fulfilment,
            "delivery_date": self.delivery_date,
            "partner_ids": sorted({line.partner_id for line in self.lines}),
            "total_cents": self.total_cents,
            "reason": self.reason,
            "refused_line_ids": sorted(line.id for line in self.lines if line.status == "refused"),
            "occurred_at": now,
        }


class OrderLine(Base):
    """One item of an order, priced as the catalogue said when it was placed. `status`: pending
    (a shared supplier has not answered yet), confirmed, refused (`reason`)."""

    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(36), ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(36))
    offer_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    purchase_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("purchase_orders.id"), nullable=True, index=True
    )

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents
