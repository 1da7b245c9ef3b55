"""Parcels and goods left at the counter for an inhabitant (dépôt / retrait)."""

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class Parcel(Base):
    """`status`: waiting, handed_over, returned. Collected with `pickup_code`; kept on a shelf or in
    a locker compartment (`place_kind`, `place`). `partner_id`: the logistics partner who brought it
    (La Poste, a carrier of the network), told of its events; none for a neighbour
    or an unknown carrier."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_parcels_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sender_kind: Mapped[str] = mapped_column(String(20))
    sender_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    partner_id: Mapped[str | None] = mapped_column(
        String(36), nullable=True
    )  # the logistics partner who brought it
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)
    place_kind: Mapped[str] = mapped_column(String(20))
    place: Mapped[str] = mapped_column(String(60))
    pickup_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    received_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, index=True
    )  # the day's figures
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    return_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
