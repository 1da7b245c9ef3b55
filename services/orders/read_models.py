"""What orders keeps of other services' facts, fed by their events."""
from sqlalchemy import select

from services.orders.models import KnownVillage
from services.orders.schemas import KnownVillageOutput


def record_village_opened(uow, consumer: str, event: dict) -> bool:
    """Idempotent: a duplicate delivery changes nothing and returns False."""
    if not uow.claim(consumer, event):
        return False
    payload = event["payload"]
    uow.session.merge(KnownVillage(
        id=payload["village_id"], slug=payload["slug"], name=payload["name"], kind=payload["kind"],
        opened_at=event["occurred_at"],
    ))
    uow.commit()
    return True


def known_villages(uow) -> list[dict]:
    rows = uow.session.scalars(select(KnownVillage).order_by(KnownVillage.name)).all()
    return KnownVillageOutput(many=True).dump(rows)
