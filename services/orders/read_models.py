"""What orders keeps of other services' facts, fed by their events."""

from sqlalchemy import select

from backbone import retention
from backbone.network_facts import NetworkFacts
from services.orders import (
    asked_items,
    help_requests,
    ordering,
    parcels,
    rounds,
    solidarity,
    till,
)
from services.orders.models import KnownMember, KnownVillage, Order, VillageStatus
from services.orders.schemas import KnownVillageOutput

facts = NetworkFacts(KnownVillage, VillageStatus, KnownMember, output=KnownVillageOutput)
record_village = facts.record_village
record_villages = facts.record_villages
record_village_status_changed = facts.record_village_status_changed
known_villages = facts.known_villages
record_member_registered = facts.record_member_registered


# --- members (event-carried state; anonymised on member.erased) ----------------------------------


def record_member_erased(uow, event: dict) -> None:
    """Anonymise the member's row (kept as a tombstone when the registration has not arrived yet).
    A redelivered erasure changes nothing."""
    facts.erase_member(uow, event)
    member_id = event["payload"]["member_id"]
    ordering.scrub_member(uow, member_id)  # addresses and notes; the orders stay, counted
    parcels.scrub_member(uow, member_id)
    help_requests.scrub_member(uow, member_id)
    rounds.scrub_member(uow, member_id)
    till.scrub_member(uow, member_id)
    solidarity.scrub_member(uow, member_id)
    asked_items.scrub_member(uow, member_id)  # who asked; what was asked stays
    # events already sent still name them: by id, or by their orders' ids (a round's stop)
    order_ids = uow.session.scalars(select(Order.id).where(Order.member_id == member_id)).all()
    retention.scrub_outbox(uow.session, [member_id, *order_ids])
    uow.commit()


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
    return {
        "service": "orders",
        "known_member": facts.member_export(uow, member_id),
        "orders": ordering.member_orders(uow, member_id),
        "parcels": parcels.member_parcels(uow, member_id),
        "help_requests": help_requests.member_help_requests(uow, member_id),
        "round_stops": rounds.member_round_stops(uow, member_id),
        "till_sales": till.member_sales(uow, member_id),
        "solidarity": solidarity.member_eligibility(uow, member_id),
        "asked_items": asked_items.member_asked_items(uow, member_id),
    }
