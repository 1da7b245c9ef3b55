"""The orders service's part of the coordinator's figures: `village_figures(date_from, date_to,
village_ids=None)` -> {"figures": {village_id: {name: number}}, "details": {name: [rows]}}.

A period is two dates ("YYYY-MM-DD", inclusive) on the wall clock of Europe/Paris. Every village
asked for (all known villages when `village_ids` is None) has a line, with zeros when nothing happened.

Figures (per village):
- `orders`: orders placed at the counter during the period (whatever became of them);
- `sales_cents`: total, VAT included, of the orders collected or delivered during the period
  (refused lines left out);
- `parcels_received`: parcels left at the counter during the period;
- `parcels_handed_over`: parcels handed over to their addressee during the period;
- `help_requests_done`, `help_minutes`: coups de main done (or confirmed) whose window started in
  the period, and the volunteers' minutes they took (`help_requests.help_figures`);
- `help_requests_unmatched`: those still without anyone able to take them (a missing skill);
- `rounds_planned`: delivery rounds of the period serving the village (`rounds.round_figures`).

Details (no personal data):
- `sales_by_partner`: per village and partner, the sales of the period (same rule as
  `sales_cents`): the economic activity kept in the territory
  (village_id, partner_id, partner_name, sales_cents).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from backbone.figures import WALL_CLOCK, period_bounds
from backbone.tables import utcnow
from services.orders import help_requests, rounds
from services.orders.models import (
    DailyOrders, DailySales, KnownVillage, Order, OrderLine, Parcel, RolledDay,
)

FIGURES = ("orders", "sales_cents", "parcels_received", "parcels_handed_over",
           "help_requests_done", "help_minutes", "help_requests_unmatched", "rounds_planned")
SOLD = ("collected", "delivered")
# a day is rolled up this long after its end (Europe/Paris): no transaction that began in it is
# still open by then (an RPC gives up after seconds), so nothing can change its figures any more
ROLL_UP_AFTER = timedelta(hours=1)


# --- counted from the orders (a period's days not rolled up yet, and the roll-up itself) ---------

def _orders_placed(uow, start: datetime, end: datetime, village_ids=None) -> list[tuple[str, int]]:
    query = select(Order.village_id, func.count()).where(Order.placed_at >= start, Order.placed_at < end)
    if village_ids is not None:
        query = query.where(Order.village_id.in_(village_ids))
    return uow.session.execute(query.group_by(Order.village_id)).all()


def _sales(uow, start: datetime, end: datetime, village_ids=None) -> list[tuple[str, str, str, int]]:
    """(village, partner, partner name, cents) of the orders collected or delivered in [start, end),
    refused lines left out; summed by the database."""
    query = (select(Order.village_id, OrderLine.partner_id, func.max(OrderLine.partner_name),
                    func.sum(OrderLine.quantity * OrderLine.unit_price_cents)).join(Order)
             .where(Order.status.in_(SOLD), OrderLine.status != "refused",
                    Order.closed_at >= start, Order.closed_at < end))
    if village_ids is not None:
        query = query.where(Order.village_id.in_(village_ids))
    return [(v, p, n, int(c)) for v, p, n, c in
            uow.session.execute(query.group_by(Order.village_id, OrderLine.partner_id)).all()]


# --- the daily roll-up (a timer of the service) --------------------------------------------------

def roll_up(uow, now: datetime | None = None) -> list[date]:
    """Roll up every day that is over and not rolled up yet, from the first order's day on, one
    transaction per day; returns the days rolled up. Replicas may run it at once: a day is claimed
    in `rolled_days` first, and the one that finds it claimed leaves it."""
    now = now or utcnow()
    first_placed = uow.session.scalar(select(func.min(Order.placed_at)))
    if first_placed is None:
        return []
    day = first_placed.astimezone(WALL_CLOCK).date()
    last = (now - ROLL_UP_AFTER).astimezone(WALL_CLOCK).date() - timedelta(days=1)
    rolled = set(uow.session.scalars(select(RolledDay.day).where(RolledDay.day >= day)))
    uow.commit()
    done = []
    while day <= last:
        if day not in rolled:
            claimed = uow.session.execute(uow.insert(RolledDay).values(day=day).on_conflict_do_nothing()).rowcount
            if claimed == 1:
                start, end = period_bounds(day, day)
                uow.session.add_all(DailyOrders(day=day, village_id=v, orders=n)
                                    for v, n in _orders_placed(uow, start, end))
                uow.session.add_all(DailySales(day=day, village_id=v, partner_id=p, partner_name=name, sales_cents=c)
                                    for v, p, name, c in _sales(uow, start, end))
                uow.commit()
                done.append(day)
            else:
                uow.rollback()
        day += timedelta(days=1)
    return done


def _unrolled_spans(rolled: set[date], date_from: date, date_to: date) -> list[tuple[datetime, datetime]]:
    """[start, end) of each run of days of the period not in `rolled` (usually today, or nothing)."""
    spans, day, first = [], date_from, None
    while day <= date_to + timedelta(days=1):
        if day <= date_to and day not in rolled:
            first = first or day
        elif first is not None:
            spans.append(period_bounds(first, day - timedelta(days=1)))
            first = None
        day += timedelta(days=1)
    return spans


def village_figures(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    if village_ids is None:
        ids = list(uow.session.scalars(select(KnownVillage.id)).all())
    else:
        ids = list(village_ids)
    figures = {v: {name: 0 for name in FIGURES} for v in ids}
    if not ids:
        return {"figures": {}, "details": {"sales_by_partner": []}}
    start, end = period_bounds(date_from, date_to)
    wanted = None if village_ids is None else ids
    # the days rolled up, from the daily tables; the others (today…) counted from the orders. The
    # rolled days are read first and the daily rows taken for those days only: a day rolled up
    # meanwhile is counted once, from the orders
    rolled = set(uow.session.scalars(select(RolledDay.day).where(RolledDay.day >= date_from,
                                                                 RolledDay.day <= date_to)))
    orders_query = select(DailyOrders.village_id, func.sum(DailyOrders.orders)).where(DailyOrders.day.in_(rolled))
    sales_query = select(DailySales.village_id, DailySales.partner_id, func.max(DailySales.partner_name),
                         func.sum(DailySales.sales_cents)).where(DailySales.day.in_(rolled))
    if wanted is not None:
        orders_query = orders_query.where(DailyOrders.village_id.in_(wanted))
        sales_query = sales_query.where(DailySales.village_id.in_(wanted))
    placed = list(uow.session.execute(orders_query.group_by(DailyOrders.village_id)).all())
    sold = [(v, p, n, int(c)) for v, p, n, c in
            uow.session.execute(sales_query.group_by(DailySales.village_id, DailySales.partner_id)).all()]
    for span_start, span_end in _unrolled_spans(rolled, date_from, date_to):
        placed += _orders_placed(uow, span_start, span_end, wanted)
        sold += _sales(uow, span_start, span_end, wanted)

    for village_id, count in placed:
        if village_id in figures:
            figures[village_id]["orders"] += int(count)
    by_partner, partner_names = {}, {}
    for village_id, partner_id, partner_name, cents in sold:
        if village_id in figures:
            figures[village_id]["sales_cents"] += cents
            by_partner[(village_id, partner_id)] = by_partner.get((village_id, partner_id), 0) + cents
            partner_names[partner_id] = partner_name

    for column, name in ((Parcel.received_at, "parcels_received"), (Parcel.closed_at, "parcels_handed_over")):
        query = select(Parcel.village_id, func.count()).where(Parcel.village_id.in_(ids), column >= start, column < end)
        if name == "parcels_handed_over":
            query = query.where(Parcel.status == "handed_over")
        for village_id, count in uow.session.execute(query.group_by(Parcel.village_id)).all():
            figures[village_id][name] = count

    for found in (help_requests.help_figures(uow, date_from, date_to, ids),
                  rounds.round_figures(uow, date_from, date_to, ids)):
        for village_id, values in found.items():
            if village_id in figures:
                figures[village_id].update(values)

    rows = [{"village_id": village_id, "partner_id": partner_id, "partner_name": partner_names[partner_id],
             "sales_cents": cents} for (village_id, partner_id), cents in sorted(by_partner.items())]
    return {"figures": figures, "details": {"sales_by_partner": rows}}
