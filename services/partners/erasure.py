"""RGPD in the partners service: what it holds about one inhabitant (their pledges, and the copies
of events sent to partners that name them), for the export and for `member.erased`.

Erasure keeps the figures: a pledge keeps its amount and campaign, without the pledger's name; a
delivery keeps its log line, its body emptied of what names the person (backbone/retention.py)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import or_, select, update

from backbone import retention
from services.partners.models import Delivery, Pledge

# How `member.erased` reaches every table here that holds a member id or personal data
# (tests/services/test_erasure_rules.py fails on a table without a rule).
ERASURE: dict[str, str] = {
    "pledges": "pledger_name emptied; the amount stays, counted (record_member_erased)",
    "deliveries": "bodies naming the member scrubbed (scrub_deliveries); every settled body "
    "emptied after MAILLAGE_DELIVERY_RETENTION_DAYS (purge_delivery_bodies)",
    "outbox": "published rows naming the member scrubbed (backbone.retention.scrub_outbox), all "
    "published rows purged after MAILLAGE_OUTBOX_RETENTION_DAYS",
    "partner_contacts": "not an inhabitant's: a partner's contact, edited by the partner",
    "partners": "not personal: organisations",
    "funding_sources": "not personal: funders",
    "offers": "not personal: products",
    "known_villages": "not personal: villages",
    "commune_links": "not personal: a local authority's read-only link (its secret's hash)",
    "service_contracts": "not personal: a commune's contract (its name, prices, villages)",
    "in_kind_contributions": "not personal: what an organisation gives a village, described",
    "counted_orders": "not personal: an order's lines (partner, quantity, amount) as the sales "
    "read model follows it; rows counted or dropped deleted after "
    "consignment.counted_order_retention_days() (purge_settled_orders)",
}


def member_pledges(uow, member_id: str) -> list[dict]:
    rows = uow.session.scalars(
        select(Pledge).where(Pledge.member_id == str(member_id)).order_by(Pledge.pledged_at)
    ).all()
    return [
        {
            "id": p.id,
            "campaign_id": p.campaign_id,
            "amount_cents": p.amount_cents,
            "pledger_name": p.pledger_name,
            "pledged_at": p.pledged_at.isoformat(),
        }
        for p in rows
    ]


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
    return {"service": "partners", "pledges": member_pledges(uow, str(member_id))}


def scrub_deliveries(uow, needles) -> int:
    """Empty what names these people in the bodies of the deliveries kept; how many changed."""
    needles = [str(n) for n in needles if n]
    if not needles:
        return 0
    changed = 0
    rows = uow.session.scalars(
        select(Delivery).where(or_(*(Delivery.body.contains(n) for n in needles)))
    ).all()
    for delivery in rows:
        body = retention.scrub_text(delivery.body, needles)
        if body is not None:
            delivery.body, changed = body, changed + 1
    return changed


def scrub_settled_home_stops(uow, village_id: str) -> int:
    """A round's home-delivery stops reach the driver with an address and an order id, never the
    member's id: this service cannot tell which stop was the erased person's. So the copies already
    sent (delivered or parked) of the rounds through their village lose every home address of that
    village; a pending one keeps them until sent (the driver needs them), then goes by retention."""
    changed = 0
    for delivery in uow.session.scalars(
        select(Delivery).where(
            Delivery.event_type == "round.planned",
            Delivery.status.in_(("delivered", "parked")),
            Delivery.body.contains(village_id),
        )
    ):
        body = json.loads(delivery.body)
        stops = (body.get("payload") or {}).get("stops") or []
        home = [
            s
            for s in stops
            if s.get("kind") == "home_delivery"
            and s.get("village_id") == village_id
            and any(s.get(k) is not None for k in ("address", "latitude", "longitude"))
        ]
        for stop in home:
            stop.update({k: None for k in ("address", "latitude", "longitude") if k in stop})
        if home:
            delivery.body, changed = json.dumps(body), changed + 1
    return changed


def record_member_erased(uow, event: dict) -> None:
    """`member.erased`: the pledger's name goes from their pledges (amounts stay, counted), and the
    person from the deliveries and published events kept. A redelivered erasure changes nothing."""
    member_id = event["payload"]["member_id"]
    for pledge in uow.session.scalars(select(Pledge).where(Pledge.member_id == member_id)):
        pledge.pledger_name = None
    scrub_deliveries(uow, [member_id])
    scrub_settled_home_stops(uow, event["payload"]["village_id"])
    retention.scrub_outbox(uow.session, [member_id])
    uow.commit()


PURGED_BODY = (
    ""  # a settled delivery past its retention: the log line stays, the copy of the event goes
)


def purge_delivery_bodies(uow, now, retention_days: int) -> int:
    """Empty the bodies of deliveries settled (delivered or parked) more than `retention_days` ago;
    how many. Does not commit."""
    result = uow.session.execute(
        update(Delivery)
        .where(
            Delivery.status.in_(("delivered", "parked")),
            Delivery.settled_at < now - timedelta(days=retention_days),
            Delivery.body != PURGED_BODY,
        )
        .values(body=PURGED_BODY)
    )
    return result.rowcount or 0
