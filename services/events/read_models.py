"""What the events service keeps of other services' facts, fed by their events."""
from sqlalchemy import select

from services.events.models import KnownPartner, KnownVillage
from services.events.schemas import KnownPartnerOutput, KnownVillageOutput


def record_village_opened(uow, consumer: str, event: dict) -> bool:
    """Idempotent: a duplicate delivery changes nothing and returns False."""
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    uow.session.merge(KnownVillage(id=payload["village_id"], slug=payload["slug"], name=payload["name"],
                                   commune=payload["commune"], opened_at=event["occurred_at"]))
    uow.commit()
    return True


def record_partner_joined(uow, consumer: str, event: dict) -> bool:
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    uow.session.merge(KnownPartner(id=payload["partner_id"], name=payload["name"], kind=payload["kind"],
                                   joined_at=event["occurred_at"]))
    uow.commit()
    return True


def known_villages(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownVillage).order_by(KnownVillage.name)).all()
    return KnownVillageOutput(many=True).dump(rows)


def known_partners(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownPartner).order_by(KnownPartner.name)).all()
    return KnownPartnerOutput(many=True).dump(rows)
