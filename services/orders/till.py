"""The hub's till (caisse): a walk-in sale of several lines to a member or anyone, paid by cash,
card (the terminal stays outside: the amount is recorded), cheque or voucher, possibly split; a
refund of lines with a reason; the day's closing (Z).

Prices: a catalogue item of the village is sold at its local price and VAT rate (the catalogue
read model, `catalogue.changed`); an item of the hub's own shelf (`stock.py`) at its own. An item
with a solidarity price is sold at it to a member whose eligibility runs that day
(`solidarity.py`), never to anyone else.

Money is integer cents, VAT included. A line's total is quantity × unit price; its VAT amount is
computed from that total: total × rate / (1000 + rate), rounded to the nearest cent, half up
(`vat_of`); a sale's VAT is the sum of its lines' (never recomputed on the sum). A refund's line
takes the VAT of the units given back by the same rule.

Payments: card, cheque and vouchers together may not exceed the total (no change is given on
them); cash covers the rest: what is handed over (`amount_cents` of the cash payment) may exceed it
and the change is given back. `sale.recorded` tells what was kept per method.

Goods given back are not put back on the shelf by the refund (they may be spoilt): the concierge
records them received again (stock.py) when they can be sold.

The day (Europe/Paris) of a sale or a refund is the day its closing (Z) counts; once a day is
closed, no sale nor refund is taken on it, and it is closed once.

Idempotency: a sale and a refund carry a key unique per village; the same key again (a double
click, a replay of the offline counter) answers what the first one made, never a second sale nor a
second `sale.recorded` (`idempotency.made_once`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from backbone.clock import PARIS, utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.formats import money
from backbone.messages import msg
from backbone.tables import new_id
from services.orders import solidarity, stock
from services.orders.idempotency import made_once
from services.orders.models import (
    CatalogueItem,
    KnownMember,
    StockItem,
    TillClosing,
    TillPayment,
    TillRefund,
    TillRefundLine,
    TillSale,
    TillSaleLine,
)
from services.orders.schemas.till import PAYMENT_LABELS

CASH = "cash"


def vat_of(total_cents: int, rate: int) -> int:
    """The VAT in a VAT-included total (rate per mille), to the nearest cent, half up."""
    if total_cents <= 0 or rate <= 0:
        return 0
    return (2 * total_cents * rate + 1000 + rate) // (2 * (1000 + rate))


def day_of(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


# --- reading -------------------------------------------------------------------------------------


def _line(line: TillSaleLine) -> dict:
    return {
        "id": line.id,
        "item_id": line.item_id,
        "stock_item_id": line.stock_item_id,
        "partner_id": line.partner_id,
        "partner_name": line.partner_name,
        "name": line.name,
        "quantity": line.quantity,
        "refunded": line.refunded,
        "unit_price_cents": line.unit_price_cents,
        "vat_rate": line.vat_rate,
        "vat_cents": line.vat_cents,
        "total_cents": line.total_cents,
        "solidarity": line.solidarity,
    }


def _dump(sale: TillSale, refunds: list[TillRefund] | None = None) -> dict:
    cash = next((p.amount_cents for p in sale.payments if p.method == CASH), 0)
    return {
        "id": sale.id,
        "village_id": sale.village_id,
        "member_id": sale.member_id,
        "receipt_emailed": sale.receipt_emailed,
        "day": sale.day.isoformat(),
        "sold_at": sale.sold_at.isoformat(),
        "total_cents": sale.total_cents,
        "vat_cents": sale.vat_cents,
        "lines": [_line(line) for line in sale.lines],
        "payments": [
            {
                "method": p.method,
                "method_label": PAYMENT_LABELS[p.method],
                "amount_cents": p.amount_cents,
            }
            for p in sale.payments
        ],
        "cash_cents": cash,
        "given_cents": sale.given_cents,
        "change_cents": sale.change_cents,
        "vat_by_rate": _vat_by_rate(sale.lines),
        "refunds": [_refund(r) for r in refunds or []],
    }


def _vat_by_rate(lines) -> list[dict]:
    rates: dict[int, dict] = {}
    for line in lines:
        row = rates.setdefault(
            line.vat_rate, {"vat_rate": line.vat_rate, "total_cents": 0, "vat_cents": 0}
        )
        row["total_cents"] += line.total_cents
        row["vat_cents"] += line.vat_cents
    return [
        {**row, "net_cents": row["total_cents"] - row["vat_cents"]}
        for _rate, row in sorted(rates.items())
    ]


def _refund(refund: TillRefund) -> dict:
    return {
        "id": refund.id,
        "sale_id": refund.sale_id,
        "refunded_at": refund.refunded_at.isoformat(),
        "method": refund.method,
        "method_label": PAYMENT_LABELS[refund.method],
        "reason": refund.reason,
        "total_cents": refund.total_cents,
        "vat_cents": refund.vat_cents,
        "lines": [
            {"line_id": line.line_id, "quantity": line.quantity, "total_cents": line.total_cents}
            for line in refund.lines
        ],
    }


def _find(uow, sale_id, village_ids, *, lock: bool = False) -> TillSale:
    query = select(TillSale).where(TillSale.id == str(sale_id))
    if lock:
        query = query.with_for_update()
    sale = uow.session.scalars(query).first()
    if sale is None or (village_ids is not None and sale.village_id not in village_ids):
        raise NotFound("sale", str(sale_id))
    return sale


def _refunds_of(uow, sale_id: str) -> list[TillRefund]:
    return list(
        uow.session.scalars(
            select(TillRefund)
            .where(TillRefund.sale_id == sale_id)
            .order_by(TillRefund.refunded_at, TillRefund.id)
        )
    )


def get_sale(uow, sale_id, village_ids=None) -> dict:
    sale = _find(uow, sale_id, village_ids)
    return _dump(sale, _refunds_of(uow, sale.id))


RECENT_SALES = 20


def list_sales(uow, village_id: str, on_day: date | None = None) -> list[dict]:
    """The sales of one day at a village's till, or its RECENT_SALES last ones; newest first."""
    query = select(TillSale).where(TillSale.village_id == village_id)
    if on_day is not None:
        query = query.where(TillSale.day == on_day)
    else:
        query = query.limit(RECENT_SALES)
    sales = uow.session.scalars(query.order_by(TillSale.sold_at.desc(), TillSale.id)).all()
    return [_dump(sale) for sale in sales]


def sellable_items(uow, village_id: str, member_id: str | None = None, now=None) -> list[dict]:
    """What the till may sell in this village: the catalogue's available items and the shelf's
    own goods, with the price this buyer would pay and what the shelf holds (None: not counted)."""
    now = now or utcnow()
    eligible = member_id is not None and solidarity.is_eligible(
        uow, village_id, member_id, day_of(now)
    )
    shelf = {
        s.item_id or s.id: s
        for s in uow.session.scalars(select(StockItem).where(StockItem.village_id == village_id))
    }
    prices = solidarity.prices_of(uow, village_id)
    rows = []
    for item in uow.session.scalars(
        select(CatalogueItem)
        .where(CatalogueItem.village_id == village_id, CatalogueItem.available.is_(True))
        .order_by(CatalogueItem.name)
    ):
        on_shelf = shelf.pop(item.item_id, None)
        rows.append(
            {
                "item_id": item.item_id,
                "name": item.name,
                "partner_name": item.partner_name,
                "unit": item.unit,
                "price_cents": item.price_cents,
                "solidarity_price_cents": prices.get(item.item_id),
                "vat_rate": item.vat_rate,
                "on_shelf": on_shelf.quantity if on_shelf else None,
            }
        )
    for key, own in sorted(shelf.items(), key=lambda pair: pair[1].name):
        if own.item_id is not None:
            continue  # a catalogue item no longer in the catalogue is not sold
        rows.append(
            {
                "item_id": key,
                "name": own.name,
                "partner_name": own.partner_name,
                "unit": "piece",
                "price_cents": own.price_cents,
                "solidarity_price_cents": prices.get(key),
                "vat_rate": own.vat_rate,
                "on_shelf": own.quantity,
            }
        )
    for row in rows:
        row["price_paid_cents"] = (
            row["solidarity_price_cents"]
            if eligible and row["solidarity_price_cents"] is not None
            else row["price_cents"]
        )
    return rows


# --- selling -------------------------------------------------------------------------------------


def _refuse_closed_day(uow, village_id: str, on_day: date) -> None:
    closed = uow.session.scalar(
        select(TillClosing.id).where(
            TillClosing.village_id == village_id, TillClosing.day == on_day
        )
    )
    if closed is not None:
        raise Conflict("till_day_closed", field="day", details={"day": on_day.isoformat()})


def _buyer(uow, village_id: str, member_id: str | None) -> KnownMember | None:
    if member_id is None:
        return None
    member = uow.session.get(KnownMember, member_id)
    if member is None or member.erased_at is not None or member.village_id != village_id:
        raise InvalidInput({"member_id": [msg("unknown_member_here", member=member_id)]})
    return member


def _priced_lines(uow, village_id: str, data: dict, eligible: bool) -> list[dict]:
    """Each line priced (catalogue or shelf, solidarity price for an eligible member), its shelf
    row locked; refused with every line at fault named."""
    wanted = [line["item_id"] for line in data["lines"]]
    items = {
        i.item_id: i
        for i in uow.session.scalars(
            select(CatalogueItem).where(
                CatalogueItem.village_id == village_id, CatalogueItem.item_id.in_(wanted)
            )
        )
    }
    shelves = stock.shelves_for(uow, village_id, wanted)
    prices = solidarity.prices_of(uow, village_id, wanted) if eligible else {}
    errors, priced = {}, []
    for index, line in enumerate(data["lines"]):
        key, quantity = line["item_id"], line["quantity"]
        item, shelf = items.get(key), shelves.get(key)
        if item is not None and not item.available:
            errors[index] = {"item_id": [msg("out_of_stock", item=item.name)]}
            continue
        if item is None and (shelf is None or shelf.item_id is not None):
            errors[index] = {"item_id": [msg("not_sold_here", item=key)]}
            continue
        name = item.name if item else shelf.name
        if shelf is not None and shelf.quantity < quantity:
            errors[index] = {"quantity": [msg("shelf_short", item=name, left=shelf.quantity)]}
            continue
        unit_price = item.price_cents if item else shelf.price_cents
        rate = item.vat_rate if item else shelf.vat_rate
        reduced = prices.get(key)
        priced.append(
            {
                "item_id": key,
                "shelf": shelf,
                "partner_id": item.partner_id if item else shelf.partner_id,
                "partner_name": item.partner_name if item else shelf.partner_name,
                "name": name,
                "quantity": quantity,
                "unit_price_cents": reduced if reduced is not None else unit_price,
                "vat_rate": rate,
                "solidarity": reduced is not None,
            }
        )
    if errors:
        raise InvalidInput({"lines": errors})
    return priced


def settle_payments(total: int, payments: list[dict]) -> tuple[list[tuple[str, int]], int, int]:
    """(kept per method, cash handed over, change) for a sale of `total` cents; refused (field
    `payments`) when short, when card, cheque and vouchers exceed the total, or when cash is handed
    over with nothing left to pay."""
    others = [(p["method"], p["amount_cents"]) for p in payments if p["method"] != CASH]
    given = sum(p["amount_cents"] for p in payments if p["method"] == CASH)
    paid_otherwise = sum(amount for _method, amount in others)
    if paid_otherwise > total:
        raise InvalidInput({"payments": [msg("payment_too_much", due=money(total))]})
    rest = total - paid_otherwise
    if given < rest:
        raise InvalidInput({"payments": [msg("payment_missing", due=money(rest - given))]})
    if given and not rest:
        raise InvalidInput({"payments": [msg("cash_not_needed")]})
    kept = others + ([(CASH, rest)] if rest else [])
    return kept, given, given - rest


def _event_line(line: TillSaleLine, quantity: int | None = None) -> dict:
    quantity = line.quantity if quantity is None else quantity
    return {
        "line_id": line.id,
        "item_id": line.item_id,
        "partner_id": line.partner_id,
        "name": line.name,
        "quantity": quantity,
        "unit_price_cents": line.unit_price_cents,
        "vat_rate": line.vat_rate,
        "solidarity": line.solidarity,
        "total_cents": quantity * line.unit_price_cents,
    }


def _check_and_sell(uow, village_id: str, data: dict, now: datetime) -> dict:
    on_day = day_of(now)
    _refuse_closed_day(uow, village_id, on_day)
    member = _buyer(uow, village_id, data["member_id"])
    eligible = member is not None and solidarity.is_eligible(uow, village_id, member.id, on_day)
    priced = _priced_lines(uow, village_id, data, eligible)
    total = sum(p["quantity"] * p["unit_price_cents"] for p in priced)
    kept, given, change = settle_payments(total, data["payments"])
    sale = TillSale(
        id=new_id(),
        village_id=village_id,
        idempotency_key=data["idempotency_key"],
        member_id=member.id if member else None,
        receipt_emailed=bool(data["email"]),
        day=on_day,
        sold_at=now,
        total_cents=total,
        given_cents=given,
        change_cents=change,
    )
    for position, p in enumerate(priced):
        line_total = p["quantity"] * p["unit_price_cents"]
        sale.lines.append(
            TillSaleLine(
                id=new_id(),
                position=position,
                item_id=p["item_id"],
                stock_item_id=p["shelf"].id if p["shelf"] else None,
                partner_id=p["partner_id"],
                partner_name=p["partner_name"],
                name=p["name"],
                quantity=p["quantity"],
                unit_price_cents=p["unit_price_cents"],
                vat_rate=p["vat_rate"],
                total_cents=line_total,
                vat_cents=vat_of(line_total, p["vat_rate"]),
                solidarity=p["solidarity"],
                refunded=0,
            )
        )
        if p["shelf"] is not None:
            stock.move(uow, p["shelf"], "sold", -p["quantity"], now, sale_id=sale.id)
    sale.vat_cents = sum(line.vat_cents for line in sale.lines)
    for position, (method, amount) in enumerate(kept):
        sale.payments.append(
            TillPayment(id=new_id(), position=position, method=method, amount_cents=amount)
        )
    uow.session.add(sale)
    uow.record_event(
        "sale.recorded",
        {
            "sale_id": sale.id,
            "village_id": village_id,
            "partner_ids": sorted({line.partner_id for line in sale.lines if line.partner_id}),
            "lines": [_event_line(line) for line in sale.lines],
            "payments": [{"method": m, "amount_cents": a} for m, a in kept],
            "total_cents": total,
            "member_id": sale.member_id,
            "occurred_at": now,
        },
        village_id=village_id,
    )
    if data["email"]:
        _request_receipt(uow, sale, kept, data["email"])
    answer = _dump(sale)
    uow.commit()
    return answer


def _request_receipt(uow, sale: TillSale, kept: list[tuple[str, int]], address: str) -> None:
    """The buyer gave an address: the members service sends the receipt (its notices own the
    e-mail channel and forget the address once sent); what it says travels with the event. The
    sale keeps only that a receipt was asked for: a walk-in's address has no erasure to reach
    it here, and the till needs it no more (the outbox row goes by retention)."""
    uow.record_event(
        "sale.receipt_requested",
        {
            "sale_id": sale.id,
            "village_id": sale.village_id,
            "email": address,
            "member_id": sale.member_id,
            "lines": [
                {
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_cents": line.unit_price_cents,
                    "vat_rate": line.vat_rate,
                    "total_cents": line.total_cents,
                    "solidarity": line.solidarity,
                }
                for line in sale.lines
            ],
            "vat_by_rate": _vat_by_rate(sale.lines),
            "payments": [{"method": m, "amount_cents": a} for m, a in kept],
            "total_cents": sale.total_cents,
            "vat_cents": sale.vat_cents,
            "given_cents": sale.given_cents,
            "change_cents": sale.change_cents,
            "occurred_at": sale.sold_at,
        },
        village_id=sale.village_id,
    )


def record_sale(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    """Price, check and record a sale, its payments and the shelf's movements, and
    `sale.recorded`, in one transaction. The same key again answers the same sale."""
    now = now or utcnow()
    try:
        return made_once(
            uow,
            TillSale,
            village_id,
            data["idempotency_key"],
            lambda: _check_and_sell(uow, village_id, data, now),
            lambda sale_id: get_sale(uow, sale_id, [village_id]),
        )
    except Conflict:
        # a sale replayed once its day is closed (the offline counter's) is still that sale
        uow.rollback()
        made = _made_with(uow, TillSale, village_id, data["idempotency_key"])
        if made is None:
            raise
        return get_sale(uow, made, [village_id])


def _made_with(uow, model, village_id: str, key: str) -> str | None:
    return uow.session.scalar(
        select(model.id).where(model.village_id == village_id, model.idempotency_key == key)
    )


# --- refunding -----------------------------------------------------------------------------------


def _check_and_refund(uow, village_id: str, data: dict, now: datetime) -> dict:
    sale = _find(uow, data["sale_id"], [village_id], lock=True)
    on_day = day_of(now)
    _refuse_closed_day(uow, village_id, on_day)
    lines = {line.id: line for line in sale.lines}
    errors, given_back = {}, []
    for index, wanted in enumerate(data["lines"]):
        line = lines.get(wanted["line_id"])
        if line is None:
            errors[index] = {"line_id": [msg("unknown_sale_line", line=wanted["line_id"])]}
            continue
        left = line.quantity - line.refunded
        if wanted["quantity"] > left:
            errors[index] = {"quantity": [msg("refund_too_many", item=line.name, left=left)]}
            continue
        given_back.append((line, wanted["quantity"]))
    if errors:
        raise InvalidInput({"lines": errors})
    refund = TillRefund(
        id=new_id(),
        village_id=village_id,
        idempotency_key=data["idempotency_key"],
        sale_id=sale.id,
        day=on_day,
        refunded_at=now,
        method=data["method"],
        reason=data["reason"].strip(),
    )
    for position, (line, quantity) in enumerate(given_back):
        line.refunded += quantity
        amount = quantity * line.unit_price_cents
        refund.lines.append(
            TillRefundLine(
                id=new_id(),
                line_id=line.id,
                position=position,
                quantity=quantity,
                total_cents=amount,
                vat_cents=vat_of(amount, line.vat_rate),
            )
        )
    refund.total_cents = sum(line.total_cents for line in refund.lines)
    refund.vat_cents = sum(line.vat_cents for line in refund.lines)
    if refund.total_cents <= 0:
        raise InvalidInput({"lines": [msg("amount_range")]})
    uow.session.add(refund)
    uow.record_event(
        "sale.refunded",
        {
            "refund_id": refund.id,
            "sale_id": sale.id,
            "village_id": village_id,
            "partner_ids": sorted({line.partner_id for line, _q in given_back if line.partner_id}),
            "lines": [_event_line(line, quantity) for line, quantity in given_back],
            "method": refund.method,
            "total_cents": refund.total_cents,
            "reason": refund.reason,
            "occurred_at": now,
        },
        village_id=village_id,
    )
    uow.session.flush()
    answer = _dump(sale, _refunds_of(uow, sale.id))
    uow.commit()
    return answer


def refund_sale(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    """Give back lines of a sale (never more units than sold, counting earlier refunds), with a
    reason and the method the money goes back by; `sale.refunded`. Answers the sale with its
    refunds. The same key again answers without refunding twice."""
    now = now or utcnow()
    return made_once(
        uow,
        TillRefund,
        village_id,
        data["idempotency_key"],
        lambda: _check_and_refund(uow, village_id, data, now),
        lambda refund_id: get_sale(
            uow, uow.session.get(TillRefund, refund_id).sale_id, [village_id]
        ),
    )


# --- the day's closing (Z) -----------------------------------------------------------------------


def day_totals(uow, village_id: str, on_day: date) -> dict:
    """The day's figures at the till, sales less refunds: per payment method, per partner (the
    hub's own goods under none), per VAT rate (VAT included, VAT, without VAT); the cash expected
    in the drawer comes from the cash payments less the cash refunds."""
    sales = uow.session.scalars(
        select(TillSale).where(TillSale.village_id == village_id, TillSale.day == on_day)
    ).all()
    refunds = uow.session.scalars(
        select(TillRefund).where(TillRefund.village_id == village_id, TillRefund.day == on_day)
    ).all()
    methods = {m: 0 for m in PAYMENT_LABELS}
    partners: dict[str | None, dict] = {}
    rates: dict[int, dict] = {}
    lines_by_id: dict[str, TillSaleLine] = {}

    def add(line: TillSaleLine, total: int, vat: int) -> None:
        partner = partners.setdefault(
            line.partner_id,
            {"partner_id": line.partner_id, "partner_name": line.partner_name, "total_cents": 0},
        )
        partner["total_cents"] += total
        rate = rates.setdefault(
            line.vat_rate, {"vat_rate": line.vat_rate, "total_cents": 0, "vat_cents": 0}
        )
        rate["total_cents"] += total
        rate["vat_cents"] += vat

    for sale in sales:
        for payment in sale.payments:
            methods[payment.method] += payment.amount_cents
        for line in sale.lines:
            lines_by_id[line.id] = line
            add(line, line.total_cents, line.vat_cents)
    refund_line_ids = [line.line_id for r in refunds for line in r.lines]
    missing = [i for i in refund_line_ids if i not in lines_by_id]
    if missing:  # refunds today of sales of earlier days
        for line in uow.session.scalars(select(TillSaleLine).where(TillSaleLine.id.in_(missing))):
            lines_by_id[line.id] = line
    for refund in refunds:
        methods[refund.method] -= refund.total_cents
        for given in refund.lines:
            add(lines_by_id[given.line_id], -given.total_cents, -given.vat_cents)
    sold = sum(s.total_cents for s in sales)
    refunded = sum(r.total_cents for r in refunds)
    return {
        "village_id": village_id,
        "day": on_day.isoformat(),
        "sales": len(sales),
        "refunds": len(refunds),
        "sales_cents": sold,
        "refunds_cents": refunded,
        "net_cents": sold - refunded,
        "vat_cents": sum(r["vat_cents"] for r in rates.values()),
        "by_method": [
            {"method": m, "method_label": PAYMENT_LABELS[m], "total_cents": cents}
            for m, cents in methods.items()
        ],
        "by_partner": sorted(
            partners.values(),
            key=lambda p: (p["partner_id"] is None, -p["total_cents"], p["partner_name"] or ""),
        ),
        "by_vat_rate": [
            {**row, "net_cents": row["total_cents"] - row["vat_cents"]}
            for _rate, row in sorted(rates.items())
        ],
        "cash_cents": methods[CASH],
    }


def _closing(closing: TillClosing) -> dict:
    return {
        "id": closing.id,
        "village_id": closing.village_id,
        "day": closing.day.isoformat(),
        "closed_at": closing.closed_at.isoformat(),
        "float_cents": closing.float_cents,
        "expected_cash_cents": closing.expected_cash_cents,
        "counted_cash_cents": closing.counted_cash_cents,
        "difference_cents": closing.difference_cents,
        "note": closing.note,
        "totals": closing.totals,
    }


def get_closing(uow, village_id: str, on_day: date) -> dict | None:
    closing = uow.session.scalar(
        select(TillClosing).where(TillClosing.village_id == village_id, TillClosing.day == on_day)
    )
    return _closing(closing) if closing else None


def close_day(uow, village_id: str, data: dict, now: datetime | None = None) -> dict:
    """The day's closing (Z): its totals kept, the cash counted against the float plus the cash
    taken less the cash given back, the difference (counted − expected). Once per village and
    day: a second closing is refused (a concurrent one meets the unique key)."""
    from sqlalchemy.exc import IntegrityError

    now = now or utcnow()
    on_day = data["day"] or day_of(now)
    if on_day > day_of(now):
        raise InvalidInput({"day": [msg("day_not_over")]})
    if get_closing(uow, village_id, on_day) is not None:
        raise Conflict("till_already_closed", field="day", details={"day": on_day.isoformat()})
    totals = day_totals(uow, village_id, on_day)
    expected = data["float_cents"] + totals["cash_cents"]
    closing = TillClosing(
        id=new_id(),
        village_id=village_id,
        day=on_day,
        closed_at=now,
        float_cents=data["float_cents"],
        expected_cash_cents=expected,
        counted_cash_cents=data["counted_cash_cents"],
        difference_cents=data["counted_cash_cents"] - expected,
        note=(data["note"] or "").strip() or None,
        totals=totals,
    )
    uow.session.add(closing)
    answer = _closing(closing)
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        raise Conflict(
            "till_already_closed", field="day", details={"day": on_day.isoformat()}
        ) from None
    return answer


# --- RGPD (read_models: member.erased, member_data) ----------------------------------------------


def member_sales(uow, member_id: str) -> list[dict]:
    """Every sale at the till to one member (RGPD export)."""
    sales = uow.session.scalars(
        select(TillSale).where(TillSale.member_id == member_id).order_by(TillSale.sold_at)
    ).all()
    return [_dump(sale) for sale in sales]


def scrub_member(uow, member_id: str) -> int:
    """A member's sales become a walk-in's (no member): the sales stay, counted. Does not commit."""
    sales = uow.session.scalars(select(TillSale).where(TillSale.member_id == member_id)).all()
    for sale in sales:
        sale.member_id = None
    return len(sales)
