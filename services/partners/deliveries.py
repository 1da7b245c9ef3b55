"""Sending deliveries (webhooks and the AMQP feed), their log, and redelivery on demand.

`send_due` is what the partners service's timer runs: it takes due pending deliveries one at a
time (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several partners instances never send the same
one), sends it, logs the attempt (HTTP status or error, duration) and, in the same transaction,
marks it delivered or schedules the next attempt after an exponential pause
(MAILLAGE_WEBHOOK_RETRY_BASE doubled each time, at most MAILLAGE_WEBHOOK_RETRY_MAX); after
MAILLAGE_WEBHOOK_MAX_ATTEMPTS failures the delivery is parked with the last reason. Everything is
in the partners database: a restart resumes where it stopped. Delivery is at least once (a crash
between a 2xx and the commit sends again): receivers deduplicate on `X-Maillage-Event-Id`.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backbone import config
from backbone.errors import Conflict, NotFound
from backbone.tables import utcnow
from services.partners import feed, webhooks
from services.partners.models import Delivery, DeliveryAttempt, WebhookSubscription
from services.partners.schemas.subscriptions import (
    DeliveryDetailOutput, DeliveryOutput, DeliveryPageOutput,
)

log = logging.getLogger("maillage.partners.deliveries")


class Outlets:
    """The real network: HTTP for webhooks, the broker (confirms) for the feed."""

    def __init__(self, amqp_uri: str | None = None, timeout: float | None = None):
        self.timeout = config.webhook_timeout() if timeout is None else timeout
        self.publisher = feed.FeedPublisher(amqp_uri)

    def webhook(self, subscription: WebhookSubscription, delivery: Delivery) -> webhooks.Outcome:
        started = time.monotonic()
        try:
            return webhooks.post(subscription.url, subscription.secret, delivery.body.encode(),
                                 event_id=delivery.event_id, event_type=delivery.event_type, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001  whatever the URL does, it is this attempt's outcome
            return webhooks.Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])

    def amqp(self, delivery: Delivery) -> webhooks.Outcome:
        started = time.monotonic()
        try:
            self.publisher.publish(delivery.partner_id, delivery.event_type, delivery.event_id,
                                   delivery.body.encode())
        except Exception as exc:  # noqa: BLE001  unroutable, refused, broker away: an outcome
            self.publisher.close()
            return webhooks.Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])
        return webhooks.Outcome(True, _ms(started))

    def close(self) -> None:
        self.publisher.close()


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failures."""
    return min(config.webhook_retry_base() * 2 ** (attempts - 1), config.webhook_retry_max())


def send_due(db, *, now: datetime | None = None, limit: int = 20, outlets: Outlets | None = None) -> int:
    """Send up to `limit` due deliveries; returns how many were attempted."""
    own = outlets is None
    outlets = outlets or Outlets()
    sent = 0
    try:
        while sent < limit:
            with db.unit_of_work() as uow:
                at = now or utcnow()
                delivery = uow.session.scalars(
                    select(Delivery).where(Delivery.status == "pending", Delivery.next_attempt_at <= at)
                    .order_by(Delivery.next_attempt_at, Delivery.id).limit(1)
                    .with_for_update(skip_locked=True)).first()
                if delivery is None:
                    break
                _attempt(uow, delivery, outlets, at)
                uow.commit()
                sent += 1
    finally:
        if own:
            outlets.close()
    return sent


def _attempt(uow, delivery: Delivery, outlets: Outlets, at: datetime) -> None:
    if delivery.channel == "webhook":
        subscription = uow.session.get(WebhookSubscription, delivery.subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            delivery.status, delivery.settled_at, delivery.last_error = "parked", at, "webhook deleted"
            return
        outcome = outlets.webhook(subscription, delivery)
    else:
        outcome = outlets.amqp(delivery)
    uow.session.add(DeliveryAttempt(delivery_id=delivery.id, attempted_at=at, ok=outcome.ok,
                                    status_code=outcome.status_code, error=outcome.error,
                                    duration_ms=outcome.duration_ms))
    delivery.attempts += 1
    if outcome.ok:
        delivery.status, delivery.settled_at, delivery.last_error = "delivered", at, None
        return
    delivery.last_error = outcome.error
    if delivery.attempts >= config.webhook_max_attempts():
        delivery.status, delivery.settled_at = "parked", at
        log.warning("delivery %s (%s to partner %s) parked after %d attempts: %s", delivery.id,
                    delivery.event_type, delivery.partner_id, delivery.attempts, outcome.error)
    else:
        delivery.next_attempt_at = at + timedelta(seconds=retry_delay(delivery.attempts))


# --- reading the log, redelivering -----------------------------------------------------------

def _fields(row: Delivery) -> dict:
    return {name: getattr(row, name) for name in DeliveryOutput().fields}


def list_deliveries(uow, query: dict) -> dict:
    """A page of deliveries, newest first (`query`: page, per_page, status, partner_id)."""
    where = []
    if query.get("partner_id"):
        where.append(Delivery.partner_id == query["partner_id"])
    if query.get("status"):
        where.append(Delivery.status == query["status"])
    total = uow.session.scalar(select(func.count()).select_from(Delivery).where(*where))
    rows = uow.session.scalars(select(Delivery).where(*where).order_by(Delivery.created_at.desc(), Delivery.id)
                               .offset((query["page"] - 1) * query["per_page"]).limit(query["per_page"])).all()
    return DeliveryPageOutput().dump({"items": [_fields(row) for row in rows], "page": query["page"],
                                      "per_page": query["per_page"], "total": total})


def _own(uow, delivery_id: str, partner_id: str | None) -> Delivery:
    row = uow.session.get(Delivery, delivery_id)
    if row is None or (partner_id is not None and row.partner_id != partner_id):
        raise NotFound("delivery", delivery_id)
    return row


def get_delivery(uow, delivery_id: str, partner_id: str | None) -> dict:
    """One delivery with the event as sent and every attempt (`partner_id` None: the coordinator)."""
    row = _own(uow, delivery_id, partner_id)
    attempts = uow.session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == row.id)
                                   .order_by(DeliveryAttempt.id)).all()
    return DeliveryDetailOutput().dump({**_fields(row), "body": json.loads(row.body),
                                        "log": attempts})


def redeliver(uow, delivery_id: str, partner_id: str | None, *, now: datetime | None = None) -> dict:
    """Send a delivery again as soon as possible, with a fresh budget of attempts."""
    row = _own(uow, delivery_id, partner_id)
    if row.channel == "webhook":
        subscription = uow.session.get(WebhookSubscription, row.subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            raise Conflict("webhook_deleted", field="delivery_id")
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now or utcnow()
    row.settled_at = row.last_error = None
    uow.commit()
    return DeliveryOutput().dump(_fields(row))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
