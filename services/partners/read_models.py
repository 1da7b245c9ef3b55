"""What partners keeps of other services' facts, fed by their events."""

from sqlalchemy import select

from services.partners.models import KnownVillage, VillageStatus
from services.partners.schemas import KnownVillageOutput


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
            "insee_code": payload["insee_code"],
            "opened_at": payload.get("opened_at") or event["occurred_at"],
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
