"""What orders keeps of other services' facts, fed by their events."""
from sqlalchemy import select

from backbone import retention
from services.orders import help_requests, ordering, parcels, rounds
from services.orders.models import KnownMember, KnownVillage, Order, VillageStatus
from services.orders.schemas import KnownMemberOutput, KnownVillageOutput


def record_village(uow, consumer: str, event: dict) -> bool:
    """`village.opened` or `village.updated`; a duplicate delivery changes nothing and returns False."""
    return record_villages(uow, consumer, [event]) == 1


def record_villages(uow, consumer: str, events: list[dict]) -> int:
    """`village.opened` and `village.updated` not seen yet, in one transaction (one upsert for all);
    how many they were. Order-proof: a village keeps its latest description by `occurred_at`."""
    claimed = uow.claim_many(consumer, events)
    uow.keep_latest(KnownVillage, [_village_row(event) for event in claimed], key="id")
    uow.commit()
    return len(claimed)


def _village_row(event: dict) -> dict:
    payload = event["payload"]
    return {"id": payload["village_id"], "slug": payload["slug"], "name": payload["name"], "kind": payload["kind"],
            "latitude": payload.get("latitude"), "longitude": payload.get("longitude"),
            "opened_at": payload.get("opened_at") or event["occurred_at"], "changed_at": event["occurred_at"]}


def known_villages(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownVillage).order_by(KnownVillage.name)).all()
    statuses = {row.village_id: row.status for row in uow.session.scalars(select(VillageStatus))}
    villages = KnownVillageOutput(many=True).dump(rows)
    for village in villages:
        village["status"] = statuses.get(village["id"], "open")  # opened villages are open until told
    return villages


# --- members (event-carried state; anonymised on member.erased) ----------------------------------

def record_member_registered(uow, consumer: str, event: dict) -> bool:
    """Idempotent; a registration arriving after the erasure (out of order) does not bring the
    name back."""
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    row = uow.ensure_row(KnownMember, {"id": payload["member_id"], "village_id": payload["village_id"]})
    if row.erased_at is None:
        row.display_name = payload["display_name"]
        row.tags = ",".join(payload["tags"])
        row.registered_at = event["occurred_at"]
    uow.commit()
    return True


def record_member_erased(uow, consumer: str, event: dict) -> bool:
    """Anonymise the member's row (kept as a tombstone when the registration has not arrived yet).
    A redelivered erasure changes nothing."""
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    row = uow.ensure_row(KnownMember, {"id": payload["member_id"], "village_id": payload["village_id"]})
    if row.erased_at is None:
        row.display_name, row.tags = None, None
        row.erased_at = event["occurred_at"]
    member_id = payload["member_id"]
    ordering.scrub_member(uow, member_id)  # addresses and notes; the orders stay, counted
    parcels.scrub_member(uow, member_id)
    help_requests.scrub_member(uow, member_id)
    rounds.scrub_member(uow, member_id)
    # events already sent still name them: by id, or by their orders' ids (a round's stop)
    order_ids = uow.session.scalars(select(Order.id).where(Order.member_id == member_id)).all()
    retention.scrub_outbox(uow.session, [member_id, *order_ids])
    uow.commit()
    return True


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
    row = uow.session.get(KnownMember, str(member_id))
    return {"service": "orders", "known_member": KnownMemberOutput().dump(row) if row else None,
            "orders": ordering.member_orders(uow, member_id), "parcels": parcels.member_parcels(uow, member_id),
            "help_requests": help_requests.member_help_requests(uow, member_id),
            "round_stops": rounds.member_round_stops(uow, member_id)}


def record_village_status_changed(uow, consumer: str, event: dict) -> bool:
    """Idempotent and order-proof: the latest status by `occurred_at` wins."""
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    uow.keep_latest(VillageStatus, {"village_id": payload["village_id"], "status": payload["to"],
                                    "reason": payload["reason"], "changed_at": event["occurred_at"]},
                    key="village_id")
    uow.commit()
    return True
