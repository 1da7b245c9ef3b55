"""Notices: telling people something that concerns them (an animation they registered for was
cancelled), one row per person and thing to tell, with the channel chosen and where it stands."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.tables import UtcDateTime, utcnow
from services.members.models.base import Base, new_id


class Notice(Base):
    """`channel`: sms, email, or call (the concierge calls: no consent to be contacted, or no usable
    contact). `status`: to_send → sent (sms, email: by the sender) or to_send → done (a call the
    concierge made). One per (source event type, source id, member)."""

    __tablename__ = "member_notices"
    __table_args__ = (UniqueConstraint("source_type", "source_ref", "member_id", name="uq_member_notices_source"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)  # the member's village: its concierge tells
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(60))   # animation.cancelled
    source_ref: Mapped[str] = mapped_column(String(36))    # the animation's id
    channel: Mapped[str] = mapped_column(String(10))       # sms, email, call
    status: Mapped[str] = mapped_column(String(10), default="to_send")  # to_send, sent, done
    message: Mapped[str] = mapped_column(String(600))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
