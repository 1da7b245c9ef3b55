"""The hub's shelf: goods received (from a pooled supplier order or a direct delivery), sold at the
till (till.py decrements it), handed over, lost or spoilt (a reason given), counted (an inventory
sets the quantity and records the gap). What is on the shelf never goes below zero: a movement
that would is refused, naming the quantity. Every change is a `StockMovement` row.

A stock item is either a catalogue item of the village (`item_id`: its name and price are the
catalogue's, the till sells it at the catalogue's price) or the hub's own goods (named and priced
here). Lists: what runs low (quantity at or under `low_at`) and what reaches its use-by date.

Goods of a pooled supplier order (supplier_orders.py) are received in one go: the village's share
of a sent purchase order is offered line by line (quantities prefilled, editable), each line goes
onto its catalogue item's shelf (tracked from then on if it was not), and each movement says which
purchase order it came from; a purchase order is received once per village."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.tables import new_id
from services.orders.models import (
    CatalogueItem,
    Order,
    OrderLine,
    PurchaseOrder,
    StockItem,
    StockMovement,
)
from services.orders.schemas.till import MOVEMENT_LABELS

USE_BY_WITHIN = timedelta(days=3)  # the use-by list: what expires within three days, or has


def _dump(item: StockItem, today: date | None = None) -> dict:
    today = today or utcnow().astimezone(PARIS).date()
    return {
        "id": item.id,
        "village_id": item.village_id,
        "item_id": item.item_id,
        "name": item.name,
        "partner_id": item.partner_id,
        "partner_name": item.partner_name,
        "price_cents": item.price_cents,
        "vat_rate": item.vat_rate,
        "quantity": item.quantity,
        "low_at": item.low_at,
        "low": item.quantity <= item.low_at,
        "use_by": item.use_by.isoformat() if item.use_by else None,
        "expiring": item.use_by is not None and item.use_by <= today + USE_BY_WITHIN,
    }


def shelves_for(uow, village_id: str, keys: list[str]) -> dict[str, StockItem]:
    """{key: shelf row, locked}: the rows of the village selling `keys` (a catalogue item's id or a
    stock item's own id)."""
    if not keys:
        return {}
    rows = uow.session.scalars(
        select(StockItem)
        .where(
            StockItem.village_id == village_id,
            or_(StockItem.item_id.in_(keys), StockItem.id.in_(keys)),
        )
        .with_for_update()
    ).all()
    found = {}
    for row in rows:
        if row.item_id in keys:
            found[row.item_id] = row
        if row.id in keys and row.item_id is None:
            found[row.id] = row
    return found


def move(
    uow,
    item: StockItem,
    kind: str,
    change: int,
    now: datetime,
    *,
    reason: str | None = None,
    sale_id: str | None = None,
    purchase_order_id: str | None = None,
) -> StockMovement:
    """Change the shelf by `change` units and keep the movement; does not commit. The caller has
    checked that the quantity stays at zero or more."""
    item.quantity += change
    movement = StockMovement(
        id=new_id(),
        village_id=item.village_id,
        stock_item_id=item.id,
        kind=kind,
        change=change,
        quantity_after=item.quantity,
        reason=reason,
        sale_id=sale_id,
        purchase_order_id=purchase_order_id,
        at=now,
    )
    uow.session.add(movement)
    return movement


def add_item(uow, village_id: str, data: dict) -> dict:
    """Put an item on the shelf's list (quantity 0 until goods are received)."""
    if data["item_id"]:
        catalogue_item = uow.session.get(CatalogueItem, (village_id, data["item_id"]))
        if catalogue_item is None:
            raise InvalidInput({"item_id": [msg("not_in_catalogue", item=data["item_id"])]})
        exists = uow.session.scalar(
            select(StockItem.id).where(
                StockItem.village_id == village_id, StockItem.item_id == data["item_id"]
            )
        )
        if exists:
            raise InvalidInput({"item_id": [msg("stock_already_tracked")]})
        item = _tracked(village_id, catalogue_item, data["low_at"])
    else:
        item = StockItem(
            id=new_id(),
            village_id=village_id,
            item_id=None,
            name=data["name"].strip(),
            price_cents=data["price_cents"],
            vat_rate=data["vat_rate"],
            quantity=0,
            low_at=data["low_at"],
        )
    uow.session.add(item)
    answer = _dump(item)
    uow.commit()
    return answer


def _tracked(village_id: str, catalogue_item: CatalogueItem, low_at: int = 0) -> StockItem:
    return StockItem(
        id=new_id(),
        village_id=village_id,
        item_id=catalogue_item.item_id,
        name=catalogue_item.name,
        partner_id=catalogue_item.partner_id,
        partner_name=catalogue_item.partner_name,
        price_cents=catalogue_item.price_cents,
        vat_rate=catalogue_item.vat_rate,
        quantity=0,
        low_at=low_at,
    )


def _find(uow, village_id: str, stock_item_id: str, *, lock: bool = False) -> StockItem:
    query = select(StockItem).where(StockItem.id == str(stock_item_id))
    if lock:
        query = query.with_for_update()
    item = uow.session.scalars(query).first()
    if item is None or item.village_id != village_id:
        raise NotFound("stock_item", str(stock_item_id))
    return item


def record_movement(
    uow, village_id: str, stock_item_id: str, data: dict, now: datetime | None = None
) -> dict:
    """Received (adds, may set the use-by date), handed over, lost, spoilt (take away; a reason for
    the last two), counted (sets the quantity; the gap is the movement). Refused when the shelf
    would go below zero."""
    now = now or utcnow()
    item = _find(uow, village_id, stock_item_id, lock=True)
    kind, quantity = data["kind"], data["quantity"]
    if kind == "received":
        change = quantity
        if data["use_by"] is not None:
            item.use_by = data["use_by"]
    elif kind == "counted":
        change = quantity - item.quantity
    else:
        if quantity > item.quantity:
            raise InvalidInput({"quantity": [msg("stock_would_go_negative", left=item.quantity)]})
        change = -quantity
    move(uow, item, kind, change, now, reason=(data["reason"] or "").strip() or None)
    answer = _dump(item)
    uow.commit()
    return answer


def list_stock(uow, village_id: str, today: date | None = None) -> dict:
    """The shelf: every item, and the two lists the concierge acts on (low, use-by soon)."""
    today = today or utcnow().astimezone(PARIS).date()
    items = [
        _dump(item, today)
        for item in uow.session.scalars(
            select(StockItem).where(StockItem.village_id == village_id).order_by(StockItem.name)
        )
    ]
    return {
        "village_id": village_id,
        "items": items,
        "low": [i for i in items if i["low"]],
        "expiring": sorted((i for i in items if i["expiring"]), key=lambda i: i["use_by"]),
    }


def movements(uow, village_id: str, stock_item_id: str, limit: int = 50) -> dict:
    item = _find(uow, village_id, stock_item_id)
    rows = uow.session.scalars(
        select(StockMovement)
        .where(StockMovement.stock_item_id == item.id)
        .order_by(StockMovement.at.desc(), StockMovement.id)
        .limit(limit)
    )
    return {
        "item": _dump(item),
        "movements": [
            {
                "kind": m.kind,
                "kind_label": MOVEMENT_LABELS[m.kind],
                "change": m.change,
                "quantity_after": m.quantity_after,
                "reason": m.reason,
                "purchase_order_id": m.purchase_order_id,
                "at": m.at.isoformat(),
            }
            for m in rows
        ],
    }


# --- goods of a pooled supplier order -------------------------------------------------------------


def _village_share(uow, village_id: str, purchase_order_id: str) -> list[dict]:
    """The village's lines of a purchase order (its orders not cancelled nor refused, its lines not
    refused), one per catalogue item: what reached the hub for this village."""
    rows = uow.session.execute(
        select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.purchase_order_id == purchase_order_id,
            OrderLine.status != "refused",
            Order.status.not_in(("cancelled", "refused")),
            Order.village_id == village_id,
        )
        .order_by(OrderLine.name, OrderLine.item_id)
    ).scalars()
    quantities, names = defaultdict(int), {}
    for line in rows:
        quantities[line.item_id] += line.quantity
        names[line.item_id] = (line.name, line.unit)
    return [
        {"item_id": key, "name": names[key][0], "unit": names[key][1], "quantity": quantity}
        for key, quantity in quantities.items()
    ]


def _received_from(uow, village_id: str, purchase_order_id: str) -> datetime | None:
    return uow.session.scalar(
        select(StockMovement.at)
        .where(
            StockMovement.village_id == village_id,
            StockMovement.purchase_order_id == purchase_order_id,
        )
        .limit(1)
    )


def _purchase_order_here(uow, village_id: str, purchase_order_id: str, *, lock: bool = False):
    """The purchase order and the village's share of it; not found when the village has none.
    `lock`: a second receipt at once waits for the first, then finds it made."""
    query = select(PurchaseOrder).where(PurchaseOrder.id == str(purchase_order_id))
    if lock:
        query = query.with_for_update()
    purchase_order = uow.session.scalars(query).first()
    share = _village_share(uow, village_id, purchase_order.id) if purchase_order else []
    if purchase_order is None or not share:
        raise NotFound("purchase_order", str(purchase_order_id))
    return purchase_order, share


def supplier_receipt(uow, village_id: str, purchase_order_id: str) -> dict:
    """What a purchase order brings the village, to receive onto the shelf: its share per item
    (the quantities to prefill), whether the shelf tracks each item, and when it was received."""
    purchase_order, share = _purchase_order_here(uow, village_id, purchase_order_id)
    shelves = shelves_for(uow, village_id, [line["item_id"] for line in share])
    received = _received_from(uow, village_id, purchase_order.id)
    return {
        "purchase_order_id": purchase_order.id,
        "supplier_name": purchase_order.supplier_name,
        "delivery_date": purchase_order.delivery_date.isoformat(),
        "status": purchase_order.status,
        "received_at": received.isoformat() if received else None,
        "lines": [
            {
                **line,
                "stock_item_id": shelf.id if shelf else None,
                "on_shelf": shelf.quantity if shelf else 0,
            }
            for line, shelf in ((line, shelves.get(line["item_id"])) for line in share)
        ],
    }


def receivable_orders(uow, village_id: str) -> list[dict]:
    """The sent purchase orders this village has a share of and has not received onto the shelf
    yet, latest delivery day first."""
    ids = uow.session.scalars(
        select(PurchaseOrder.id)
        .where(
            PurchaseOrder.status == "sent",
            PurchaseOrder.id.in_(
                select(OrderLine.purchase_order_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    Order.village_id == village_id,
                    OrderLine.status != "refused",
                    Order.status.not_in(("cancelled", "refused")),
                )
            ),
            PurchaseOrder.id.not_in(
                select(StockMovement.purchase_order_id).where(
                    StockMovement.village_id == village_id,
                    StockMovement.purchase_order_id.is_not(None),
                )
            ),
        )
        .order_by(PurchaseOrder.delivery_date.desc(), PurchaseOrder.supplier_name)
        .limit(20)
    ).all()
    return [supplier_receipt(uow, village_id, purchase_order_id) for purchase_order_id in ids]


def receive_supplier_order(
    uow, village_id: str, purchase_order_id: str, data: dict, now: datetime | None = None
) -> dict:
    """The goods of a sent purchase order onto the shelf in one go: each line's quantity as the
    concierge confirmed it (0: not put on the shelf), a `received` movement naming the purchase
    order; an item not tracked yet gets its shelf row. Refused: an item not in the village's share,
    a purchase order not sent yet, one already received here (a second click), nothing to put."""
    now = now or utcnow()
    purchase_order, share = _purchase_order_here(uow, village_id, purchase_order_id, lock=True)
    if purchase_order.status != "sent":
        raise Conflict("purchase_order_not_sent", field="purchase_order_id")
    if _received_from(uow, village_id, purchase_order.id) is not None:
        raise Conflict("stock_already_received", field="purchase_order_id")
    in_share = {line["item_id"] for line in share}
    errors = {
        index: {"item_id": [msg("not_in_purchase_order", item=line["item_id"])]}
        for index, line in enumerate(data["lines"])
        if line["item_id"] not in in_share
    }
    if errors:
        raise InvalidInput({"lines": errors})
    wanted = [line for line in data["lines"] if line["quantity"] > 0]
    if not wanted:
        raise InvalidInput({"lines": [msg("stock_nothing_received")]})
    shelves = shelves_for(uow, village_id, [line["item_id"] for line in wanted])
    for line in wanted:
        shelf = shelves.get(line["item_id"])
        if shelf is None:
            catalogue_item = uow.session.get(CatalogueItem, (village_id, line["item_id"]))
            if catalogue_item is None:  # left the catalogue since it was ordered
                index = data["lines"].index(line)
                problem = {"item_id": [msg("not_in_catalogue", item=line["item_id"])]}
                raise InvalidInput({"lines": {index: problem}})
            shelf = _tracked(village_id, catalogue_item)
            uow.session.add(shelf)
            uow.session.flush()
        if data["use_by"] is not None:
            shelf.use_by = data["use_by"]
        move(uow, shelf, "received", line["quantity"], now, purchase_order_id=purchase_order.id)
    uow.session.flush()
    answer = supplier_receipt(uow, village_id, purchase_order.id)
    uow.commit()
    return answer
