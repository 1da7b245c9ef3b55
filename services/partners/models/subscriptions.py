"""Partner subscriptions: webhooks, AMQP feed accounts, and the deliveries of events to both, with
their log of attempts. Deliveries live here (the partners database), so a restart loses none."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.partners.models.base import Base


class WebhookSubscription(Base):
    """A partner's webhook: where to POST which event types, and the secret that signs each body
    (kept in clear: the HMAC needs it; shown to the partner once, at creation)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[str] = mapped_column(Text)  # JSON list of event types
    secret: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class FeedAccount(Base):
    """A partner's AMQP feed: its broker user `partner-<id>` (the password
    is only on the broker)."""

    __tablename__ = "feed_accounts"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Delivery(Base):
    """One event for one subscription (a webhook, or a partner's feed: `target` is the webhook's id
    or `feed:<partner_id>`); unique per (target, event), so a redelivered event adds nothing.
    `body` is the projected envelope, fixed when the event arrived. Status: pending → delivered,
    or parked with the reason after too many failed attempts."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    channel: Mapped[str] = mapped_column(String(10))  # webhook | amqp
    target: Mapped[str] = mapped_column(String(60))
    subscription_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id"), nullable=True
    )
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("target", "event_id", name="uq_deliveries_target_event"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_partner", "partner_id", "created_at"),
    )


class DeliveryAttempt(Base):
    """The delivery log: each attempt, its outcome (HTTP status or error) and how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
