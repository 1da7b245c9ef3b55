"""Pooled supplier orders (mutualisation, grappes): for each shared supplier, delivery day and
grappe, one purchase order gathers the lines of the grappe's villages that order from it, with the
breakdown per village; the goods go to the grappe's depot. The villages in no grappe listing that
supplier share one purchase order per supplier and day (`grappe_id` "", as before grappes).

- A line of a shared supplier joins the open purchase order of (supplier, delivery day, grappe of
  its village: grappes.py) when the order is placed; the purchase order's cut-off is the earliest
  cut-off of its items. A grappe changed later leaves the purchase orders already open as they are.
- `close_due(now)` (a timer) closes and sends every open purchase order whose cut-off has passed;
  the coordinator may send one earlier (`send_now`). Sending confirms the lines still pending,
  settles their orders, and records `purchase_order.sent` (supplier, lines, per-village breakdown;
  no member data). A purchase order left with no line (every order cancelled or refused) closes
  as `empty` and nothing is sent.
- Lines of cancelled or refused orders, and refused lines, are left out of what is sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select, update

from backbone.clock import utcnow
from backbone.errors import Conflict, NotFound
from backbone.paging import windowed
from backbone.tables import new_id
from services.orders import catalogue, grappes, ordering
from services.orders.models import CatalogueItem, Order, OrderLine, PurchaseOrder
from services.orders.schemas.supplier_orders import PurchaseOrderOutput

LEFT_OUT = ("cancelled", "refused")


def cycle_for(uow, item: CatalogueItem, delivery_date: date, now: datetime) -> PurchaseOrder | None:
    """The open purchase order of `item`'s supplier for `delivery_date` (made when it is the first
    line), its cut-off lowered to this item's if earlier; None when it is already sent.

    Orders placed at once share the purchase order: each holds a SHARE lock on its row until it
    commits, so they go on in parallel while sending it (FOR UPDATE in close_due and send_now) waits
    for them, and an order placed after the sending sees it sent. Only lowering the cut-off (the
    first line of an item with an earlier cut-off) takes the row exclusively."""
    cutoff = catalogue.cutoff_at(item, delivery_date)
    grappe_id = grappes.grappe_for(uow, item.village_id, item.partner_id)
    this_cycle = (
        PurchaseOrder.supplier_partner_id == item.partner_id,
        PurchaseOrder.delivery_date == delivery_date,
        PurchaseOrder.grappe_id == grappe_id,
    )
    shared = (
        select(PurchaseOrder)
        .where(*this_cycle)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    # the usual case, one statement: the cycle exists and its cut-off is not later than this item's
    purchase_order = uow.session.scalars(shared.where(PurchaseOrder.cutoff_at <= cutoff)).first()
    if purchase_order is None:  # the first line of the cycle, or an earlier cut-off to set
        uow.session.execute(
            uow.insert(PurchaseOrder)
            .values(
                id=new_id(),
                supplier_partner_id=item.partner_id,
                supplier_name=item.partner_name,
                delivery_date=delivery_date,
                grappe_id=grappe_id,
                cutoff_at=cutoff,
                status="open",
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        uow.session.execute(
            update(PurchaseOrder)
            .where(*this_cycle, PurchaseOrder.status == "open", PurchaseOrder.cutoff_at > cutoff)
            .values(cutoff_at=cutoff)
            .execution_options(synchronize_session=False)
        )
        purchase_order = uow.session.scalars(shared).one()
    return purchase_order if purchase_order.status == "open" else None


def _active_lines(uow, purchase_order_ids) -> list[tuple[OrderLine, Order]]:
    if not purchase_order_ids:
        return []
    return uow.session.execute(
        select(OrderLine, Order)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            OrderLine.purchase_order_id.in_(list(purchase_order_ids)),
            OrderLine.status != "refused",
            Order.status.not_in(LEFT_OUT),
        )
        .order_by(Order.village_id, OrderLine.offer_id)
    ).all()


def _totals(lines) -> list[dict]:
    """Quantities per offer of the supplier (each village's catalogue item names the same offer)."""
    quantities, names = defaultdict(int), {}
    for line in lines:
        quantities[line.offer_id] += line.quantity
        names[line.offer_id] = (line.name, line.unit)
    return [
        {
            "offer_id": offer_id,
            "name": names[offer_id][0],
            "unit": names[offer_id][1],
            "quantity": quantity,
        }
        for offer_id, quantity in sorted(
            quantities.items(), key=lambda pair: (names[pair[0]][0], pair[0])
        )
    ]


def _breakdown(rows, village_ids=None) -> dict:
    """Lines of one purchase order, all villages together and per village (only `village_ids`'
    rows when given: a concierge sees their own village's part)."""
    per_village, orders = defaultdict(list), defaultdict(set)
    for line, order in rows:
        per_village[order.village_id].append(line)
        orders[order.village_id].add(order.id)
    shown = sorted(v for v in per_village if village_ids is None or v in village_ids)
    lines = [
        line for line, _order in rows if village_ids is None or _order.village_id in village_ids
    ]
    return {
        "village_ids": sorted(per_village) if village_ids is None else shown,
        "lines": _totals(lines),
        "villages": [
            {"village_id": v, "orders": len(orders[v]), "lines": _totals(per_village[v])}
            for v in shown
        ],
        "items_count": sum(line.quantity for line in lines),
    }


def _dump(purchase_order: PurchaseOrder, rows, village_ids=None, names=None) -> dict:
    grappe_id = purchase_order.grappe_id or None
    return PurchaseOrderOutput().dump(
        {
            "id": purchase_order.id,
            "supplier_partner_id": purchase_order.supplier_partner_id,
            "supplier_name": purchase_order.supplier_name,
            "delivery_date": purchase_order.delivery_date,
            "grappe_id": grappe_id,
            "grappe_name": (names or {}).get(grappe_id) if grappe_id else None,
            "cutoff_at": purchase_order.cutoff_at,
            "status": purchase_order.status,
            "sent_at": purchase_order.sent_at,
            **_breakdown(rows, village_ids),
        }
    )


def list_purchase_orders(
    uow,
    *,
    village_ids=None,
    supplier_partner_id=None,
    status=None,
    window: dict | None = None,
    grappe_id: str | None = None,
) -> list[dict]:
    """Newest delivery day first. With `village_ids` (a concierge), only purchase orders their
    village takes part in, and only its part of the breakdown; with `grappe_id`, only that
    grappe's."""
    query = select(PurchaseOrder)
    if grappe_id is not None:
        query = query.where(PurchaseOrder.grappe_id == grappe_id)
    if supplier_partner_id is not None:
        query = query.where(PurchaseOrder.supplier_partner_id == supplier_partner_id)
    if status:
        query = query.where(PurchaseOrder.status == status)
    if (
        village_ids is not None
    ):  # in SQL what the loop below checks, so that a page is cut in the query
        query = query.where(
            PurchaseOrder.id.in_(
                select(OrderLine.purchase_order_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    OrderLine.status != "refused",
                    Order.status.not_in(LEFT_OUT),
                    Order.village_id.in_(list(village_ids)),
                )
            )
        )
    purchase_orders = uow.session.scalars(
        windowed(
            query.order_by(PurchaseOrder.delivery_date.desc(), PurchaseOrder.supplier_name),
            window,
            PurchaseOrder.id,
        )
    ).all()
    rows_by = defaultdict(list)
    for line, order in _active_lines(uow, [p.id for p in purchase_orders]):
        rows_by[line.purchase_order_id].append((line, order))
    result, names = [], grappes.grappe_names(uow)
    for purchase_order in purchase_orders:
        rows = rows_by[purchase_order.id]
        if village_ids is not None and not any(
            order.village_id in village_ids for _line, order in rows
        ):
            continue
        result.append(_dump(purchase_order, rows, village_ids, names))
    return result


def get_purchase_order(
    uow, purchase_order_id, *, village_ids=None, supplier_partner_id=None
) -> dict:
    purchase_order = uow.session.get(PurchaseOrder, str(purchase_order_id))
    if purchase_order is None or supplier_partner_id not in (
        None,
        purchase_order.supplier_partner_id,
    ):
        raise NotFound("purchase_order", str(purchase_order_id))
    rows = _active_lines(uow, [purchase_order.id])
    if village_ids is not None and not any(
        order.village_id in village_ids for _line, order in rows
    ):
        raise NotFound("purchase_order", str(purchase_order_id))
    return _dump(purchase_order, rows, village_ids, grappes.grappe_names(uow))


def _send(uow, purchase_order: PurchaseOrder, now: datetime) -> bool:
    rows = _active_lines(uow, [purchase_order.id])
    purchase_order.sent_at = now
    if not rows:
        purchase_order.status = "empty"
        return False
    purchase_order.status = "sent"
    for line, _order in rows:
        if line.status == "pending":
            line.status = "confirmed"
    for order in {order.id: order for _line, order in rows}.values():
        ordering.settle(uow, order, now)
    breakdown = _breakdown(rows)
    uow.record_event(
        "purchase_order.sent",
        {
            "purchase_order_id": purchase_order.id,
            "supplier_partner_id": purchase_order.supplier_partner_id,
            "supplier_name": purchase_order.supplier_name,
            "delivery_date": purchase_order.delivery_date,
            "grappe_id": purchase_order.grappe_id or None,
            "cutoff_at": purchase_order.cutoff_at,
            "sent_at": now,
            "village_ids": breakdown["village_ids"],
            "lines": breakdown["lines"],
            "villages": [
                {"village_id": v["village_id"], "lines": v["lines"]} for v in breakdown["villages"]
            ],
        },
        village_id=None,
    )
    return True


def close_due(uow, now: datetime | None = None) -> list[str]:
    """Close and send every open purchase order whose cut-off has passed (the timer's work); one
    transaction. Returns the ids of those sent."""
    now = now or utcnow()
    due = uow.session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status == "open", PurchaseOrder.cutoff_at <= now)
        .order_by(PurchaseOrder.cutoff_at)
        .with_for_update()
    ).all()
    sent = [p.id for p in due if _send(uow, p, now)]
    uow.commit()
    return sent


def send_now(uow, purchase_order_id, now: datetime | None = None) -> dict:
    """The coordinator sends a purchase order before its cut-off (every village has ordered)."""
    now = now or utcnow()
    purchase_order = uow.session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.id == str(purchase_order_id)).with_for_update()
    ).first()
    if purchase_order is None:
        raise NotFound("purchase_order", str(purchase_order_id))
    if purchase_order.status != "open":
        raise Conflict("purchase_order_closed", details={"status": purchase_order.status})
    if not _active_lines(uow, [purchase_order.id]):
        raise Conflict("purchase_order_empty")
    _send(uow, purchase_order, now)
    uow.commit()
    return get_purchase_order(uow, purchase_order.id)


def for_pickup(uow, on_date: date) -> list[dict]:
    purchase_orders = uow.session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status == "sent", PurchaseOrder.delivery_date == on_date)
        .order_by(PurchaseOrder.supplier_name)
    ).all()
    counts, shares = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for line, order in _active_lines(uow, [p.id for p in purchase_orders]):
        counts[line.purchase_order_id] += line.quantity
        shares[line.purchase_order_id][order.village_id] += line.quantity
    return [
        {
            "purchase_order_id": p.id,
            "supplier_partner_id": p.supplier_partner_id,
            "supplier_name": p.supplier_name,
            "delivery_date": p.delivery_date,
            "items_count": counts[p.id],
            "grappe_id": p.grappe_id or None,
            # each village's share, dropped at its hub (round_building.py)
            "villages": dict(sorted(shares[p.id].items())),
        }
        for p in purchase_orders
    ]


def grappe_figures(uow, date_from: date, date_to: date) -> dict[str, dict[str, int]]:
    """Per grappe, of the purchase orders delivered in [date_from, date_to]: how many are open and
    sent, the villages that took part and the items sent (lines of orders left out aside)."""
    figures: dict[str, dict] = {}
    for purchase_order in uow.session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.grappe_id != "",
            PurchaseOrder.delivery_date >= date_from,
            PurchaseOrder.delivery_date <= date_to,
        )
    ):
        row = figures.setdefault(
            purchase_order.grappe_id,
            {"open": 0, "sent": 0, "empty": 0, "items_sent": 0, "villages": set(), "ids": {}},
        )
        row[purchase_order.status] += 1
        row["ids"][purchase_order.id] = purchase_order.status
    where = {po_id: g for g, row in figures.items() for po_id in row["ids"]}
    for line, order in _active_lines(uow, list(where)):
        row = figures[where[line.purchase_order_id]]
        row["villages"].add(order.village_id)
        if row["ids"][line.purchase_order_id] == "sent":
            row["items_sent"] += line.quantity
    return {
        grappe_id: {
            "open": row["open"],
            "sent": row["sent"],
            "empty": row["empty"],
            "items_sent": row["items_sent"],
            "villages_ordering": len(row["villages"]),
        }
        for grappe_id, row in figures.items()
    }
