"""Orders at the counter (guichet unique): placed by the concierge for a known member of the
village, checked against the village's catalogue read model (never by calling partners), priced
with a snapshot of the local price, then moved along its guarded state machine (`Order.LIFECYCLE`,
`Order.move_to`: which status may follow which, and the event each move records).

Lines and confirmation:
- a line of a local partner (not a shared supplier) is confirmed at placement: the hub sells it from
  its own shelf or the producer's regular drop;
- a line of a shared supplier is `pending` and joins the pooled purchase order of that supplier and
  delivery day (supplier_orders.py). The supplier may confirm or refuse it through the partner API
  until the cut-off; when the purchase order is sent at the cut-off, lines still pending are
  confirmed (sending is the commitment);
- an order is confirmed once every line not refused is confirmed; a refused line drops out of the
  total; an order whose every line is refused is refused, with the reasons.
Every transition records its event (order.placed, order.confirmed, …) in the same transaction.

Home delivery (on a round) is for members who cannot come: tagged fragile, reduced_mobility or
no_car (HOME_DELIVERY_TAGS, from `member.registered` and `member.updated`: a member tagged after
registering may have it); at the address typed, else the member's own (`member.updated`).

Idempotency: `idempotency_key` is unique per village; the same key sent again (a double click at the
counter, a retry) answers the order already made, and two at once cannot
make two (unique constraint).

Visibility: `village_ids` is what the caller may see (None: every village); an order elsewhere is
"not found". A partner sees only orders with lines of its own, and only those lines.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from backbone import offline_actions
from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.formats import money
from backbone.messages import msg
from backbone.paging import windowed
from backbone.state_machine import record_events
from backbone.tables import new_id
from services.orders import catalogue, truck_stops
from services.orders.idempotency import made_once
from services.orders.models import CatalogueItem, KnownMember, OfflineAction, Order, OrderLine
from services.orders.schemas.orders import (
    FULFILMENT_LABELS,
    LINE_STATUS_LABELS,
    STATUS_LABELS,
    OrderOutput,
    PartnerOrderOutput,
)

HOME_DELIVERY_TAGS = ("fragile", "reduced_mobility", "no_car")


def today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


# --- reading -------------------------------------------------------------------------------------


def _names(uow, member_ids) -> dict[str, str | None]:
    ids = list({m for m in member_ids if m})
    if not ids:
        return {}
    return {
        m.id: m.display_name
        for m in uow.session.scalars(select(KnownMember).where(KnownMember.id.in_(ids)))
    }


def _line(line: OrderLine) -> dict:
    return {
        "id": line.id,
        "item_id": line.item_id,
        "partner_id": line.partner_id,
        "partner_name": line.partner_name,
        "name": line.name,
        "unit": line.unit,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
        "vat_rate": line.vat_rate,
        "total_cents": line.total_cents,
        "status": line.status,
        "status_label": LINE_STATUS_LABELS[line.status],
        "reason": line.reason,
        "purchase_order_id": line.purchase_order_id,
    }


_ORDER_OUT = OrderOutput()  # one instance: building a schema costs more than dumping with it


def _dump(order: Order, names: dict) -> dict:
    return _ORDER_OUT.dump(
        {
            "id": order.id,
            "village_id": order.village_id,
            "member_id": order.member_id,
            "member_name": names.get(order.member_id),
            "status": order.status,
            "status_label": STATUS_LABELS[order.status],
            "fulfilment": order.fulfilment,
            "fulfilment_label": FULFILMENT_LABELS[order.fulfilment],
            "delivery_date": order.delivery_date,
            "delivery_address": order.delivery_address,
            "truck_stop": order.truck_stop,
            "truck_stop_id": order.truck_stop_id,
            "locker_code": order.locker_code,
            "locker_compartment": order.locker_compartment,
            "note": order.note,
            "total_cents": order.total_cents,
            "reason": order.reason,
            "placed_at": order.placed_at,
            "confirmed_at": order.confirmed_at,
            "ready_at": order.ready_at,
            "closed_at": order.closed_at,
            "lines": [_line(line) for line in order.lines],
        }
    )


def dump_orders(uow, orders) -> list[dict]:
    names = _names(uow, [o.member_id for o in orders])
    return [_dump(o, names) for o in orders]


def _find(uow, order_id, village_ids, *, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == str(order_id))
    if lock:
        query = query.with_for_update()
    order = uow.session.scalars(query).first()
    if order is None or (village_ids is not None and order.village_id not in village_ids):
        raise NotFound("order", str(order_id))
    return order


def get_order(uow, order_id, village_ids) -> dict:
    return dump_orders(uow, [_find(uow, order_id, village_ids)])[0]


def _commit_and_answer(uow, order: Order) -> dict:
    """Commit a change of the order and answer it as it now is, dumped before the commit: read
    after it, its lines and names would open a transaction of their own (a connection taken again
    from the pool, and a rollback)."""
    answer = dump_orders(uow, [order])[0]
    uow.commit()
    return answer


def list_orders(
    uow, village_id: str, filters: dict | None = None, window: dict | None = None
) -> list[dict]:
    query = select(Order).where(Order.village_id == village_id)
    if filters["status"]:
        query = query.where(Order.status == filters["status"])
    if filters["delivery_date"]:
        query = query.where(Order.delivery_date == filters["delivery_date"])
    if filters.get("member_id"):
        query = query.where(Order.member_id == filters["member_id"])
    query = windowed(query.order_by(Order.delivery_date, Order.placed_at), window, Order.id)
    return dump_orders(uow, uow.session.scalars(query).all())


def _total(order: Order) -> int:
    return sum(line.total_cents for line in order.lines if line.status != "refused")


def settle(uow, order: Order, now: datetime) -> None:
    """A placed order whose lines have all been answered becomes confirmed (or refused when none is
    left). Called after any line changes."""
    order.total_cents = _total(order)
    if order.status != "placed":
        return
    active = [line for line in order.lines if line.status != "refused"]
    if not active:
        reasons = sorted({line.reason or "refused" for line in order.lines})
        record_events(uow, order.move_to("refused", now, reason="; ".join(reasons)[:300]))
    elif all(line.status == "confirmed" for line in active):
        record_events(uow, order.move_to("confirmed", now))


# --- placing -------------------------------------------------------------------------------------


def _member_and_items(
    uow, village_id: str, member_id: str, item_ids
) -> tuple[KnownMember, dict[str, CatalogueItem]]:
    """The member an order is for (refused, naming `member_id`, unless a member of this village)
    and the village's catalogue items its lines name: one statement, one row per item found (a row
    without an item when none is), a round trip to the database fewer per order (issue #30)."""
    rows = uow.session.execute(
        select(KnownMember, CatalogueItem)
        .outerjoin(
            CatalogueItem,
            and_(CatalogueItem.village_id == village_id, CatalogueItem.item_id.in_(set(item_ids))),
        )
        .where(KnownMember.id == member_id)
    ).all()
    member = rows[0][0] if rows else None
    if member is None or member.erased_at is not None or member.village_id != village_id:
        raise InvalidInput({"member_id": [msg("unknown_member_here", member=member_id)]})
    return member, {item.item_id: item for _member, item in rows if item is not None}


def _create(
    uow,
    village_id: str,
    member: KnownMember,
    data: dict,
    items: dict,
    now: datetime,
    received: datetime,
) -> dict:
    """Write the order, its lines and events, and commit (a unique key clash raises IntegrityError);
    returns the order as answered.

    The shared suppliers' purchase orders are taken first; the order and its lines (ids given here)
    are then made and settled in memory, so that each row is written once, with its final status
    (`_insert`)."""
    from services.orders import (
        supplier_orders,
    )  # supplier_orders settles orders: imported here, not above

    errors, cycles = {}, {}
    for index, wanted in enumerate(data["lines"]):
        item = items[wanted["item_id"]]
        if item.shared_supplier:
            purchase_order = supplier_orders.cycle_for(uow, item, data["delivery_date"], now)
            if purchase_order is None:
                errors[index] = {"item_id": [msg("supplier_order_sent", item=item.name)]}
            else:
                cycles[index] = purchase_order.id
    if errors:
        raise InvalidInput({"lines": errors})
    order = Order(
        id=new_id(),
        village_id=village_id,
        member_id=data["member_id"],
        idempotency_key=data["idempotency_key"],
        status="placed",
        fulfilment=data["fulfilment"],
        delivery_date=data["delivery_date"],
        delivery_address=data["delivery_address"]
        if data["fulfilment"] == "home_delivery"
        else None,
        truck_stop=data["truck_stop"] if data["fulfilment"] == "truck_stop" else None,
        truck_stop_id=data.get("truck_stop_id") if data["fulfilment"] == "truck_stop" else None,
        locker_code=f"{secrets.randbelow(10**6):06d}" if data["fulfilment"] == "locker" else None,
        note=data["note"],
        placed_at=now,
    )
    for index, wanted in enumerate(data["lines"]):
        item = items[wanted["item_id"]]
        order.lines.append(
            OrderLine(
                id=new_id(),
                order_id=order.id,
                position=index,
                item_id=item.item_id,
                offer_id=item.offer_id,
                partner_id=item.partner_id,
                partner_name=item.partner_name,
                name=item.name,
                unit=item.unit,
                quantity=wanted["quantity"],
                unit_price_cents=item.price_cents,
                vat_rate=item.vat_rate,
                status="pending" if item.shared_supplier else "confirmed",
                purchase_order_id=cycles.get(index),
            )
        )
    order.total_cents = _total(order)
    expected = data.get("expected_total_cents")
    if expected is not None and expected != order.total_cents:
        raise InvalidInput(
            {
                "expected_total_cents": [
                    msg("price_changed", expected=money(expected), total=money(order.total_cents))
                ]
            }
        )
    if data.get("occurred_at") is not None:  # its key is on its own row
        offline_actions.record(
            uow,
            OfflineAction,
            village_id,
            "order.placed",
            data["idempotency_key"],
            order.id,
            data.get("occurred_at"),
            received,
        )
    envelope = order.event_payload(now)
    envelope["lines"] = [
        {
            "line_id": line.id,
            "item_id": line.item_id,
            "partner_id": line.partner_id,
            "name": line.name,
            "unit": line.unit,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
            "status": line.status,
        }
        for line in order.lines
    ]
    uow.record_event("order.placed", envelope, village_id=village_id)
    settle(uow, order, now)
    answer = _dump(order, {member.id: member.display_name})
    _insert(uow, order)
    uow.commit()
    return answer


def _row(record) -> dict:
    """A new order's or line's columns as an INSERT takes them."""
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}


def _insert(uow, order: Order) -> None:
    """The new order and its lines written as two INSERTs, without the ORM's unit of work (issue
    #30: about 0.4 of the ~4.6 CPU ms an order costs the service layer): they are complete and not
    read again in this transaction. What the session holds already (a pooled purchase order a line
    joins) is flushed first; the outbox rows are written by the commit."""
    uow.session.flush()
    connection = uow.session.connection()
    connection.execute(Order.__table__.insert(), [_row(order)])
    connection.execute(OrderLine.__table__.insert(), [_row(line) for line in order.lines])


def place_order(uow, village_id: str, data, now: datetime | None = None) -> dict:
    """Check every line against the village's catalogue and cycle, price it, attach shared
    suppliers' lines to their pooled purchase order, record order.placed (and order.confirmed when
    nothing awaits a supplier). The same idempotency key again answers the same order.

    The key is looked up only when the order cannot be made (`idempotency.made_once`)."""
    now = now or utcnow()
    return made_once(
        uow,
        Order,
        village_id,
        data["idempotency_key"],
        lambda: _check_and_create(uow, village_id, data, now),
        lambda order_id: get_order(uow, order_id, [village_id]),
    )


def _backdated(uow, data: dict, now: datetime) -> datetime:
    """When the action counts (`offline_actions.when`); a day already rolled up is reopened for
    it (`figures.reopen_day`)."""
    from services.orders import figures  # figures reads orders: imported here, not above

    at = offline_actions.when(data.get("occurred_at"), now)
    if at < now:
        figures.reopen_day(uow, at)
    return at


def _home_address(member: KnownMember, typed: str | None) -> str:
    """Where a home delivery goes: the address typed, else the member's own; refused (naming
    each field at fault) for a member who can come or when no address is known."""
    errors = {}
    if not member.tag_set() & set(HOME_DELIVERY_TAGS):
        errors["fulfilment"] = [msg("home_delivery_not_for_member")]
    address = (typed or "").strip() or member.address
    if not address:
        errors["delivery_address"] = [msg("home_delivery_needs_address")]
    if errors:
        raise InvalidInput(errors)
    return address


def _truck_stop(uow, village_id: str, given: str) -> dict:
    """The village's stop an order collected at the truck names, by its id or its name (case and
    spaces aside): {truck_stop: its name, truck_stop_id}; another is refused naming `truck_stop`.
    A village whose stops orders was not told (`village.stops_changed`, `maillage
    announce-stops`) keeps the text given, without an id."""
    stops = truck_stops.village_stops(uow, [village_id]).get(village_id)
    given = given.strip()
    if not stops:
        return {"truck_stop": given, "truck_stop_id": None}
    wanted = " ".join(given.casefold().split())
    for stop in stops:
        if given == stop["stop_id"] or wanted == " ".join(stop["name"].casefold().split()):
            return {"truck_stop": stop["name"], "truck_stop_id": stop["stop_id"]}
    raise InvalidInput(
        {"truck_stop": [msg("unknown_order_truck_stop", stops=", ".join(s["name"] for s in stops))]}
    )


def _check_and_create(uow, village_id: str, data: dict, received: datetime) -> dict:
    """Checked and made as at the time it happened (an order taken offline: its delivery day,
    its items' cut-offs as they were then), audited with the time it was received."""
    now = _backdated(uow, data, received)
    member, items = _member_and_items(
        uow, village_id, data["member_id"], [line["item_id"] for line in data["lines"]]
    )
    if data["fulfilment"] == "home_delivery":
        data = {**data, "delivery_address": _home_address(member, data["delivery_address"])}
    if data["fulfilment"] == "truck_stop":
        data = {**data, **_truck_stop(uow, village_id, data["truck_stop"])}
    if data["delivery_date"] < today(now):
        raise InvalidInput({"delivery_date": [msg("date_in_past")]})
    errors = {}
    for index, line in enumerate(data["lines"]):
        item = items.get(line["item_id"])
        if item is None:
            errors[index] = {"item_id": [msg("not_in_catalogue", item=line["item_id"])]}
            continue
        why = catalogue.problem(item, data["delivery_date"], now)
        if why:
            errors[index] = {"item_id": [why]}
    if errors:
        raise InvalidInput({"lines": errors})
    return _create(uow, village_id, member, data, items, now, received)


# --- the counter's transitions -------------------------------------------------------------------


def mark_ready(uow, order_id, data, village_ids, now: datetime | None = None) -> dict:
    now = now or utcnow()
    order = _find(uow, order_id, village_ids, lock=True)
    if order.fulfilment == "locker":
        if not data["compartment"]:
            raise InvalidInput({"compartment": [msg("compartment_missing")]})
        order.locker_compartment = data["compartment"]
    record_events(uow, order.move_to("ready", now))
    return _commit_and_answer(uow, order)


def collect(uow, order_id, data, village_ids, now: datetime | None = None) -> dict:
    """Handed over at the counter, from the locker (its code asked) or at the truck's stop; the
    same idempotency key again answers the order as it now is (a replay of the offline counter),
    never a second hand-over."""
    now = now or utcnow()
    order = _find(uow, order_id, village_ids, lock=True)
    return offline_actions.once(
        uow,
        OfflineAction,
        order.village_id,
        "order.collected",
        data.get("idempotency_key"),
        order.id,
        lambda: _collect(uow, order, data, now),
        lambda: get_order(uow, order.id, [order.village_id]),
    )


def _collect(uow, order: Order, data: dict, received: datetime) -> dict:
    now = _backdated(uow, data, received)
    if order.fulfilment == "home_delivery":
        raise Conflict("order_is_home_delivery", field="fulfilment")
    if (
        order.status == "ready"
        and order.fulfilment == "locker"
        and not secrets.compare_digest(str(data["code"] or ""), order.locker_code or "")
    ):
        raise Conflict("wrong_pickup_code", field="code")
    record_events(uow, order.move_to("collected", now))
    offline_actions.record(
        uow,
        OfflineAction,
        order.village_id,
        "order.collected",
        data.get("idempotency_key"),
        order.id,
        data.get("occurred_at"),
        received,
    )
    return _commit_and_answer(uow, order)


def mark_delivered(uow, order_id, now: datetime | None = None) -> Order:
    """A home delivery was made (a round's stop, or the concierge went). Records order.delivered;
    does NOT commit: the caller's unit of work does (rounds complete a stop in
    the same transaction)."""
    now = now or utcnow()
    order = _find(uow, order_id, None, lock=True)
    if order.fulfilment != "home_delivery":
        raise Conflict("order_not_home_delivery", field="fulfilment")
    record_events(uow, order.move_to("delivered", now))
    return order


def deliver(uow, order_id, village_ids, now: datetime | None = None) -> dict:
    _find(uow, order_id, village_ids)
    return _commit_and_answer(uow, mark_delivered(uow, order_id, now))


def cancel(uow, order_id, data, village_ids, now: datetime | None = None) -> dict:
    now = now or utcnow()
    order = _find(uow, order_id, village_ids, lock=True)
    record_events(uow, order.move_to("cancelled", now, reason=data["reason"]))
    return _commit_and_answer(uow, order)


# --- partners ------------------------------------------------------------------------------------


def _partner_view(order: Order, partner_id: str) -> dict:
    return PartnerOrderOutput().dump(
        {
            "id": order.id,
            "village_id": order.village_id,
            "status": order.status,
            "fulfilment": order.fulfilment,
            "delivery_date": order.delivery_date,
            "placed_at": order.placed_at,
            "lines": [_line(line) for line in order.lines if line.partner_id == partner_id],
        }
    )


def partner_orders(
    uow, partner_id: str, status: str | None = None, window: dict | None = None
) -> list[dict]:
    """The orders with lines of `partner_id`, those lines only, newest delivery first."""
    # one row per order (not per line), so that a page holds whole orders
    query = select(Order).where(
        Order.id.in_(select(OrderLine.order_id).where(OrderLine.partner_id == partner_id))
    )
    if status:
        query = query.where(Order.status == status)
    query = windowed(query.order_by(Order.delivery_date.desc(), Order.placed_at), window, Order.id)
    orders = uow.session.scalars(query).all()
    return [_partner_view(order, partner_id) for order in orders]


def answer_line(
    uow, partner_id: str, order_id, line_id, decision: str, data, now: datetime | None = None
) -> dict:
    """A supplier confirms or refuses one of its lines, while it is pending and before the cut-off
    of its purchase order. Refusing needs a reason."""
    from services.orders.models import PurchaseOrder

    now = now or utcnow()
    if decision == "refuse" and not data["reason"]:
        raise InvalidInput({"reason": [msg("refusal_reason_missing")]})
    order = uow.session.scalars(
        select(Order).where(Order.id == str(order_id)).with_for_update()
    ).first()
    line = next((each for each in order.lines if each.id == str(line_id)), None) if order else None
    if line is None or line.partner_id != partner_id:
        raise NotFound("order_line", str(line_id))
    if line.status != "pending":
        raise Conflict("line_already_answered", details={"status": line.status})
    if order.status != "placed":
        raise Conflict("order_not_awaiting", details={"status": order.status})
    purchase_order = (
        uow.session.get(PurchaseOrder, line.purchase_order_id) if line.purchase_order_id else None
    )
    if purchase_order is not None and (
        purchase_order.status != "open" or now >= purchase_order.cutoff_at
    ):
        raise Conflict("cutoff_passed")
    line.status = "confirmed" if decision == "confirm" else "refused"
    line.reason = data["reason"] if decision == "refuse" else None
    settle(uow, order, now)
    uow.commit()
    return _partner_view(order, partner_id)


# --- for rounds (services/orders/rounds.py) ------------------------------------------------------


def orders_for_round(uow, on_date: date, village_ids=None) -> list[dict]:
    """Home deliveries due on `on_date`, confirmed or ready: what a round carries."""
    query = select(Order).where(
        Order.fulfilment == "home_delivery",
        Order.delivery_date == on_date,
        Order.status.in_(("confirmed", "ready")),
    )
    if village_ids is not None:
        query = query.where(Order.village_id.in_(list(village_ids)))
    return [
        {
            "order_id": o.id,
            "village_id": o.village_id,
            "member_id": o.member_id,
            "address": o.delivery_address,
            "items_count": sum(line.quantity for line in o.lines if line.status != "refused"),
        }
        for o in uow.session.scalars(query.order_by(Order.village_id, Order.placed_at)).all()
    ]


def purchase_orders_for_pickup(uow, on_date: date) -> list[dict]:
    """Pooled supplier orders sent for delivery on `on_date`: what a round may pick up."""
    from services.orders import supplier_orders

    return supplier_orders.for_pickup(uow, on_date)


# --- the counter's day ("Aujourd'hui") -----------------------------------------------------------

AWAITING_SHOWN = (
    20  # orders awaiting suppliers listed on the counter's day (all of them are counted)
)


def counter_today(uow, village_id: str, on_date: date, now: datetime | None = None) -> dict:
    from services.orders import parcels

    now = now or utcnow()
    week = on_date + timedelta(days=7)
    in_village = Order.village_id == village_id
    # what to prepare and to hand over in one query; what awaits suppliers (the coming week) has
    # no bound of its own: its first AWAITING_SHOWN, earliest first, and its count in the same rows
    at_counter = uow.session.scalars(
        select(Order)
        .where(
            in_village,
            or_(
                and_(Order.status == "confirmed", Order.delivery_date <= on_date),  # to prepare
                and_(Order.status == "ready", Order.fulfilment != "home_delivery"),  # to hand over
            ),
        )
        .order_by(Order.delivery_date, Order.placed_at)
    ).all()
    awaiting = uow.session.execute(
        select(Order, func.count().over())
        .where(in_village, Order.status == "placed", Order.delivery_date <= week)
        .order_by(Order.delivery_date, Order.placed_at)
        .limit(AWAITING_SHOWN)
    ).all()
    lists = {"confirmed": [], "ready": [], "placed": []}
    for order in dump_orders(uow, [*at_counter, *(order for order, _count in awaiting)]):
        lists[order["status"]].append(order)
    waiting = parcels.waiting_parcels(uow, village_id, now)
    # the lists are dumped already (OrderOutput, ParcelOutput): CounterTodayOutput documents
    # the whole answer
    return {
        "village_id": village_id,
        "date": on_date.isoformat(),
        "to_prepare": lists["confirmed"],
        "to_hand_over": lists["ready"],
        "awaiting_suppliers": lists["placed"],
        "awaiting_suppliers_count": awaiting[0][1] if awaiting else 0,
        "parcels_waiting": waiting,
        "reminders_due": sum(1 for p in waiting if p["reminder_due"]),
    }


# --- RGPD (to be called from read_models' member.erased handler and member_data export) -----------


def member_orders(uow, member_id: str) -> list[dict]:
    """Every order of one member (RGPD export)."""
    return dump_orders(
        uow,
        uow.session.scalars(
            select(Order).where(Order.member_id == str(member_id)).order_by(Order.placed_at)
        ).all(),
    )


def scrub_member(uow, member_id: str) -> int:
    """Erase what identifies a member in their orders (address, free note); the orders stay, for the
    figures. Does not commit: the erasure's unit of work does. Returns how
    many orders were scrubbed."""
    rows = uow.session.scalars(select(Order).where(Order.member_id == str(member_id))).all()
    for order in rows:
        order.delivery_address, order.note = None, None
    return len(rows)
