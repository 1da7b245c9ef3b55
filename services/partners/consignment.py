"""Producers on consignment (dépôt-vente): what the hub sold of each partner's goods, village by
village and month by month, and the monthly statement that says what the hub owes the producer.

The read model (`MonthlySales`) is fed by the orders service's events:
- `sale.recorded`: each till line adds its quantity and amount in the month of the sale;
  `sale.refunded`: each line given back subtracts them, in the month of the refund (a statement
  already sent is never changed by a later refund);
- orders: the lines of `order.placed` count when the order is collected or delivered, in that
  month; a cancelled or refused order never counts, nor does a line refused by its supplier. The
  events may come in any order (`CountedOrder` keeps what is known until both halves are there).
The inbox makes each event count once (a redelivered event never reaches these functions).

Months are those of Europe/Paris. Amounts are integer cents, VAT included. The commission is the
rate (per mille) agreed with the partner in force on the month's first day (a rate changes on the
first day of a month: services/partners/commission.py says why) of the month's total, rounded to
the nearest cent (half away from zero), shared among the villages by the largest remainders: the
villages' commissions add up to the statement's exactly and each is within a cent of its own exact
share.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from backbone import config
from backbone.clock import PARIS, utcnow
from backbone.errors import InvalidInput, NotFound
from backbone.messages import msg
from services.partners import commission as rates_over_time
from services.partners.models import CountedOrder, KnownVillage, MonthlySales, Partner
from services.partners.models.money import HUB

CHANNELS = ("till", "order")


def month_of(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m")


def check_month(month) -> str:
    """A month written YYYY-MM, else a field error on `month`."""
    text = str(month or "")
    try:
        parsed = datetime.strptime(text, "%Y-%m")
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 7:
        raise InvalidInput({"month": [msg("month_format", example="2026-11")]})
    return text


# --- the read model -------------------------------------------------------------------------------


def _add(uow, month: str, partner_id: str | None, village_id: str, channel: str, qty, amount):
    """Adds to one row in one statement (an upsert), so two consumers adding to the same row at once
    both count."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = MonthlySales.__table__
    statement = insert(table).values(
        month=month,
        partner_id=partner_id or HUB,
        village_id=village_id,
        channel=channel,
        quantity=qty,
        amount_cents=amount,
    )
    uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["month", "partner_id", "village_id", "channel"],
            set_={
                "quantity": table.c.quantity + statement.excluded.quantity,
                "amount_cents": table.c.amount_cents + statement.excluded.amount_cents,
            },
        )
    )


def record_sale(uow, event) -> None:
    payload, sign = event["payload"], 1
    if event["type"] == "sale.refunded":
        sign = -1
    month = month_of(payload["occurred_at"])
    for line in payload["lines"]:
        _add(
            uow,
            month,
            line["partner_id"],
            payload["village_id"],
            "till",
            sign * line["quantity"],
            sign * line["total_cents"],
        )


def _order_rows(uow, events) -> dict[str, CountedOrder]:
    """The rows of the orders a batch's order events name, read and locked in one statement (in
    the order of their ids, as every batch locks them, so that two batches wait rather than
    deadlock); an order not yet followed gets its row when its first event comes."""
    ids = sorted({e["payload"]["order_id"] for e in events if e["type"] in ORDER_EVENTS})
    if not ids:
        return {}
    rows = uow.session.scalars(
        select(CountedOrder)
        .where(CountedOrder.order_id.in_(ids))
        .order_by(CountedOrder.order_id)
        .with_for_update()
    )
    return {row.order_id: row for row in rows}


def _order_row(uow, rows: dict[str, CountedOrder], payload) -> CountedOrder:
    row = rows.get(payload["order_id"])
    if row is None:
        row = CountedOrder(
            order_id=payload["order_id"],
            village_id=payload["village_id"],
            refused_line_ids=[],
            dropped=False,
            counted=False,
        )
        uow.session.add(row)
        rows[row.order_id] = row
    return row


def _count_if_complete(uow, row: CountedOrder) -> None:
    if row.counted or row.dropped or row.lines is None or row.handed_over_month is None:
        return
    refused = set(row.refused_line_ids or [])
    for line in row.lines:
        if line["line_id"] in refused:
            continue
        _add(
            uow,
            row.handed_over_month,
            line["partner_id"],
            row.village_id,
            "order",
            line["quantity"],
            line["amount_cents"],
        )
    row.counted, row.settled_at = True, utcnow()


def record_order(uow, rows: dict[str, CountedOrder], event) -> None:
    """One of an order's events, whichever comes first; `rows`: the batch's (`_order_rows`)."""
    payload, kind = event["payload"], event["type"]
    row = _order_row(uow, rows, payload)
    if kind == "order.placed":
        if row.lines is None:
            row.lines = [
                {
                    "line_id": line["line_id"],
                    "partner_id": line["partner_id"],
                    "quantity": line["quantity"],
                    "amount_cents": line["quantity"] * line["unit_price_cents"],
                }
                for line in payload["lines"]
                if line["status"] != "refused"
            ]
    elif kind in ("order.collected", "order.delivered"):
        if row.handed_over_month is None:
            row.handed_over_month = month_of(payload["occurred_at"])
            row.refused_line_ids = list(payload.get("refused_line_ids") or [])
    elif kind in ("order.cancelled", "order.refused") and not row.counted:
        row.dropped = True
        row.settled_at = row.settled_at or utcnow()
    _count_if_complete(uow, row)


# --- retention of the orders followed ------------------------------------------------------------

COUNTED_ORDER_MIN_DAYS = 90
REPLAY_MARGIN_DAYS = 30


def counted_order_retention_days() -> int:
    """Days a counted or dropped order's row is kept: 90, and always 30 more than an event can wait
    to be replayed (a dead letter, MAILLAGE_DEAD_LETTER_RETENTION_DAYS; a published outbox row,
    MAILLAGE_OUTBOX_RETENTION_DAYS). The inbox already keeps an event from counting twice; the
    row keeps a late event of a settled order (a cancellation replayed after the hand-over, a
    hand-over replayed after the cancellation) from opening a new row that would wait forever."""
    late = max(config.dead_letter_retention_days(), config.outbox_retention_days())
    return max(COUNTED_ORDER_MIN_DAYS, late + REPLAY_MARGIN_DAYS)


def purge_settled_orders(uow, now: datetime, days: int | None = None) -> int:
    """Delete the rows of orders counted or dropped more than `days` (by default
    `counted_order_retention_days()`) ago; how many. The sales they counted stay in
    `MonthlySales`; an order still waiting for its other half is kept. Does not commit."""
    days = counted_order_retention_days() if days is None else days
    result = uow.session.execute(
        delete(CountedOrder).where(
            CountedOrder.settled_at.is_not(None),
            CountedOrder.settled_at < now - timedelta(days=days),
        )
    )
    return result.rowcount or 0


# --- the statement --------------------------------------------------------------------------------


def round_half_away(value: Fraction) -> int:
    """The nearest integer; a half goes away from zero (0.5 → 1, -0.5 → -1)."""
    sign = -1 if value < 0 else 1
    return sign * int((abs(value) * 2 + 1) // 2)


def commissions(amounts: list[int], per_mille: int) -> list[int]:
    """The commission of each amount, adding up exactly to the commission of their total (rounded
    half away from zero): each gets its exact share rounded down, and the cents left over go to
    those with the largest remainders."""
    # in integers (thousandths of a cent): each share's floor and its remainder (0 to 999), what
    # Fractions would give, at a fraction of their cost for a thousand villages
    split = [divmod(a * per_mille, 1000) for a in amounts]
    total = round_half_away(Fraction(sum(amounts) * per_mille, 1000))
    floors = [floor for floor, _rest in split]
    left = total - sum(floors)
    order = sorted(range(len(split)), key=lambda i: (-split[i][1], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _sales(uow, month: str, partner_ids: list[str] | None):
    query = select(
        MonthlySales.partner_id,
        MonthlySales.village_id,
        MonthlySales.channel,
        MonthlySales.quantity,
        MonthlySales.amount_cents,
    ).where(MonthlySales.month == month)
    if partner_ids is not None:
        query = query.where(MonthlySales.partner_id.in_(partner_ids))
    return uow.session.execute(query).all()


def _village_names(uow, village_ids) -> dict[str, str]:
    if not village_ids:
        return {}
    return dict(
        uow.session.execute(
            select(KnownVillage.id, KnownVillage.name).where(KnownVillage.id.in_(list(village_ids)))
        ).all()
    )


def build_statement(partner: dict, month: str, sales, names: dict[str, str]) -> dict:
    """The statement of one partner for one month from its rows of `MonthlySales`: per village
    (by name), till and orders, the commission and what is due."""
    per_mille = partner["commission_per_mille"] or 0
    villages: dict[str, dict] = {}
    for _partner, village_id, channel, quantity, amount in sales:
        row = villages.setdefault(
            village_id,
            {
                "village_id": village_id,
                "village_name": names.get(village_id, village_id),
                "till_quantity": 0,
                "till_cents": 0,
                "order_quantity": 0,
                "order_cents": 0,
            },
        )
        row[f"{channel}_quantity"] += quantity
        row[f"{channel}_cents"] += amount
    rows = sorted(villages.values(), key=lambda r: (r["village_name"], r["village_id"]))
    for row in rows:
        row["quantity"] = row["till_quantity"] + row["order_quantity"]
        row["sold_cents"] = row["till_cents"] + row["order_cents"]
    for row, commission in zip(rows, commissions([r["sold_cents"] for r in rows], per_mille)):
        row["commission_cents"] = commission
        row["due_cents"] = row["sold_cents"] - commission
    totals = {
        key: sum(r[key] for r in rows)
        for key in (
            "till_quantity",
            "till_cents",
            "order_quantity",
            "order_cents",
            "quantity",
            "sold_cents",
            "commission_cents",
            "due_cents",
        )
    }
    return {
        "partner_id": partner["id"],
        "partner_name": partner["name"],
        "siret": partner.get("siret"),
        "month": month,
        "commission_per_mille": per_mille,
        "villages": rows,
        "totals": totals,
    }


def _partner(uow, partner_id: str, month: str) -> dict:
    partner = uow.session.get(Partner, str(partner_id))
    if partner is None:
        raise NotFound("partner", str(partner_id))
    rates = rates_over_time.history(uow, partner.id)
    return {
        "id": partner.id,
        "name": partner.name,
        "siret": partner.siret,
        "commission_per_mille": rates_over_time.rate_on(rates, rates_over_time.month_start(month)),
    }


def statement(uow, partner_id: str, month) -> dict:
    """One partner's statement for one month (YYYY-MM)."""
    month = check_month(month)
    partner = _partner(uow, partner_id, month)
    sales = _sales(uow, month, [partner["id"]])
    return build_statement(partner, month, sales, _village_names(uow, {s[1] for s in sales}))


def statements_of_month(uow, month) -> list[dict]:
    """Every partner's statement for a month in which it sold (one query for the sales, one for
    the partners, one for their rates, one for the villages' names): what the accountant receives
    at month's end."""
    month = check_month(month)
    by_partner: dict[str, list] = {}
    for row in _sales(uow, month, None):
        if row[0] != HUB:
            by_partner.setdefault(row[0], []).append(row)
    rates = rates_over_time.rates_of(uow, by_partner)
    first_day = rates_over_time.month_start(month)
    partners = {
        p.id: {
            "id": p.id,
            "name": p.name,
            "siret": p.siret,
            "commission_per_mille": rates_over_time.rate_on(rates[p.id], first_day),
        }
        for p in uow.session.scalars(select(Partner).where(Partner.id.in_(list(by_partner))))
    }
    names = dict(uow.session.execute(select(KnownVillage.id, KnownVillage.name)).all())
    return [
        build_statement(partners[pid], month, rows, names)
        for pid, rows in sorted(by_partner.items(), key=lambda kv: partners[kv[0]]["name"])
        if pid in partners
    ]


def sales_by_village(uow, date_from: date, date_to: date, village_ids=None) -> dict[str, int]:
    """Sales (till and orders, every partner's and the hub's own) of the months that start within
    [date_from, date_to], per village: the funding mix's share of sales."""
    months = _months_between(date_from, date_to)
    query = (
        select(MonthlySales.village_id, func.sum(MonthlySales.amount_cents))
        .where(MonthlySales.month.in_(months))
        .group_by(MonthlySales.village_id)
    )
    if village_ids is not None:
        query = query.where(MonthlySales.village_id.in_(list(village_ids)))
    return {v: int(total or 0) for v, total in uow.session.execute(query).all()}


def _months_between(date_from: date, date_to: date) -> list[str]:
    months, year, month = [], date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- the events that feed the money read models (one consumer: partners.on_money_event) ---------

SALE_EVENTS = ("sale.recorded", "sale.refunded")
ORDER_EVENTS = (
    "order.placed",
    "order.collected",
    "order.delivered",
    "order.cancelled",
    "order.refused",
)
SERVICE_EVENTS = ("help_request.completed", "animation.attended")
MONEY_EVENTS = SALE_EVENTS + ORDER_EVENTS + SERVICE_EVENTS


def record_money_events(uow, events) -> None:
    """A batch of new events (the inbox kept the duplicates out), written in its order; the rows of
    the orders they name read in one statement and written at the commit (issue #30: a SELECT and
    an INSERT per event were a fifth of this service's CPU per order)."""
    from services.partners import invoicing  # it reads this module's helpers

    rows = _order_rows(uow, events)
    for event in events:
        kind = event["type"]
        if kind in SALE_EVENTS:
            record_sale(uow, event)
        elif kind in ORDER_EVENTS:
            record_order(uow, rows, event)
        if kind in SERVICE_EVENTS or kind == "order.delivered":
            invoicing.record_delivered(uow, event)
