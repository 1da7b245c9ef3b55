"""The orders service's part of the coordinator's figures: `village_figures(date_from, date_to,
village_ids=None, details=())` -> {"figures": {village_id: {name: number}},
"details": {name: [rows]}}.

A period is two dates ("YYYY-MM-DD", inclusive) on the wall clock of Europe/Paris. Every village
asked for (all known villages when `village_ids` is None) has a line, with
zeros when nothing happened.

Figures (per village):
- `orders`: orders placed at the counter during the period (whatever became of them);
- `sales_cents`: total, VAT included, of the orders collected or delivered during the period
  (refused lines left out);
- `parcels_received`: parcels left at the counter during the period;
- `parcels_handed_over`: parcels handed over to their addressee during the period;
- `help_requests_done`, `help_minutes`: coups de main done (or confirmed) whose window started in
  the period, and the volunteers' minutes they took (`help_requests.help_figures`);
- `help_requests_unmatched`: those still without anyone able to take them (a missing skill);
- `rounds_planned`: delivery rounds of the period serving the village (`rounds.round_figures`);
- `till_sales`: sales at the hub's till during the period (whatever was refunded of them later);
- `solidarity_sales`, `solidarity_sales_cents`: those of them with lines at a solidarity price, and
  what those lines came to (less what was refunded of them), never naming anyone.

`sales_cents` also counts the till (services/orders/till.py): its sales on the day they were made,
less its refunds on the day they were made; the hub's own goods (no partner) count in the
village's sales, not in any partner's.

Details (no personal data; sales by the same rule as `sales_cents`: the economic activity kept in
the territory):
- `partner_sales`: per partner, the villages asked for together, largest first
  (partner_id, partner_name, sales_cents): always;
- `parcels_by_sender`: per kind of sender (La Poste, neighbours…) and, for carriers, per carrier's
  name (a company's; a neighbour's name is personal and left out), the villages asked for together
  (sender_kind, sender_kind_label, sender_name, parcels_received, parcels_handed_over,
  parcels_returned), most parcels first, by the same rules as the villages' parcel figures: always;
- `sales_by_partner`: per village and partner (village_id, partner_id, partner_name, sales_cents),
  only when `details` names it (tens of thousands of rows for a national network's year: the
  export that asks for it, not every look at the page).

The days that are over are read from the daily roll-up (`roll_up`, a timer of the service), and the
whole months of the period that are rolled up from the monthly one (sales by village and partner
from the running totals of the months: `sales_by_village_and_partner`); the other days (today,
yesterday's first hour) are counted from the orders and parcels. Parcels per sender are read from
the daily roll-up when every village is asked, from the parcels of the villages asked otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Date,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from backbone.clock import PARIS, utcnow
from backbone.figures import period_bounds
from services.orders import help_requests, rounds
from services.orders.models import (
    DailyParcelSender,
    DailyPartnerSales,
    DailySales,
    DailyVillage,
    KnownVillage,
    MonthlyPartnerSales,
    MonthlySales,
    MonthlyVillage,
    Order,
    OrderLine,
    Parcel,
    RolledDay,
    RolledMonth,
    RunningSales,
    TillRefund,
    TillRefundLine,
    TillSale,
    TillSaleLine,
)
from services.orders.schemas.parcels import SENDER_LABELS

FIGURES = (
    "orders",
    "sales_cents",
    "parcels_received",
    "parcels_handed_over",
    "help_requests_done",
    "help_minutes",
    "help_requests_unmatched",
    "rounds_planned",
    "till_sales",
    "solidarity_sales",
    "solidarity_sales_cents",
)
TILL_FIGURES = ("till_sales", "solidarity_sales", "solidarity_sales_cents")
SOLD = ("collected", "delivered")
# a day is rolled up this long after its end (Europe/Paris): no transaction that began in it is
# still open by then (an RPC gives up after seconds), so nothing can change its figures any more
ROLL_UP_AFTER = timedelta(hours=1)


# --- counted from the orders (a period's days not rolled up yet, and the roll-up itself) ---------


def _orders_placed(uow, start: datetime, end: datetime, village_ids=None) -> list[tuple[str, int]]:
    query = select(Order.village_id, func.count()).where(
        Order.placed_at >= start, Order.placed_at < end
    )
    if village_ids is not None:
        query = query.where(Order.village_id.in_(village_ids))
    return uow.session.execute(query.group_by(Order.village_id)).all()


def _sales(
    uow, start: datetime, end: datetime, village_ids=None
) -> list[tuple[str, str, str, int]]:
    """(village, partner, partner name, cents) of the orders collected or delivered in [start, end),
    refused lines left out; summed by the database."""
    query = (
        select(
            Order.village_id,
            OrderLine.partner_id,
            func.max(OrderLine.partner_name),
            func.sum(OrderLine.quantity * OrderLine.unit_price_cents),
        )
        .join(Order)
        .where(
            Order.status.in_(SOLD),
            OrderLine.status != "refused",
            Order.closed_at >= start,
            Order.closed_at < end,
        )
    )
    if village_ids is not None:
        query = query.where(Order.village_id.in_(village_ids))
    summed: dict[tuple[str, str], list] = {}
    for v, p, n, c in [
        *uow.session.execute(query.group_by(Order.village_id, OrderLine.partner_id)).all(),
        *_till_partner_sales(uow, start, end, village_ids),
    ]:
        row = summed.setdefault((v, p), [v, p, n, 0])
        row[2] = max(row[2] or "", n or "")
        row[3] += int(c)
    return [tuple(row) for row in summed.values()]


def _till_queries(start: datetime, end: datetime, village_ids, *columns):
    """The till's sale lines sold in [start, end) and the refund lines given back then (their
    amounts negative): two selects of (*columns, cents), to group."""
    sold = (
        select(*columns, TillSaleLine.total_cents.label("cents"))
        .select_from(TillSaleLine)
        .join(TillSale, TillSale.id == TillSaleLine.sale_id)
        .where(TillSale.sold_at >= start, TillSale.sold_at < end)
    )
    given_back = (
        select(*columns, (-TillRefundLine.total_cents).label("cents"))
        .select_from(TillRefundLine)
        .join(TillSaleLine, TillSaleLine.id == TillRefundLine.line_id)
        .join(TillSale, TillSale.id == TillSaleLine.sale_id)  # the columns may name the sale's
        .join(TillRefund, TillRefund.id == TillRefundLine.refund_id)
        .where(TillRefund.refunded_at >= start, TillRefund.refunded_at < end)
    )
    if village_ids is not None:
        sold = sold.where(TillSale.village_id.in_(village_ids))
        given_back = given_back.where(TillRefund.village_id.in_(village_ids))
    return sold, given_back


def _till_partner_sales(uow, start: datetime, end: datetime, village_ids=None) -> list[tuple]:
    """(village, partner, partner name, cents) of the till's partners' lines in [start, end):
    sold less given back."""
    both = union_all(
        *_till_queries(
            start,
            end,
            village_ids,
            TillSale.village_id.label("village_id"),
            TillSaleLine.partner_id.label("partner_id"),
            TillSaleLine.partner_name.label("partner_name"),
        )
    ).subquery()
    return uow.session.execute(
        select(
            both.c.village_id,
            both.c.partner_id,
            func.max(both.c.partner_name),
            func.sum(both.c.cents),
        )
        .where(both.c.partner_id.is_not(None))
        .group_by(both.c.village_id, both.c.partner_id)
    ).all()


def _till_village(uow, start: datetime, end: datetime, village_ids=None) -> dict[str, dict]:
    """{village: {"sales_cents": the hub's own goods sold less given back, "till_sales",
    "solidarity_sales", "solidarity_sales_cents"}} of [start, end)."""
    found: dict[str, dict] = {}

    def village(village_id):
        return found.setdefault(village_id, {"sales_cents": 0, **dict.fromkeys(TILL_FIGURES, 0)})

    both = union_all(
        *_till_queries(
            start,
            end,
            village_ids,
            TillSale.village_id.label("village_id"),
            TillSaleLine.partner_id.label("partner_id"),
            TillSaleLine.solidarity.label("solidarity"),
        )
    ).subquery()
    for village_id, own, solidarity_cents in uow.session.execute(
        select(
            both.c.village_id,
            func.sum(case((both.c.partner_id.is_(None), both.c.cents), else_=0)),
            func.sum(case((both.c.solidarity.is_(True), both.c.cents), else_=0)),
        ).group_by(both.c.village_id)
    ):
        row = village(village_id)
        row["sales_cents"] += int(own or 0)
        row["solidarity_sales_cents"] += int(solidarity_cents or 0)
    counted = (
        select(
            TillSale.village_id,
            func.count(func.distinct(TillSale.id)),
            func.count(func.distinct(case((TillSaleLine.solidarity.is_(True), TillSale.id)))),
        )
        .join(TillSaleLine, TillSaleLine.sale_id == TillSale.id)
        .where(TillSale.sold_at >= start, TillSale.sold_at < end)
    )
    if village_ids is not None:
        counted = counted.where(TillSale.village_id.in_(village_ids))
    for village_id, sales, solidarity_sales in uow.session.execute(
        counted.group_by(TillSale.village_id)
    ):
        row = village(village_id)
        row["till_sales"] += int(sales)
        row["solidarity_sales"] += int(solidarity_sales)
    return found


PARCEL_FIGURES = (
    ("parcels_received", None),
    ("parcels_handed_over", "handed_over"),
    ("parcels_returned", "returned"),
)  # (figure, status: None for every parcel received)
SENDER_FIGURES = tuple(name for name, _status in PARCEL_FIGURES)
VILLAGE_PARCEL_FIGURES = ("parcels_received", "parcels_handed_over")  # returned: per sender only


def _parcel_counts(uow, start: datetime, end: datetime, village_ids, names, keys, shown=()):
    """(figure, rows) for each figure of `names`: the parcels received in [start, end) or, for the
    others, closed then with the figure's status, counted per `keys` (rows:
    *keys, *shown, count)."""
    for name, status in PARCEL_FIGURES:
        if name not in names:
            continue
        column = Parcel.received_at if status is None else Parcel.closed_at
        query = select(*keys, *shown, func.count()).where(column >= start, column < end)
        if status:
            query = query.where(Parcel.status == status)
        if village_ids is not None:
            query = query.where(Parcel.village_id.in_(village_ids))
        yield name, uow.session.execute(query.group_by(*keys)).all()


def _parcels(uow, start: datetime, end: datetime, village_ids=None) -> dict[str, dict[str, int]]:
    """{village: {"parcels_received": n, "parcels_handed_over": n}} of [start, end): parcels left at
    the counter, and parcels handed over to their addressee."""
    counted: dict[str, dict[str, int]] = {}
    for name, rows in _parcel_counts(
        uow, start, end, village_ids, VILLAGE_PARCEL_FIGURES, (Parcel.village_id,)
    ):
        for village_id, count in rows:
            counted.setdefault(village_id, dict.fromkeys(VILLAGE_PARCEL_FIGURES, 0))[name] = count
    return counted


def _spelling(one: str | None, other: str | None) -> str:
    """The spelling of a carrier's name shown: the first in sort order, an empty one aside."""
    return min((name for name in (one, other) if name), default="")


def _parcel_senders(
    uow, start: datetime, end: datetime, village_ids=None
) -> dict[tuple[str, str], dict]:
    """{(sender kind, sender key): {"sender_name", "parcels_received", "parcels_handed_over",
    "parcels_returned"}} of [start, end). A carrier is keyed by its name as the counters typed it,
    lower case and trimmed, and shown in its first spelling in sort order ("DPD" before "dpd");
    the names of other senders (a neighbour's) are not read."""
    carrier = Parcel.sender_kind == "carrier"
    key = case((carrier, func.lower(func.trim(func.coalesce(Parcel.sender_name, "")))), else_="")
    shown = case((carrier, func.trim(Parcel.sender_name)), else_=None)
    counted: dict[tuple[str, str], dict] = {}
    for name, rows in _parcel_counts(
        uow, start, end, village_ids, SENDER_FIGURES, (Parcel.sender_kind, key), (func.min(shown),)
    ):
        for kind, sender_key, typed, count in rows:
            row = counted.setdefault(
                (kind, sender_key), {"sender_name": "", **dict.fromkeys(SENDER_FIGURES, 0)}
            )
            row["sender_name"], row[name] = _spelling(row["sender_name"], typed), count
    return counted


# --- the daily roll-up (a timer of the service) --------------------------------------------------


def _roll_up_day(uow, day: date) -> None:
    """The four daily tables' rows of one day, written with one INSERT each."""
    start, end = period_bounds(day, day)
    villages: dict[str, dict] = {}

    def village(village_id):
        return villages.setdefault(
            village_id,
            {
                "day": day,
                "village_id": village_id,
                "orders": 0,
                "sales_cents": 0,
                "parcels_received": 0,
                "parcels_handed_over": 0,
                **dict.fromkeys(TILL_FIGURES, 0),
            },
        )

    for village_id, count in _orders_placed(uow, start, end):
        village(village_id)["orders"] = int(count)
    by_partner: dict[str, dict] = {}
    sold = _sales(uow, start, end)
    for village_id, partner_id, name, cents in sold:
        village(village_id)["sales_cents"] += cents
        partner = by_partner.setdefault(
            partner_id,
            {"day": day, "partner_id": partner_id, "partner_name": name, "sales_cents": 0},
        )
        partner["sales_cents"] += cents
    for village_id, counts in _parcels(uow, start, end).items():
        village(village_id).update(counts)
    for village_id, counts in _till_village(uow, start, end).items():
        row = village(village_id)
        for name, value in counts.items():
            row[name] += value
    senders = [
        {"day": day, "sender_kind": kind, "sender_key": key, **counts}
        for (kind, key), counts in _parcel_senders(uow, start, end).items()
    ]
    for model, rows in (
        (DailyVillage, list(villages.values())),
        (DailyPartnerSales, list(by_partner.values())),
        (
            DailySales,
            [
                {
                    "day": day,
                    "village_id": v,
                    "partner_id": p,
                    "partner_name": name,
                    "sales_cents": cents,
                }
                for v, p, name, cents in sold
            ],
        ),
        (DailyParcelSender, senders),
    ):
        if rows:
            uow.session.execute(insert(model), rows)


def roll_up(uow, now: datetime | None = None) -> list[date]:
    """Roll up every day that is over and not rolled up yet, from the first order's (or parcel's)
    day on, one transaction per day; then every month whose days (from that first day on) are all
    rolled up. Returns the days rolled up. Replicas may run it at once: a day (a month) is claimed
    in `rolled_days` (`rolled_months`) first, and the one that finds it claimed leaves it."""
    now = now or utcnow()
    firsts = [
        moment
        for moment in (
            uow.session.scalar(select(func.min(Order.placed_at))),
            uow.session.scalar(select(func.min(Parcel.received_at))),
        )
        if moment is not None
    ]
    if not firsts:
        return []
    first = day = min(firsts).astimezone(PARIS).date()
    last = (now - ROLL_UP_AFTER).astimezone(PARIS).date() - timedelta(days=1)
    rolled = set(uow.session.scalars(select(RolledDay.day).where(RolledDay.day >= day)))
    uow.commit()
    done = []
    while day <= last:
        if day not in rolled and _claim(uow, RolledDay, day=day):
            _roll_up_day(uow, day)
            uow.commit()
            done.append(day)
        day += timedelta(days=1)
    _roll_up_months(uow, first, last, rolled | set(done))
    return done


def reopen_day(uow, moment: datetime) -> None:
    """An action that counts on a day already rolled up (the offline counter's, replayed late):
    that day's rows go, and the months from its month on (their running totals build on it), in
    the action's transaction. Until the next roll-up the figures count that day from the orders
    and parcels themselves, as they count today: never without the action, never twice."""
    day = moment.astimezone(PARIS).date()
    if uow.session.get(RolledDay, day) is None:
        return
    for model in (DailyVillage, DailyPartnerSales, DailySales, DailyParcelSender, RolledDay):
        uow.session.execute(delete(model).where(model.day == day))
    month = day.replace(day=1)
    for model in (MonthlyVillage, MonthlyPartnerSales, MonthlySales, RunningSales, RolledMonth):
        uow.session.execute(delete(model).where(model.month >= month))


def _claim(uow, claims, **key) -> bool:
    """Whether this transaction took the day (month) to roll up; rolled back if another did."""
    if uow.session.execute(uow.insert(claims).values(**key).on_conflict_do_nothing()).rowcount == 1:
        return True
    uow.rollback()
    return False


def _month_after(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _roll_up_months(uow, first: date, last: date, rolled: set[date]) -> None:
    """Each month over by `last` whose days from `first` on are all in `rolled` (committed) and not
    rolled up yet: its daily rows summed, one transaction per month, in order (a month's
    running_sales rows add its days to the month before's). The days before the first order have
    no orders, so a month may start before it."""
    rolled_months = set(uow.session.scalars(select(RolledMonth.month)))
    uow.commit()
    month = first.replace(day=1)
    while (after := _month_after(month)) <= last + timedelta(days=1):
        start = max(month, first)
        if month not in rolled_months:
            if not all(start + timedelta(days=n) in rolled for n in range((after - start).days)):
                return  # the months after wait for this one
            # a claim refused is a month another replica rolled up and committed (the claim waits
            # for its transaction): the next month can be added to it
            if _claim(uow, RolledMonth, month=month):
                _sum_month(uow, month, after)
                uow.commit()
        month = after


def _sum_month(uow, month: date, after: date) -> None:
    """The month's rows of monthly_villages, monthly_partner_sales and monthly_sales, summed from
    the daily ones (parcels per sender stay daily: a few rows a day), and of running_sales: the
    month before's plus the month's daily rows."""
    first_day = literal(month, Date)
    uow.session.execute(
        insert(MonthlyVillage).from_select(
            [
                "month",
                "village_id",
                "orders",
                "sales_cents",
                "parcels_received",
                "parcels_handed_over",
                *TILL_FIGURES,
            ],
            select(
                first_day,
                DailyVillage.village_id,
                func.sum(DailyVillage.orders),
                func.sum(DailyVillage.sales_cents),
                func.sum(DailyVillage.parcels_received),
                func.sum(DailyVillage.parcels_handed_over),
                *(func.sum(getattr(DailyVillage, name)) for name in TILL_FIGURES),
            )
            .where(DailyVillage.day >= month, DailyVillage.day < after)
            .group_by(DailyVillage.village_id),
        )
    )
    uow.session.execute(
        insert(MonthlyPartnerSales).from_select(
            ["month", "partner_id", "partner_name", "sales_cents"],
            select(
                first_day,
                DailyPartnerSales.partner_id,
                func.max(DailyPartnerSales.partner_name),
                func.sum(DailyPartnerSales.sales_cents),
            )
            .where(DailyPartnerSales.day >= month, DailyPartnerSales.day < after)
            .group_by(DailyPartnerSales.partner_id),
        )
    )
    uow.session.execute(
        insert(MonthlySales).from_select(
            ["month", "village_id", "partner_id", "partner_name", "sales_cents"],
            select(
                first_day,
                DailySales.village_id,
                DailySales.partner_id,
                func.max(DailySales.partner_name),
                func.sum(DailySales.sales_cents),
            )
            .where(DailySales.day >= month, DailySales.day < after)
            .group_by(DailySales.village_id, DailySales.partner_id),
        )
    )
    before = (month - timedelta(days=1)).replace(day=1)
    running = union_all(
        select(
            RunningSales.village_id,
            RunningSales.partner_id,
            RunningSales.partner_name,
            RunningSales.sales_cents,
            RunningSales.days_sold.label("days_sold"),
        ).where(RunningSales.month == before),
        select(
            DailySales.village_id,
            DailySales.partner_id,
            DailySales.partner_name,
            DailySales.sales_cents,
            literal(1).label("days_sold"),
        ).where(DailySales.day >= month, DailySales.day < after),
    ).subquery()
    uow.session.execute(
        insert(RunningSales).from_select(
            ["month", "village_id", "partner_id", "partner_name", "sales_cents", "days_sold"],
            select(
                first_day,
                running.c.village_id,
                running.c.partner_id,
                func.max(running.c.partner_name),
                func.sum(running.c.sales_cents),
                func.sum(running.c.days_sold),
            ).group_by(running.c.village_id, running.c.partner_id),
        )
    )


def _unrolled_spans(
    rolled: set[date], date_from: date, date_to: date
) -> list[tuple[datetime, datetime]]:
    """[start, end) of each run of days of the period not in `rolled`
    (usually today, or nothing)."""
    spans, day, first = [], date_from, None
    while day <= date_to + timedelta(days=1):
        if day <= date_to and day not in rolled:
            first = first or day
        elif first is not None:
            spans.append(period_bounds(first, day - timedelta(days=1)))
            first = None
        day += timedelta(days=1)
    return spans


def _whole_months(uow, date_from: date, date_to: date) -> dict[date, set[date]]:
    """{first day: its days} of the months rolled up that lie whole within the period."""
    months = {}
    for month in uow.session.scalars(
        select(RolledMonth.month).where(
            RolledMonth.month >= date_from, RolledMonth.month <= date_to
        )
    ):
        after = _month_after(month)
        if after - timedelta(days=1) <= date_to:
            months[month] = {month + timedelta(days=n) for n in range((after - month).days)}
    return months


ROLLED_FIGURES = (
    "orders",
    "sales_cents",
    "parcels_received",
    "parcels_handed_over",
    *TILL_FIGURES,
)


def _rolled_totals(uow, months, days, wanted) -> list[tuple[str, dict[str, int]]]:
    """(village, {figure: value}) for the ROLLED_FIGURES summed over the months given
    (monthly_villages) and the days given (daily_villages)."""
    totals = []
    for model, period_column, periods in (
        (MonthlyVillage, MonthlyVillage.month, months),
        (DailyVillage, DailyVillage.day, days),
    ):
        if not periods:
            continue
        query = select(
            model.village_id, *(func.sum(getattr(model, name)) for name in ROLLED_FIGURES)
        ).where(period_column.in_(sorted(periods)))
        if wanted is not None:
            query = query.where(model.village_id.in_(wanted))
        totals += [
            (v, {name: int(value) for name, value in zip(ROLLED_FIGURES, values)})
            for v, *values in uow.session.execute(query.group_by(model.village_id))
        ]
    return totals


def _rolled_senders(uow, days) -> dict[tuple[str, str], dict]:
    """_parcel_senders' counts over the days given, from daily_parcel_senders (every village)."""
    if not days:
        return {}
    query = (
        select(
            DailyParcelSender.sender_kind,
            DailyParcelSender.sender_key,
            func.min(DailyParcelSender.sender_name),
            *(func.sum(getattr(DailyParcelSender, name)) for name in SENDER_FIGURES),
        )
        .where(DailyParcelSender.day.in_(sorted(days)))
        .group_by(DailyParcelSender.sender_kind, DailyParcelSender.sender_key)
    )
    return {
        (kind, key): {
            "sender_name": typed,
            **{name: int(v) for name, v in zip(SENDER_FIGURES, values)},
        }
        for kind, key, typed, *values in uow.session.execute(query)
    }


def _rolled_sales(uow, months, days, wanted) -> list[tuple[None, str, str, int]]:
    """(None, partner, partner name, cents) summed over the months given and the days given: from
    monthly_partner_sales and daily_partner_sales when every village is asked, from monthly_sales
    and daily_sales for the villages asked otherwise."""
    if wanted is not None:
        sources = [(MonthlySales, MonthlySales.month, months), (DailySales, DailySales.day, days)]
    else:
        sources = [
            (MonthlyPartnerSales, MonthlyPartnerSales.month, months),
            (DailyPartnerSales, DailyPartnerSales.day, days),
        ]
    sold = []
    for model, period_column, periods in sources:
        if not periods:
            continue
        query = (
            select(model.partner_id, func.max(model.partner_name), func.sum(model.sales_cents))
            .where(period_column.in_(sorted(periods)))
            .group_by(model.partner_id)
        )
        if wanted is not None:
            query = query.where(model.village_id.in_(wanted))
        sold += [(None, p, n, int(c)) for p, n, c in uow.session.execute(query).all()]
    return sold


def village_figures(uow, date_from: date, date_to: date, village_ids=None, details=()) -> dict:
    if village_ids is None:
        ids = list(uow.session.scalars(select(KnownVillage.id)).all())
    else:
        ids = list(village_ids)
    figures = {v: {name: 0 for name in FIGURES} for v in ids}
    empty = {
        "partner_sales": [],
        "parcels_by_sender": [],
        **({"sales_by_partner": []} if "sales_by_partner" in details else {}),
    }
    if not ids:
        return {"figures": {}, "details": empty}
    start, end = period_bounds(date_from, date_to)
    wanted = None if village_ids is None else ids
    # the months and days rolled up, from the roll-up tables; the other days (today…) counted from
    # the orders and parcels. What is rolled up is read first and the roll-up rows taken for those
    # months and days only: a day rolled up meanwhile is counted once, from the orders and parcels
    months = _whole_months(uow, date_from, date_to)
    rolled = set(
        uow.session.scalars(
            select(RolledDay.day).where(RolledDay.day >= date_from, RolledDay.day <= date_to)
        )
    )
    in_months = set().union(*months.values())
    totals = _rolled_totals(uow, set(months), rolled - in_months, wanted)
    sold = _rolled_sales(uow, set(months), rolled - in_months, wanted)
    # parcels per sender: every village's from the daily rows; a few villages' from their parcels
    senders = (
        [_rolled_senders(uow, rolled)]
        if wanted is None
        else [_parcel_senders(uow, start, end, wanted)]
    )
    for span_start, span_end in _unrolled_spans(rolled | in_months, date_from, date_to):
        live_sales = _sales(uow, span_start, span_end, wanted)
        totals += [
            (v, {"orders": int(n)}) for v, n in _orders_placed(uow, span_start, span_end, wanted)
        ]
        totals += [(v, {"sales_cents": c}) for v, _p, _n, c in live_sales]
        totals += list(_parcels(uow, span_start, span_end, wanted).items())
        totals += list(_till_village(uow, span_start, span_end, wanted).items())
        sold += [(None, p, n, c) for _v, p, n, c in live_sales]
        if wanted is None:
            senders.append(_parcel_senders(uow, span_start, span_end))

    for village_id, values in totals:
        if village_id in figures:
            for name, value in values.items():
                figures[village_id][name] += value
    per_partner, partner_names = {}, {}
    for _none, partner_id, partner_name, cents in sold:
        per_partner[partner_id] = per_partner.get(partner_id, 0) + cents
        partner_names[partner_id] = partner_name

    for found in (
        help_requests.help_figures(uow, date_from, date_to, wanted),
        rounds.round_figures(uow, date_from, date_to, wanted),
    ):
        for village_id, values in found.items():
            if village_id in figures:
                figures[village_id].update(values)

    found_details = {}
    if "sales_by_partner" in details:
        found_details["sales_by_partner"] = [
            {"village_id": v, "partner_id": p, "partner_name": name, "sales_cents": cents}
            for v, p, name, cents in sales_by_village_and_partner(uow, date_from, date_to, wanted)
            if v in figures
        ]
    partner_rows = [
        {"partner_id": partner_id, "partner_name": partner_names[partner_id], "sales_cents": cents}
        for partner_id, cents in sorted(per_partner.items(), key=lambda item: (-item[1], item[0]))
    ]
    return {
        "figures": figures,
        "details": {
            "partner_sales": partner_rows,
            "parcels_by_sender": _sender_rows(senders),
            **found_details,
        },
    }


def _sender_rows(counts: list[dict[tuple[str, str], dict]]) -> list[dict]:
    """The parcels_by_sender detail: the counts of each part of the period added
    up, most parcels first."""
    summed: dict[tuple[str, str], dict] = {}
    for part in counts:
        for (kind, key), values in part.items():
            row = summed.setdefault(
                (kind, key),
                {
                    "sender_kind": kind,
                    "sender_kind_label": SENDER_LABELS.get(kind, kind),
                    "sender_name": "",
                    **dict.fromkeys(SENDER_FIGURES, 0),
                },
            )
            row["sender_name"] = _spelling(row["sender_name"], values["sender_name"])
            for name in SENDER_FIGURES:
                row[name] += values[name]
    return sorted(
        summed.values(),
        key=lambda r: (-r["parcels_received"], r["sender_kind_label"], r["sender_name"]),
    )


def _running_months(rolled_months: set[date], date_from: date, date_to: date) -> list[date]:
    """The run of rolled-up months whose running_sales rows count the period: its whole months, and
    a month it cuts at either end when fewer of that month's days lie outside the period than
    inside (those are taken away again from the daily rows). Empty when there is none."""
    months, month = [], date_from.replace(day=1)
    while month <= date_to:
        after = _month_after(month)
        inside = (min(after - timedelta(days=1), date_to) - max(month, date_from)).days + 1
        if month in rolled_months and (after - month).days - inside < inside:
            months.append(month)
        elif months:
            break  # a run: what follows a gap is read from the daily rows
        month = after
    return months


# PostgreSQL's memory for the sum and the sort of a national year's ~50,000 rows (village, partner):
# at its default 4 MB both spill to disk, which took most of the query's time (0.5 s of 0.6 s)
SALES_WORK_MEM = "32MB"


def _summed_sales(uow, date_from: date, date_to: date, village_ids=None):
    """(village_id, partner_id, partner_name, sales_cents) per known village and partner with
    sales, by village then partner (a result of database rows, read as they come).

    Summed by the database in one query, however long the period: the difference of two months'
    running_sales rows for the run of months rolled up, the daily rows of the other days rolled up
    (added, or taken away for a month's days outside the period) and the lines of the orders of the
    days not rolled up yet (today)."""
    wanted = None if village_ids is None else list(village_ids)
    months = _running_months(
        set(uow.session.scalars(select(RolledMonth.month))), date_from, date_to
    )
    rolled = set(
        uow.session.scalars(
            select(RolledDay.day).where(RolledDay.day >= date_from, RolledDay.day <= date_to)
        )
    )
    covered: set[date] = set()
    for month in months:
        after = _month_after(month)
        covered |= {month + timedelta(days=n) for n in range((after - month).days)}
    parts = []

    def part(query, village_column, name, cents, days):
        query = query.add_columns(
            name.label("partner_name"), cents.label("cents"), days.label("days")
        )
        if wanted is not None:
            query = query.where(village_column.in_(wanted))
        parts.append(query)

    def running(month, sign):
        part(
            select(RunningSales.village_id, RunningSales.partner_id).where(
                RunningSales.month == month
            ),
            RunningSales.village_id,
            RunningSales.partner_name
            if sign > 0
            else literal(None, RunningSales.partner_name.type),
            RunningSales.sales_cents * sign,
            RunningSales.days_sold * sign,
        )

    def daily(days, sign):
        if days:
            part(
                select(DailySales.village_id, DailySales.partner_id).where(
                    DailySales.day.in_(sorted(days))
                ),
                DailySales.village_id,
                DailySales.partner_name
                if sign > 0
                else literal(None, DailySales.partner_name.type),
                DailySales.sales_cents * sign,
                literal(sign),
            )

    if months:
        running(months[-1], 1)
        before = (months[0] - timedelta(days=1)).replace(day=1)
        running(before, -1)  # no rows before the first month rolled up
        daily({d for d in covered if d < date_from or d > date_to}, -1)
    daily(rolled - covered, 1)
    for span_start, span_end in _unrolled_spans(rolled | covered, date_from, date_to):
        part(
            select(Order.village_id, OrderLine.partner_id)
            .join(Order)
            .where(
                Order.status.in_(SOLD),
                OrderLine.status != "refused",
                Order.closed_at >= span_start,
                Order.closed_at < span_end,
            ),
            Order.village_id,
            OrderLine.partner_name,
            OrderLine.quantity * OrderLine.unit_price_cents,
            literal(1),
        )
        for till_part in _till_queries(
            span_start,
            span_end,
            None,
            TillSale.village_id.label("village_id"),
            TillSaleLine.partner_id.label("partner_id"),
            TillSaleLine.partner_name.label("partner_name"),
        ):
            till_rows = till_part.subquery()
            part(
                select(till_rows.c.village_id, till_rows.c.partner_id).where(
                    till_rows.c.partner_id.is_not(None)
                ),
                till_rows.c.village_id,
                till_rows.c.partner_name,
                till_rows.c.cents,
                literal(1),
            )
    if not parts:
        return []
    sold = union_all(*parts).subquery()
    # ordered by the database as Python orders strings (by code point): "C" in PostgreSQL, SQLite's
    # own; sorting 50,000 rows here costs more than the sum
    postgresql = uow.session.get_bind().dialect.name == "postgresql"
    byte_order = "C" if postgresql else "BINARY"
    if postgresql:  # for this transaction only
        uow.session.execute(text(f"SET LOCAL work_mem = '{SALES_WORK_MEM}'"))
    # a Core statement on the session's connection: the ORM's row loading doubled the reading time
    return uow.session.connection().execute(
        select(
            sold.c.village_id,
            sold.c.partner_id,
            func.max(sold.c.partner_name),
            # a sum of BIGINT is a NUMERIC in PostgreSQL: read as 50,000 Decimals otherwise
            cast(func.sum(sold.c.cents), BigInteger),
        )
        .where(sold.c.village_id.in_(select(KnownVillage.id)))
        .group_by(sold.c.village_id, sold.c.partner_id)
        .having(func.sum(sold.c.days) > 0)
        .order_by(sold.c.village_id.collate(byte_order), sold.c.partner_id.collate(byte_order))
    )


def _one_name(rows) -> dict[str, str]:
    """Each partner's name: the greatest of those its rows carry (a partner renamed during the
    period is shown under one name)."""
    names: dict[str, str] = {}
    for _village_id, partner_id, name, _cents in rows:
        if name > names.get(partner_id, ""):
            names[partner_id] = name
    return names


def sales_by_village_and_partner(uow, date_from: date, date_to: date, village_ids=None) -> list:
    """[village_id, partner_id, partner_name, sales_cents] per village and partner with sales, by
    village then partner (_summed_sales); the `sales_by_partner` detail of village_figures. A
    partner is shown under one name."""
    rows = list(_summed_sales(uow, date_from, date_to, village_ids))
    names = _one_name(rows)
    return [
        [village_id, partner_id, names[partner_id], cents]
        for village_id, partner_id, _n, cents in rows
    ]


def sales_by_partner_table(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    """Sales per village and partner as the `sales_by_partner` RPC sends them (the coordinator's
    CSV export of tens of thousands of rows): columns of numbers, each village and partner named
    once, because the reply's size and the objects made for it are its time (a national year's
    ~50,000 rows: 0.6 MB of JSON, and two lists of numbers to read back, not 50,000 lists):

        {"villages": [village_id], "rows_per_village": [count],
         "partners": [[partner_id, partner_name]],
         "partner": [partner index], "sales_cents": [cents]}

    The rows come by village then partner: the first rows_per_village[0] rows are villages[0]'s,
    and so on; row n is partners[partner[n]]'s sales_cents[n]. A partner is shown under one name."""
    rows = list(_summed_sales(uow, date_from, date_to, village_ids))
    names = _one_name(rows)
    villages: list[str] = []
    counts: list[int] = []
    partners: dict[str, int] = {}
    partner_column: list[int] = []
    cents_column: list[int] = []
    last = None
    for village_id, partner_id, _name, cents in rows:
        if village_id != last:
            villages.append(village_id)
            counts.append(0)
            last = village_id
        counts[-1] += 1
        index = partners.get(partner_id)
        if index is None:
            index = partners[partner_id] = len(partners)
        partner_column.append(index)
        cents_column.append(cents)
    return {
        "villages": villages,
        "rows_per_village": counts,
        "partners": [[partner_id, names[partner_id]] for partner_id in partners],
        "partner": partner_column,
        "sales_cents": cents_column,
    }
