"""What the events service keeps of other services' facts, fed by their events."""

from sqlalchemy import select

from services.events.models import (
    KnownMember,
    KnownOffer,
    KnownPartner,
    KnownVillage,
    Registration,
    RoleVolunteer,
    Suggestion,
    SuggestionSupport,
    VillageStatus,
)
from services.events.schemas import KnownMemberOutput, KnownPartnerOutput, KnownVillageOutput


def record_village(uow, event: dict) -> None:
    """`village.opened` or `village.updated`. Order-proof: a village keeps its latest description
    by `occurred_at`."""
    payload = event["payload"]
    uow.keep_latest(
        KnownVillage,
        {
            "id": payload["village_id"],
            "slug": payload["slug"],
            "name": payload["name"],
            "commune": payload["commune"],
            "opened_at": payload.get("opened_at") or event["occurred_at"],
            "changed_at": event["occurred_at"],
        },
        key="id",
    )
    uow.commit()


def record_partner_joined(uow, event: dict) -> None:
    payload = event["payload"]
    uow.session.merge(
        KnownPartner(
            id=payload["partner_id"],
            name=payload["name"],
            kind=payload["kind"],
            joined_at=event["occurred_at"],
        )
    )
    uow.commit()


def record_offer_published(uow, event: dict) -> None:
    """Idempotent and order-proof: the newest version of an offer by `occurred_at` wins."""
    payload = event["payload"]
    uow.keep_latest(
        KnownOffer,
        {
            "id": payload["offer_id"],
            "partner_id": payload["partner_id"],
            "name": payload["name"][:200],
            "changed_at": event["occurred_at"],
        },
        key="id",
    )
    uow.commit()


def known_villages(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownVillage).order_by(KnownVillage.name)).all()
    statuses = {row.village_id: row.status for row in uow.session.scalars(select(VillageStatus))}
    villages = KnownVillageOutput(many=True).dump(rows)
    for village in villages:
        village["status"] = statuses.get(
            village["id"], "open"
        )  # opened villages are open until told
    return villages


def known_partners(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownPartner).order_by(KnownPartner.name)).all()
    return KnownPartnerOutput(many=True).dump(rows)


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


ERASED_TEXT = "(texte effacé : la personne a demandé l'effacement de ses données)"


def record_member_erased(uow, event: dict) -> None:
    """Anonymise the member's row (kept as a tombstone when the registration has not arrived yet)
    and the free text of the suggestions raised for them (it may name them; the category stays
    for the network's figures). A redelivered erasure changes nothing."""
    payload = event["payload"]
    row = uow.ensure_row(
        KnownMember, {"id": payload["member_id"], "village_id": payload["village_id"]}
    )
    if row.erased_at is None:
        row.display_name, row.tags = None, None
        row.erased_at = event["occurred_at"]
    for suggestion in uow.session.scalars(
        select(Suggestion).where(Suggestion.member_id == payload["member_id"])
    ):
        suggestion.text = ERASED_TEXT
    uow.commit()


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
    row = uow.session.get(KnownMember, str(member_id))
    member_id = str(member_id)
    registrations = uow.session.execute(
        select(Registration.animation_id, Registration.status, Registration.registered_at).where(
            Registration.member_id == member_id
        )
    ).all()
    roles = uow.session.execute(
        select(RoleVolunteer.animation_id, RoleVolunteer.role).where(
            RoleVolunteer.member_id == member_id
        )
    ).all()
    made = uow.session.execute(
        select(Suggestion.id, Suggestion.category, Suggestion.text).where(
            Suggestion.member_id == member_id
        )
    ).all()
    supported = uow.session.scalars(
        select(SuggestionSupport.suggestion_id).where(SuggestionSupport.member_id == member_id)
    ).all()
    return {
        "service": "events",
        "known_member": KnownMemberOutput().dump(row) if row else None,
        "registrations": [
            {"animation_id": a, "status": s, "registered_at": r.isoformat()}
            for a, s, r in registrations
        ],
        "volunteer_roles": [{"animation_id": a, "role": r} for a, r in roles],
        "suggestions": [{"id": i, "category": c, "text": t} for i, c, t in made],
        "supported_suggestions": list(supported),
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
