"""What every service answers to `health()`: its database, and how many
events wait in its outbox."""

from sqlalchemy import func, select

from backbone.tables import OutboxEvent


def service_health(db, service: str) -> dict:
    try:
        with db.unit_of_work() as uow:
            pending = uow.session.execute(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            ).scalar_one()
    except Exception as exc:  # noqa: BLE001  reported, not raised: health must answer
        return {"service": service, "database": f"down: {type(exc).__name__}: {exc}"[:300]}
    return {"service": service, "database": "ok", "outbox_pending": pending}
