"""Service layer of partners' subscriptions: webhooks, the AMQP feed account, and turning each event
that concerns a partner into deliveries (one per subscription, sent by
services/partners/deliveries.py)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from backbone import config
from backbone.clock import utcnow
from backbone.contracts import registry
from backbone.errors import Conflict, NotFound
from services.partners import audience, feed, removal, webhooks
from services.partners.models import Delivery, FeedAccount, Partner, WebhookSubscription
from services.partners.schemas.subscriptions import (
    FeedAccountOutput,
    WebhookCreatedOutput,
    WebhookOutput,
)

FEED_TARGET = "feed:{partner_id}"


def _partner(uow, partner_id: str) -> Partner:
    partner = uow.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("partner", partner_id)
    return partner


def _dump_webhook(row: WebhookSubscription, schema=WebhookOutput) -> dict:
    return schema().dump(
        {
            "id": row.id,
            "url": row.url,
            "event_types": json.loads(row.event_types),
            "created_at": row.created_at,
            "secret": row.secret,
        }
    )


# --- webhooks ------------------------------------------------------------------------------


def create_webhook(uow, partner_id: str, data: dict) -> dict:
    """A webhook for `data["event_types"]` at `data["url"]`; its signing
    secret is shown this once."""
    removal.active_partner(uow, partner_id)
    row = WebhookSubscription(
        partner_id=partner_id,
        url=data["url"],
        event_types=json.dumps(data["event_types"]),
        secret=webhooks.new_secret(),
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.commit()
    return _dump_webhook(row, WebhookCreatedOutput)


def list_webhooks(uow, partner_id: str) -> list[dict]:
    rows = uow.session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.partner_id == partner_id, WebhookSubscription.deleted_at.is_(None)
        )
        .order_by(WebhookSubscription.created_at)
    ).all()
    return [_dump_webhook(row) for row in rows]


def delete_webhook(uow, partner_id: str, subscription_id: str) -> dict:
    """Stops new deliveries; pending ones of this webhook are parked (their log stays readable)."""
    row = uow.session.get(WebhookSubscription, subscription_id)
    if row is None or row.partner_id != partner_id or row.deleted_at is not None:
        raise NotFound("webhook", subscription_id)
    now = utcnow()
    row.deleted_at = now
    for delivery in uow.session.scalars(
        select(Delivery).where(Delivery.subscription_id == row.id, Delivery.status == "pending")
    ):
        delivery.status, delivery.settled_at, delivery.last_error = "parked", now, "webhook deleted"
    uow.commit()
    return _dump_webhook(row)


def event_types() -> list[dict]:
    return [
        {"type": t, "description": registry.get(t, registry.latest_version(t)).description}
        for t in audience.EVENT_TYPES
    ]


# --- the AMQP feed -------------------------------------------------------------------------


def create_feed_account(uow, partner_id: str) -> dict:
    """The partner's broker user (its password shown this once; asking again sets a new one)."""
    removal.active_partner(uow, partner_id)
    try:
        account = feed.create_account(partner_id)
    except feed.BrokerManagementError as exc:
        raise Conflict("feed_unavailable", details={"error": str(exc)}) from None
    if uow.session.get(FeedAccount, partner_id) is None:
        uow.session.add(
            FeedAccount(partner_id=partner_id, username=account.username, created_at=utcnow())
        )
    uow.commit()
    return FeedAccountOutput().dump(
        {
            "username": account.username,
            "password": account.password,
            "vhost": account.vhost,
            "exchange": config.PARTNERS_EXCHANGE,
            "routing_key_prefix": feed.routing_prefix(partner_id),
            "queue": feed.feed_queue(partner_id),
            "queue_pattern": f"partner-{partner_id}.*",
        }
    )


# --- events -> deliveries ------------------------------------------------------------------


def record_deliveries(uow, events: list[dict], now: datetime | None = None) -> int:
    """For each partner an event concerns: one delivery per webhook subscribed to its type and one
    for its feed account; all of `events` in one transaction, the partners' webhooks and feeds read
    once for the batch."""
    # the ids the events name are kept below only if they are partners whose partnership goes on
    # (a partner whose partnership ended receives nothing more)
    concerned = audience.concerned_partners_of(uow.session, events)
    partners = set().union(*concerned.values())
    hooks, feeds = [], set()
    if partners:
        hooks = uow.session.scalars(
            select(WebhookSubscription)
            .join(Partner, Partner.id == WebhookSubscription.partner_id)
            .where(
                WebhookSubscription.partner_id.in_(partners),
                WebhookSubscription.deleted_at.is_(None),
                Partner.ended_at.is_(None),
            )
        ).all()
        feeds = set(
            uow.session.scalars(
                select(FeedAccount.partner_id)
                .join(Partner, Partner.id == FeedAccount.partner_id)
                .where(FeedAccount.partner_id.in_(partners), Partner.ended_at.is_(None))
            )
        )
    now, created = now or utcnow(), 0
    for event in events:
        here = concerned[event["event_id"]]
        targets = [
            (hook.partner_id, "webhook", hook.id, hook.id)
            for hook in hooks
            if hook.partner_id in here and event["type"] in json.loads(hook.event_types)
        ]
        targets += [
            (partner_id, "amqp", FEED_TARGET.format(partner_id=partner_id), None)
            for partner_id in feeds & here
        ]
        for partner_id, channel, target, subscription_id in sorted(targets):
            body = json.dumps(
                audience.project(event, partner_id), separators=(",", ":"), ensure_ascii=False
            )
            uow.session.add(
                Delivery(
                    partner_id=partner_id,
                    channel=channel,
                    target=target,
                    subscription_id=subscription_id,
                    event_id=event["event_id"],
                    event_type=event["type"],
                    body=body,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        created += len(targets)
    uow.commit()
    return created
