"""What orders keeps of other services' facts, fed by their events."""

from sqlalchemy import select

from backbone import retention
from services.orders import help_requests, ordering, parcels, rounds
from services.orders.models import KnownMember, KnownVillage, Order, VillageStatus
from services.orders.schemas import KnownMemberOutput, KnownVillageOutput


def record_village(uow, event: dict) -> None:
    """`village.opened` or `village.updated`."""
    record_villages(uow, [event])


def record_villages(uow, events: list[dict]) -> None:
    """`village.opened` and `village.updated`, in one transaction (one upsert for all). Order-proof:
    a village keeps its latest description by `occurred_at`."""
    uow.keep_latest(KnownVillage, [_village_row(event) for event in events], key="id")
    uow.commit()


def _village_row(event: dict) -> dict:
    payload = event["payload"]
    return {
        "id": payload["village_id"],
        "slug": payload["slug"],
        "name": payload["name"],
        "kind": payload["kind"],
        "latitude": payload.get("latitude"),
        "longitude": payload.get("longitude"),
        "opened_at": payload.get("opened_at") or event["occurred_at"],
        "changed_at": event["occurred_at"],
    }


def known_villages(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownVillage).order_by(KnownVillage.name)).all()
    statuses = {row.village_id: row.status for row in uow.session.scalars(select(VillageStatus))}
    villages = KnownVillageOutput(many=True).dump(rows)
    for village in villages:
        village["status"] = statuses.get(
            village["id"], "open"
        )  # opened villages are open until told
    return villages


# --- members (event-carried state; anonymised on member.erased) ----------------------------------


def record_member_registered(uow, event: dict) -> None:
    """Idempotent; a registration arriving after the erasure (out of order) does not bring the
    name back."""
    payload = event["payload"]
    row = uow.ensure_row(
        KnownMember, {"id": payload["member_id"], "village_id": payload["village_id"]}
    )
    if row.erased_at is None:
        row.display_name = payload["display_name"]
        row.tags = ",".join(payload["tags"])
        row.registered_at = event["occurred_at"]
    uow.commit()


def record_member_erased(uow, event: dict) -> None:
    """Anonymise the member's row (kept as a tombstone when the registration has not arrived yet).
    A redelivered erasure changes nothing."""
    payload = event["payload"]
    row = uow.ensure_row(
        KnownMember, {"id": payload["member_id"], "village_id": payload["village_id"]}
    )
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


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
    row = uow.session.get(KnownMember, str(member_id))
    return {
        "service": "orders",
        "known_member": KnownMemberOutput().dump(row) if row else None,
        "orders": ordering.member_orders(uow, member_id),
        "parcels": parcels.member_parcels(uow, member_id),
        "help_requests": help_requests.member_help_requests(uow, member_id),
        "round_stops": rounds.member_round_stops(uow, member_id),
    }


def record_village_status_changed(uow, event: dict) -> None:
    """Idempotent and order-proof: the latest status by `occurred_at` wins."""
    payload = event["payload"]
    uow.keep_latest(
        VillageStatus,
        {
            "village_id": payload["village_id"],
            "status": payload["to"],
            "reason": payload["reason"],
            "changed_at": event["occurred_at"],
        },
        key="village_id",
    )
    uow.commit()
