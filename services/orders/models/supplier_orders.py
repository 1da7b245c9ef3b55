"""Pooled purchase orders: one per shared supplier, delivery date and grappe, gathering the lines of
every village of the grappe that orders from it; the villages in no grappe for that supplier share
one purchase order per supplier and day (`grappe_id` empty)."""

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class PurchaseOrder(Base):
    """`open` while villages add lines, `sent` once closed at the cut-off (or earlier by the
    coordinator), `empty` when closed with no line left to send."""

    __tablename__ = "purchase_orders"
    __table_args__ = (
        UniqueConstraint(
            "supplier_partner_id", "delivery_date", "grappe_id", name="uq_purchase_orders_cycle"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    supplier_partner_id: Mapped[str] = mapped_column(String(36), index=True)
    supplier_name: Mapped[str] = mapped_column(String(200))
    delivery_date: Mapped[date] = mapped_column(Date, index=True)
    # "" rather than NULL: the unique cycle must hold for the villages in no grappe too
    grappe_id: Mapped[str] = mapped_column(String(36), default="", server_default="", index=True)
    cutoff_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
