"""The end of a partnership: `remove_partner` (the coordinator's decision, one transaction) and the
deletion of the partner's broker feed after it (`delete_ended_feeds`,
retried by the service's timer).

In one transaction the partner is marked ended (`ended_at`, `end_reason`), every API key revoked,
every webhook subscription disabled and every pending delivery parked with the reason, and its
offers leave every village catalogue (each catalogue changed publishes `catalogue.changed` through
the outbox, as any catalogue change does), and the end is told as `partner.updated` with its
`ended_at` (the other services' copies of the partner stop counting it). Nothing that figures,
invoices or history read is deleted: the partner, its offers, funding sources, deliveries and their
log stay.

The broker is outside that transaction: the user `partner-<id>` and its queues are deleted after the
commit, and `feed_deleted_at` says it was done. While the broker or its management API is away
the removal stands all the same (the keys, webhooks and deliveries stopped in the database) and the
timer tries the feed again until it goes. An ended partner is refused (409 `partner_ended`) new
offers, catalogue entries, webhooks, a feed account or a key, and receives nothing more."""

from __future__ import annotations

import logging
from datetime import datetime

import eventlet
from sqlalchemy import select, update

from backbone import config
from backbone.clock import utcnow
from backbone.errors import Conflict, NotFound
from services.partners import catalogues, feed
from services.partners.models import CatalogueEntry, Delivery, Offer, Partner, WebhookSubscription
from services.partners.partners import _revoke, described

log = logging.getLogger(__name__)

PARKED_PREFIX = "partner removed: "  # a parked delivery's last_error, followed by the reason


def active_partner(uow, partner_id: str) -> Partner:
    """The partner, refused when its partnership ended. Read with a shared lock (PostgreSQL), so a
    removal committing at the same time waits for this change or this change for it."""
    partner = uow.session.scalars(
        select(Partner).where(Partner.id == str(partner_id)).with_for_update(read=True)
    ).first()
    if partner is None:
        raise NotFound("partner", str(partner_id))
    if partner.ended_at is not None:
        raise Conflict("partner_ended", details={"ended_at": partner.ended_at.isoformat()})
    return partner


def _answer(
    partner: Partner,
    *,
    revoked: int = 0,
    webhooks: int = 0,
    parked: int = 0,
    villages: list[str] | None = None,
) -> dict:
    return {
        "partner_id": partner.id,
        "ended_at": partner.ended_at,
        "end_reason": partner.end_reason,
        "api_keys_revoked": revoked,
        "webhooks_disabled": webhooks,
        "deliveries_parked": parked,
        "catalogues_changed": villages or [],
        "feed_deleted": partner.feed_deleted_at is not None,
    }


def end_partnership(uow, partner_id: str, reason: str, *, now: datetime | None = None) -> dict:
    """The transaction of a removal. A partner already ended is answered as it stands (its first
    reason kept), changing nothing: removing twice is removing once."""
    partner = uow.session.scalars(
        select(Partner).where(Partner.id == str(partner_id)).with_for_update()
    ).first()
    if partner is None:
        raise NotFound("partner", str(partner_id))
    if partner.ended_at is not None:
        return _answer(partner)
    now = now or utcnow()
    partner.ended_at, partner.end_reason = now, reason
    revoked = _revoke(uow, partner.id)
    hooks = uow.session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.partner_id == partner.id, WebhookSubscription.deleted_at.is_(None)
        )
    ).all()
    for hook in hooks:
        hook.deleted_at = now
    # one UPDATE: a delivery a sender holds and settles meanwhile is left as it settled
    parked = uow.session.execute(
        update(Delivery)
        .where(Delivery.partner_id == partner.id, Delivery.status == "pending")
        .values(status="parked", settled_at=now, last_error=(PARKED_PREFIX + reason)[:500])
        .execution_options(synchronize_session=False)
    ).rowcount
    villages = catalogues.villages_selling_partner(uow, partner.id)
    offer_ids = select(Offer.id).where(Offer.partner_id == partner.id)
    for entry in uow.session.scalars(
        select(CatalogueEntry).where(CatalogueEntry.offer_id.in_(offer_ids))
    ):
        uow.session.delete(entry)
    for village_id in villages:
        catalogues.publish_catalogue(uow, village_id)
    # told as the partner's latest description (`ended_at` set): the services that count it as
    # supply (members' skills map) or offer it (events' co-organisers) stop doing so
    uow.record_event("partner.updated", described(uow, partner), village_id=None)
    uow.commit()
    return _answer(partner, revoked=revoked, webhooks=len(hooks), parked=parked, villages=villages)


def delete_feed(
    uow, partner_id: str, delete=feed.delete_account, budget: float | None = None
) -> bool:
    """Delete an ended partner's broker user and queues and record it; False (and a warning) while
    the broker's management API is away, refuses or takes longer than `budget` seconds, for the
    timer to try again."""
    partner = uow.session.get(Partner, str(partner_id))
    if partner is None or partner.ended_at is None or partner.feed_deleted_at is not None:
        return partner is not None and partner.feed_deleted_at is not None
    timer = eventlet.Timeout(budget)
    try:
        queues = delete(partner.id)
    except feed.BrokerManagementError as exc:
        log.warning(
            "the feed of removed partner %s is not deleted yet (tried again later): %s",
            partner.id,
            exc,
        )
        return False
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        log.warning(
            "the feed of removed partner %s is not deleted yet: the broker's management API "
            "took more than %s s (tried again later)",
            partner.id,
            budget,
        )
        return False
    finally:
        timer.cancel()
    partner.feed_deleted_at = utcnow()
    uow.commit()
    log.info("feed of removed partner %s deleted: broker user and queues %s", partner.id, queues)
    return True


def remove_partner(db, partner_id: str, reason: str, delete=feed.delete_account) -> dict:
    """End the partnership, then delete its feed (or leave that to the timer). The feed gets half
    the caller's RPC timeout: a management API that hangs must not turn a committed removal into
    the caller's 503."""
    with db.unit_of_work() as uow:
        answer = end_partnership(uow, partner_id, reason)
    if not answer["feed_deleted"]:
        with db.unit_of_work() as uow:
            answer["feed_deleted"] = delete_feed(
                uow, partner_id, delete, budget=config.rpc_timeout() / 2
            )
    return answer


def ended_feeds(uow) -> list[str]:
    """Partners ended whose feed is not deleted yet, oldest removal first."""
    return list(
        uow.session.scalars(
            select(Partner.id)
            .where(Partner.ended_at.is_not(None), Partner.feed_deleted_at.is_(None))
            .order_by(Partner.ended_at)
        )
    )


def delete_ended_feeds(db, delete=feed.delete_account) -> int:
    """The timer's round: every feed still to delete, each in its own transaction; how many went."""
    with db.unit_of_work() as uow:
        pending = ended_feeds(uow)
    deleted = 0
    for partner_id in pending:
        with db.unit_of_work() as uow:
            deleted += delete_feed(uow, partner_id, delete)
    return deleted
