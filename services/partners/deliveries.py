"""Sending deliveries (webhooks and the AMQP feed), their log, and redelivery on demand.

`send_due` is what the partners service's timer runs, woken by the commit that made deliveries due
(`WOKEN_BY`) and at the next retry's time (`seconds_to_next_look`; backbone/woken_timer.py). It
sends due pending deliveries several at a time (MAILLAGE_WEBHOOK_WORKERS green threads), at most
MAILLAGE_WEBHOOK_PER_PARTNER at once to one partner, so a partner whose endpoint is slow holds a few
senders for at most an attempt's deadline (MAILLAGE_WEBHOOK_DEADLINE) and the others' deliveries go
on. Each sender takes its delivery in its own transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`,
so several partners instances never send the same one), sends it, logs the attempt (HTTP status or
error, duration) and, in the same transaction, marks it delivered or schedules the next attempt
after an exponential pause (MAILLAGE_WEBHOOK_RETRY_BASE doubled each time, at most
MAILLAGE_WEBHOOK_RETRY_MAX); after MAILLAGE_WEBHOOK_MAX_ATTEMPTS failures the delivery is parked
with the last reason. Everything is in the partners database: a restart resumes where it stopped.
Delivery is at least once (a crash between a 2xx and the commit sends again): receivers deduplicate
on `webhook-id` (the event id).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import datetime, timedelta

import eventlet
import eventlet.queue
from eventlet.semaphore import Semaphore
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from backbone import config, metrics
from backbone.clock import utcnow
from backbone.errors import Conflict, NotFound
from services.partners import feed, webhooks
from services.partners.models import Delivery, DeliveryAttempt, Partner, WebhookSubscription
from services.partners.schemas.subscriptions import (
    DeliveryDetailOutput,
    DeliveryOutput,
    DeliveryPageOutput,
    ParkedRedeliveredOutput,
)

log = logging.getLogger("maillage.partners.deliveries")
POLL_SECONDS = (
    0.5  # while a slow endpoint holds senders, deliveries that fall due meanwhile are looked for
)


def _made_due(delivery: Delivery) -> bool:
    """A delivery the sender has to look at now: a new one, or one sent again (a failed attempt
    plans its next one, which the sender's own wait covers)."""
    return delivery.status == "pending" and not delivery.attempts


WOKEN_BY = (Delivery, _made_due)  # what wakes the sender after a commit (backbone/woken_timer.py)


class Outlets:
    """The real network: HTTP for webhooks, the broker (confirms) for the feed."""

    def __init__(self, amqp_uri: str | None = None, timeout: float | None = None):
        self.timeout = config.webhook_timeout() if timeout is None else timeout
        self.publisher = feed.FeedPublisher(amqp_uri)
        self.publishing = Semaphore(1)

    def webhook(self, subscription: WebhookSubscription, delivery: Delivery) -> webhooks.Outcome:
        started = time.monotonic()
        try:
            return webhooks.post(
                subscription.url,
                subscription.secret,
                delivery.body.encode(),
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                timeout=self.timeout,
            )
        except Exception as exc:  # noqa: BLE001  whatever the URL does, it is this attempt's outcome
            return webhooks.Outcome(False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500])

    def amqp(self, delivery: Delivery) -> webhooks.Outcome:
        started = time.monotonic()
        with self.publishing:  # one broker connection: senders publish on it one after another
            try:
                self.publisher.publish(
                    delivery.partner_id,
                    delivery.event_type,
                    delivery.event_id,
                    delivery.body.encode(),
                )
            except Exception as exc:  # noqa: BLE001  unroutable, refused, broker away: an outcome
                self.publisher.close()
                return webhooks.Outcome(
                    False, _ms(started), error=f"{type(exc).__name__}: {exc}"[:500]
                )
        return webhooks.Outcome(True, _ms(started))

    def close(self) -> None:
        self.publisher.close()


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failures."""
    return min(config.webhook_retry_base() * 2 ** (attempts - 1), config.webhook_retry_max())


def send_due(
    db,
    *,
    now: datetime | None = None,
    limit: int = 100,
    outlets: Outlets | None = None,
    workers: int | None = None,
    per_partner: int | None = None,
) -> int:
    """Send up to `limit` due deliveries, `workers` at once and at most `per_partner` at once to
    one partner; returns how many were attempted (a delivery another instance holds is skipped)."""
    own = outlets is None
    outlets = outlets or Outlets()
    workers = workers or config.webhook_workers()
    per_partner = per_partner or config.webhook_per_partner()
    pool, finished = eventlet.GreenPool(workers), eventlet.queue.LightQueue()
    busy: Counter = Counter()  # partner id -> deliveries being sent to it now
    tried: set[str] = set()
    started = attempted = 0

    def send(delivery_id: str, partner_id: str) -> None:
        done = False
        try:
            done = _send_one(db, delivery_id, outlets, now)
        except Exception:  # noqa: BLE001  the database failed under this one: the others go on
            log.exception("delivery %s could not be sent or recorded", delivery_id)
        finally:
            finished.put((partner_id, done))

    try:
        while True:
            candidate = None
            if started < limit and pool.free():
                full = [partner for partner, count in busy.items() if count >= per_partner]
                candidate = _next_due(db, now, tried, full)
            if candidate is not None:
                delivery_id, partner_id = candidate
                tried.add(delivery_id)
                busy[partner_id] += 1
                started += 1
                pool.spawn_n(send, delivery_id, partner_id)
                continue
            if not sum(busy.values()):
                break
            try:  # one finished (its partner and its place are free again), or look for new ones
                partner_id, done = finished.get(timeout=POLL_SECONDS)
            except eventlet.queue.Empty:
                continue
            busy[partner_id] -= 1
            attempted += done
    finally:
        pool.waitall()
        if own:
            outlets.close()
    return attempted


def seconds_to_next_look(db, now: datetime | None = None) -> float | None:
    """When the sender should look again after a run (backbone/woken_timer.py): when the next
    pending delivery falls due, but not sooner than POLL_SECONDS (one still due now is held by
    another instance's sender, or was beyond this run's limit); None when none is pending."""
    with db.unit_of_work() as uow:
        due = uow.session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
        )
    if due is None:
        return None
    return max(POLL_SECONDS, (due - (now or utcnow())).total_seconds())


def _next_due(db, now: datetime | None, tried: set[str], full: list[str]) -> tuple[str, str] | None:
    """The oldest due pending delivery not yet tried in this round, to a
    partner with a place free."""
    with db.unit_of_work() as uow:
        query = select(Delivery.id, Delivery.partner_id).where(
            Delivery.status == "pending", Delivery.next_attempt_at <= (now or utcnow())
        )
        if tried:
            query = query.where(Delivery.id.not_in(tried))
        if full:
            query = query.where(Delivery.partner_id.not_in(full))
        row = uow.session.execute(
            query.order_by(Delivery.next_attempt_at, Delivery.id).limit(1)
        ).first()
    return (row.id, row.partner_id) if row else None


def _send_one(db, delivery_id: str, outlets: Outlets, now: datetime | None) -> bool:
    """One attempt at one delivery, in its own transaction holding the row; False when another
    sender holds it or it is no longer due."""
    with db.unit_of_work() as uow:
        at = now or utcnow()
        delivery = uow.session.scalars(
            select(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == "pending",
                Delivery.next_attempt_at <= at,
            )
            .with_for_update(skip_locked=True)
        ).first()
        if delivery is None:
            return False
        outcome = _attempt(uow, delivery, outlets, at)
        uow.commit()
    metrics.PARTNER_DELIVERIES.labels(delivery.channel, outcome).inc()
    return True


def _attempt(uow, delivery: Delivery, outlets: Outlets, at: datetime) -> str:
    """One attempt; returns its outcome: delivered, failed (tried again later) or parked."""
    partner = uow.session.get(Partner, delivery.partner_id)
    if (
        partner.ended_at is not None
    ):  # recorded as the removal committed: it parks its pending ones itself
        delivery.status, delivery.settled_at, delivery.last_error = "parked", at, "partner removed"
        return "parked"
    if delivery.channel == "webhook":
        subscription = uow.session.get(WebhookSubscription, delivery.subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            delivery.status, delivery.settled_at, delivery.last_error = (
                "parked",
                at,
                "webhook deleted",
            )
            return "parked"
        outcome = outlets.webhook(subscription, delivery)
    else:
        outcome = outlets.amqp(delivery)
    uow.session.add(
        DeliveryAttempt(
            delivery_id=delivery.id,
            attempted_at=at,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    delivery.attempts += 1
    if outcome.ok:
        delivery.status, delivery.settled_at, delivery.last_error = "delivered", at, None
        return "delivered"
    delivery.last_error = outcome.error
    if delivery.attempts >= config.webhook_max_attempts():
        delivery.status, delivery.settled_at = "parked", at
        log.warning(
            "delivery %s (%s to partner %s) parked after %d attempts: %s",
            delivery.id,
            delivery.event_type,
            delivery.partner_id,
            delivery.attempts,
            outcome.error,
        )
        return "parked"
    delivery.next_attempt_at = at + timedelta(seconds=retry_delay(delivery.attempts))
    return "failed"


def parked_gauges(connection, service: str) -> list[GaugeMetricFamily]:
    """`maillage_partner_deliveries_parked`, read at each scrape (backbone/operations.py): parked
    deliveries wait for the coordinator to send them again; the index on (status, next_attempt_at)
    counts them."""
    parked = connection.execute(
        select(func.count()).select_from(Delivery).where(Delivery.status == "parked")
    ).scalar_one()
    family = GaugeMetricFamily(
        metrics.PARTNER_DELIVERIES_PARKED,
        "Partner deliveries parked after their last attempt, waiting to be sent again.",
    )
    family.add_metric([], parked)
    return [family]


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
    rows = uow.session.scalars(
        select(Delivery)
        .where(*where)
        .order_by(Delivery.created_at.desc(), Delivery.id)
        .offset((query["page"] - 1) * query["per_page"])
        .limit(query["per_page"])
    ).all()
    return DeliveryPageOutput().dump(
        {
            "items": [_fields(row) for row in rows],
            "page": query["page"],
            "per_page": query["per_page"],
            "total": total,
        }
    )


def _own(uow, delivery_id: str, partner_id: str | None) -> Delivery:
    row = uow.session.get(Delivery, delivery_id)
    if row is None or (partner_id is not None and row.partner_id != partner_id):
        raise NotFound("delivery", delivery_id)
    return row


def get_delivery(uow, delivery_id: str, partner_id: str | None) -> dict:
    """One delivery with the event as sent and every attempt (`partner_id`
    None: the coordinator)."""
    row = _own(uow, delivery_id, partner_id)
    attempts = uow.session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == row.id)
        .order_by(DeliveryAttempt.id)
    ).all()
    return DeliveryDetailOutput().dump(
        {**_fields(row), "body": json.loads(row.body), "log": attempts}
    )


def redeliver(
    uow, delivery_id: str, partner_id: str | None, *, now: datetime | None = None
) -> dict:
    """Send a delivery again as soon as possible, with a fresh budget of attempts."""
    row = _own(uow, delivery_id, partner_id)
    if uow.session.get(Partner, row.partner_id).ended_at is not None:
        raise Conflict("partner_ended", field="delivery_id")
    if row.channel == "webhook":
        subscription = uow.session.get(WebhookSubscription, row.subscription_id)
        if subscription is None or subscription.deleted_at is not None:
            raise Conflict("webhook_deleted", field="delivery_id")
    row.status, row.attempts, row.next_attempt_at = "pending", 0, now or utcnow()
    row.settled_at = row.last_error = None
    uow.commit()
    return DeliveryOutput().dump(_fields(row))


def redeliver_parked(uow, partner_id: str, *, now: datetime | None = None) -> dict:
    """Every parked delivery of a partner sent again (the coordinator, once the partner's endpoint
    is repaired); those of a deleted webhook stay parked: nobody is there to receive them."""
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("partner", partner_id)
    if partner.ended_at is not None:
        raise Conflict("partner_ended", field="partner_id")
    live = select(WebhookSubscription.id).where(
        WebhookSubscription.partner_id == partner_id, WebhookSubscription.deleted_at.is_(None)
    )
    parked = uow.session.scalars(
        select(Delivery).where(Delivery.partner_id == partner_id, Delivery.status == "parked")
    ).all()
    alive = set(uow.session.scalars(live).all())
    again = [row for row in parked if row.channel != "webhook" or row.subscription_id in alive]
    for row in again:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, now or utcnow()
        row.settled_at = row.last_error = None
    uow.commit()
    return ParkedRedeliveredOutput().dump(
        {"redelivered": len(again), "left_parked": len(parked) - len(again)}
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
