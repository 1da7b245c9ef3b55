"""Items asked for at the counter that the village's catalogue does not offer (a need the network
learns from: `item.asked`)."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class AskedItem(Base):
    """What was asked for (`item`, free text), its theme if the concierge gave one, and who asked
    if she noted it (`member_id`: for the hub only, never in the event; dropped on erasure)."""

    __tablename__ = "asked_items"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_asked_items_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    item: Mapped[str] = mapped_column(String(120))
    theme: Mapped[str | None] = mapped_column(String(30), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
