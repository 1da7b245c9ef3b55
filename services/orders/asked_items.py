"""Items asked for at the counter that the village's catalogue does not offer: the concierge notes
what was asked (free text, a theme if she knows it, who asked if she wants to call them back),
and the network learns it (`item.asked`, counted in the events service's signals). The event
never names who asked. The same idempotency key again (an offline counter's replay) answers the
first note, never a second one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from backbone import offline_actions
from backbone.clock import utcnow
from backbone.errors import InvalidInput, NotFound
from backbone.messages import msg
from services.orders.idempotency import made_once
from services.orders.models import AskedItem, KnownMember, KnownVillage
from services.orders.schemas.asked_items import AskedItemOutput


def _dump(asked: AskedItem) -> dict:
    return AskedItemOutput().dump(
        {
            "id": asked.id,
            "village_id": asked.village_id,
            "item": asked.item,
            "theme": asked.theme,
            "member_id": asked.member_id,
            "asked_at": asked.asked_at,
        }
    )


def ask(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return made_once(
        uow,
        AskedItem,
        village_id,
        data.get("idempotency_key"),
        lambda: _ask(uow, village_id, data, now),
        lambda asked_id: _dump(uow.session.get(AskedItem, asked_id)),
    )


def _ask(uow, village_id: str, data: dict, now: datetime) -> dict:
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    at = offline_actions.when(data.get("occurred_at"), now)
    item = " ".join(data["item"].split())
    if not item:  # spaces only
        raise InvalidInput({"item": [msg("required")]})
    member_id = data.get("member_id")
    if member_id:
        member = uow.session.get(KnownMember, member_id)
        if member is None or member.erased_at is not None or member.village_id != village_id:
            raise InvalidInput({"member_id": [msg("unknown_member_here", member=member_id)]})
    asked = AskedItem(
        village_id=village_id,
        item=item,
        theme=data.get("theme"),
        member_id=member_id or None,
        idempotency_key=data.get("idempotency_key"),
        asked_at=at,
    )
    uow.session.add(asked)
    uow.session.flush()
    uow.record_event(
        "item.asked",
        {
            "asked_id": asked.id,
            "village_id": village_id,
            "item": asked.item,
            "theme": asked.theme,
            "asked_at": at,
        },
        village_id=village_id,
    )
    uow.commit()
    return _dump(asked)


def scrub_member(uow, member_id: str) -> int:
    """Who asked is forgotten; what was asked stays. Does not commit."""
    asked = uow.session.scalars(select(AskedItem).where(AskedItem.member_id == member_id)).all()
    for row in asked:
        row.member_id = None
    return len(asked)


def member_asked_items(uow, member_id: str) -> list[dict]:
    rows = uow.session.scalars(
        select(AskedItem).where(AskedItem.member_id == member_id).order_by(AskedItem.asked_at)
    )
    return [_dump(row) for row in rows]
