"""The catalogue read model: each village's catalogue as the last `catalogue.changed` described it
(a whole snapshot each time; the newest by `occurred_at` wins and replaces the village's items), and
the order cycle rules an order line is checked against, without calling the partners service.

Order cycle: an item is delivered on its weekdays (`days`); an order for delivery day D must be
placed before `cutoff_time` (Europe/Paris) on D − `lead_time_days`. Times are compared in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from backbone.clock import PARIS, utcnow
from backbone.contracts.events.partners import WEEKDAYS
from backbone.messages import msg
from services.orders.models import CatalogueItem, CatalogueVersion
from services.orders.schemas.catalogue import CatalogueItemOutput

ITEM_FIELDS = (
    "offer_id",
    "partner_id",
    "partner_name",
    "shared_supplier",
    "name",
    "kind",
    "unit",
    "price_cents",
    "vat_rate",
    "lead_time_days",
    "cutoff_time",
    "days",
    "perishable",
    "available",
)
LOOKAHEAD_DAYS = 70  # lead times are at most 60 days


def record_catalogue_changed(uow, event: dict) -> bool:
    """Order-proof: an older snapshot arriving after a newer one is ignored. Returns True when this
    snapshot became the village's catalogue."""
    payload = event["payload"]
    village_id = payload["village_id"]
    uow.keep_latest(
        CatalogueVersion,
        {
            "village_id": village_id,
            "event_id": event["event_id"],
            "changed_at": event["occurred_at"],
        },
        key="village_id",
    )
    current = uow.session.execute(
        select(CatalogueVersion.event_id).where(CatalogueVersion.village_id == village_id)
    ).scalar_one()
    won = current == event["event_id"]
    if won:
        uow.session.execute(delete(CatalogueItem).where(CatalogueItem.village_id == village_id))
        for item in payload["items"]:
            uow.session.add(
                CatalogueItem(
                    village_id=village_id,
                    item_id=item["item_id"],
                    **{name: item[name] for name in ITEM_FIELDS},
                )
            )
    uow.commit()
    return won


# --- the order cycle ------------------------------------------------------------------------------


def cutoff_at(item: CatalogueItem, delivery_date: date) -> datetime:
    """Until when (UTC) an order for `delivery_date` may be placed."""
    hours, minutes = (int(part) for part in item.cutoff_time.split(":"))
    local = datetime.combine(
        delivery_date - timedelta(days=item.lead_time_days), time(hours, minutes), PARIS
    )
    return local.astimezone(UTC)


def delivered_on(item: CatalogueItem, delivery_date: date) -> bool:
    return WEEKDAYS[delivery_date.weekday()] in item.days


def problem(item: CatalogueItem, delivery_date: date, now: datetime) -> str | None:
    """Why `item` cannot be ordered for `delivery_date` at `now` (a field message), or None."""
    if not item.available:
        return msg("out_of_stock", item=item.name)
    if not delivered_on(item, delivery_date):
        return msg("not_delivered_that_day", item=item.name, days=list(item.days))
    if now >= cutoff_at(item, delivery_date):
        closed = cutoff_at(item, delivery_date).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
        return msg("too_late_for_day", item=item.name, closed=closed)
    return None


def next_delivery(item: CatalogueItem, now: datetime) -> tuple[date | None, datetime | None]:
    """The first delivery day an order placed at `now` can still make, and its cut-off."""
    if not item.available or not item.days:
        return None, None
    today = now.astimezone(PARIS).date()
    for offset in range(LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        if delivered_on(item, day) and now < cutoff_at(item, day):
            return day, cutoff_at(item, day)
    return None, None


# --- reading --------------------------------------------------------------------------------------


def village_catalogue(
    uow, village_id: str, *, available_only: bool = False, now: datetime | None = None
) -> list[dict]:
    now = now or utcnow()
    query = select(CatalogueItem).where(CatalogueItem.village_id == village_id)
    if available_only:
        query = query.where(CatalogueItem.available.is_(True))
    rows = uow.session.scalars(query.order_by(CatalogueItem.partner_name, CatalogueItem.name)).all()
    dumped, out = [], CatalogueItemOutput()
    for row in rows:
        day, cutoff = next_delivery(row, now)
        dumped.append(
            out.dump(
                {
                    "item_id": row.item_id,
                    "village_id": row.village_id,
                    **{name: getattr(row, name) for name in ITEM_FIELDS},
                    "next_delivery_date": day,
                    "next_cutoff_at": cutoff,
                }
            )
        )
    return dumped
