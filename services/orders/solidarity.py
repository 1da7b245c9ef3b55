"""Solidarity prices (épicerie solidaire): an item sold at a village's till may carry a reduced
price; a member may have it while the eligibility a social partner gave them runs (until its end
date, included). The concierge records both; the till applies the reduced price to an eligible
member only (till.py). The figures count solidarity sales without naming anyone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select

from backbone.clock import PARIS, utcnow
from backbone.errors import InvalidInput
from backbone.messages import msg
from services.orders.models import (
    CatalogueItem,
    KnownMember,
    SolidarityEligibility,
    SolidarityPrice,
    StockItem,
)


def prices_of(uow, village_id: str, keys: list[str] | None = None) -> dict[str, int]:
    query = select(SolidarityPrice.item_id, SolidarityPrice.price_cents).where(
        SolidarityPrice.village_id == village_id
    )
    if keys is not None:
        query = query.where(SolidarityPrice.item_id.in_(keys))
    return dict(uow.session.execute(query).all())


def is_eligible(uow, village_id: str, member_id: str, on_day: date) -> bool:
    row = uow.session.get(SolidarityEligibility, (village_id, member_id))
    return row is not None and row.ends_on >= on_day


def set_price(uow, village_id: str, data: dict) -> dict:
    """Set (or, with no price, remove) an item's solidarity price; never above its usual price."""
    key = data["item_id"]
    item = uow.session.get(CatalogueItem, (village_id, key))
    usual = item.price_cents if item else None
    if item is None:
        own = uow.session.get(StockItem, key)
        if own is None or own.village_id != village_id or own.item_id is not None:
            raise InvalidInput({"item_id": [msg("not_sold_here", item=key)]})
        usual = own.price_cents
    row = uow.session.get(SolidarityPrice, (village_id, key))
    if data["price_cents"] is None:
        if row is not None:
            uow.session.delete(row)
    else:
        if data["price_cents"] > usual:
            raise InvalidInput({"price_cents": [msg("solidarity_above_price")]})
        if row is None:
            uow.session.add(
                SolidarityPrice(village_id=village_id, item_id=key, price_cents=data["price_cents"])
            )
        else:
            row.price_cents = data["price_cents"]
    uow.commit()
    return {"item_id": key, "price_cents": data["price_cents"]}


def record_eligibility(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    """A member's eligibility as a social partner gave it, until `ends_on`; recorded again, it
    replaces the one before."""
    now = now or utcnow()
    member = uow.session.get(KnownMember, data["member_id"])
    if member is None or member.erased_at is not None or member.village_id != village_id:
        raise InvalidInput({"member_id": [msg("unknown_member_here", member=data["member_id"])]})
    if data["ends_on"] < now.astimezone(PARIS).date():
        raise InvalidInput({"ends_on": [msg("ends_on_past")]})
    row = uow.session.get(SolidarityEligibility, (village_id, member.id))
    if row is None:
        row = SolidarityEligibility(village_id=village_id, member_id=member.id)
        uow.session.add(row)
    row.given_by, row.ends_on, row.recorded_at = data["given_by"].strip(), data["ends_on"], now
    answer = {
        "member_id": member.id,
        "given_by": row.given_by,
        "ends_on": row.ends_on.isoformat(),
    }
    uow.commit()
    return answer


def eligibilities(uow, village_id: str, today: date | None = None) -> list[dict]:
    """The village's eligible members (the concierge's list: names are the village's own)."""
    today = today or utcnow().astimezone(PARIS).date()
    rows = uow.session.execute(
        select(SolidarityEligibility, KnownMember.display_name)
        .join(KnownMember, KnownMember.id == SolidarityEligibility.member_id, isouter=True)
        .where(SolidarityEligibility.village_id == village_id)
        .order_by(SolidarityEligibility.ends_on.desc())
    ).all()
    return [
        {
            "member_id": row.member_id,
            "member_name": name,
            "given_by": row.given_by,
            "ends_on": row.ends_on.isoformat(),
            "running": row.ends_on >= today,
        }
        for row, name in rows
    ]


def member_eligibility(uow, member_id: str) -> list[dict]:
    """A member's eligibilities (RGPD export)."""
    rows = uow.session.scalars(
        select(SolidarityEligibility).where(SolidarityEligibility.member_id == member_id)
    )
    return [
        {"village_id": r.village_id, "given_by": r.given_by, "ends_on": r.ends_on.isoformat()}
        for r in rows
    ]


def scrub_member(uow, member_id: str) -> None:
    """Forget a member's eligibility (erasure). Does not commit."""
    uow.session.execute(
        delete(SolidarityEligibility).where(SolidarityEligibility.member_id == member_id)
    )
