"""What the events service keeps of other services' facts, fed by their events."""

from sqlalchemy import select

from backbone.network_facts import NetworkFacts
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
from services.events.schemas import KnownPartnerOutput, KnownVillageOutput

facts = NetworkFacts(KnownVillage, VillageStatus, KnownMember, output=KnownVillageOutput)
record_village = facts.record_village
record_village_status_changed = facts.record_village_status_changed
known_villages = facts.known_villages
record_member_registered = facts.record_member_registered


def record_partner(uow, event: dict) -> None:
    """`partner.joined` or `partner.updated`: the newest description by `occurred_at` wins (a
    duplicate or an older one arriving late changes nothing); when it joined comes from
    `partner.joined` (a partner known first from an update is taken as joined then); when its
    partnership ended, from the latest description too (`ended_at`)."""
    payload, occurred_at = event["payload"], event["occurred_at"]
    description = {
        "name": payload["name"],
        "kind": payload["kind"],
        "village_ids": sorted(payload["village_ids"]),
        "ended_at": payload.get("ended_at"),
    }
    row = uow.ensure_row(
        KnownPartner,
        {
            "id": payload["partner_id"],
            **description,
            "joined_at": occurred_at,
            "changed_at": occurred_at,
        },
    )
    if event["type"] == "partner.joined":
        row.joined_at = occurred_at
    if row.changed_at < occurred_at:
        for name, value in description.items():
            setattr(row, name, value)
        row.changed_at = occurred_at
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


def known_partners(uow, village_id: str | None = None, with_ended: bool = False) -> list[dict]:
    """By name; with `village_id`, those serving that village (or the whole network). Not those
    whose partnership ended (they may co-organise no more), unless `with_ended` (the names of
    an animation's co-organisers, ended since, on its page: `ended_at` says so)."""
    query = select(KnownPartner).order_by(KnownPartner.name)
    if not with_ended:
        query = query.where(KnownPartner.ended_at.is_(None))
    rows = uow.session.scalars(query).all()
    if village_id is not None:
        rows = [r for r in rows if not r.village_ids or village_id in r.village_ids]
    return KnownPartnerOutput(many=True).dump(rows)


# --- members (event-carried state; anonymised on member.erased) ----------------------------------


ERASED_TEXT = "(texte effacé : la personne a demandé l'effacement de ses données)"


def record_member_erased(uow, event: dict) -> None:
    """Anonymise the member's row (kept as a tombstone when the registration has not arrived yet)
    and the free text of the suggestions raised for them (it may name them; the category stays
    for the network's figures). A redelivered erasure changes nothing."""
    facts.erase_member(uow, event)
    for suggestion in uow.session.scalars(
        select(Suggestion).where(Suggestion.member_id == event["payload"]["member_id"])
    ):
        suggestion.text = ERASED_TEXT
    uow.commit()


def member_data(uow, member_id: str) -> dict:
    """Everything this service holds about one member (RGPD export)."""
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
        "known_member": facts.member_export(uow, member_id),
        "registrations": [
            {"animation_id": a, "status": s, "registered_at": r.isoformat()}
            for a, s, r in registrations
        ],
        "volunteer_roles": [{"animation_id": a, "role": r} for a, r in roles],
        "suggestions": [{"id": i, "category": c, "text": t} for i, c, t in made],
        "supported_suggestions": list(supported),
    }
