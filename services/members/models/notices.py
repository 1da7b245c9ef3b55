"""Notices: telling people something that concerns them (an animation they registered for was
cancelled), one row per person and thing to tell, with the channel chosen and where it stands."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base


class Notice(Base):
    """`channel`: sms, email, or call (the concierge calls: no consent to be contacted, or no usable
    contact). `status`: to_send → sent (sms, email: by the sender) or to_send → done (a call the
    concierge made). One per (source event type, source id, member): a message is sent once per
    event and recipient.

    A failed sending counts in `attempts`, says why in `last_error` and waits until
    `next_attempt_at` (growing pauses; SMS also wait for the end of the quiet hours); after the
    limit it is parked (`parked_at`) and becomes a call. `template` and `context` (JSON) are what
    the message is made of: the e-mail's subject and HTML part are rendered from them when sent.

    A call the concierge made without reaching the person counts in `unanswered_calls` (when:
    `last_called_at`) and leaves the notice on the list: they still have to be told."""

    __tablename__ = "member_notices"
    __table_args__ = (
        UniqueConstraint("source_type", "source_ref", "member_id", name="uq_member_notices_source"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # the member's village: its concierge tells (a coordinator's staff account: none)
    village_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    # the person told: a member, or (an e-mail with a set-your-password link) a staff account
    member_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id"), index=True, nullable=True
    )
    account_id: Mapped[str | None] = mapped_column(String(36), index=True, nullable=True)
    # an e-mail to the address typed for it (the till's receipt: the buyer need not be a member);
    # emptied once the e-mail is sent or given up
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    source_type: Mapped[str] = mapped_column(String(60))  # animation.cancelled
    # the animation's id; a reminder adds its step: "<parcel id>/3"
    source_ref: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(10))  # sms, email, call
    status: Mapped[str] = mapped_column(String(10), default="to_send")  # to_send, sent, done
    message: Mapped[str] = mapped_column(String(600))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    unanswered_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_called_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    template: Mapped[str | None] = mapped_column(
        String(60), nullable=True
    )  # notices/<template>.txt…
    context: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # JSON, what the template reads


class WaitingParcel(Base):
    """A parcel left at the counter for a member (`parcel.received`), until it is handed over or
    returned (`closed_at`): what the reminders are counted from. The code is kept for the
    reminder's text; the row goes with the member's erasure."""

    __tablename__ = "member_waiting_parcels"

    parcel_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    pickup_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
