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

from datetime import date

from sqlalchemy import func, select

from backbone.figures import period_bounds
from services.orders import help_requests, rounds
from services.orders.models import KnownVillage, Order, OrderLine, Parcel

FIGURES = ("orders", "sales_cents", "parcels_received", "parcels_handed_over",
           "help_requests_done", "help_minutes", "help_requests_unmatched", "rounds_planned")


def village_figures(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    if village_ids is None:
        ids = list(uow.session.scalars(select(KnownVillage.id)).all())
    else:
        ids = list(village_ids)
    figures = {v: {name: 0 for name in FIGURES} for v in ids}
    if not ids:
        return {"figures": {}, "details": {"sales_by_partner": []}}
    start, end = period_bounds(date_from, date_to)

    for village_id, count in uow.session.execute(select(Order.village_id, func.count()).where(
            Order.village_id.in_(ids), Order.placed_at >= start, Order.placed_at < end)
            .group_by(Order.village_id)).all():
        figures[village_id]["orders"] = count

    # summed by the database: at national scale a year holds millions of lines
    by_partner, partner_names = {}, {}
    for village_id, partner_id, partner_name, cents in uow.session.execute(
            select(Order.village_id, OrderLine.partner_id, func.max(OrderLine.partner_name),
                   func.sum(OrderLine.quantity * OrderLine.unit_price_cents)).join(Order).where(
                Order.village_id.in_(ids), Order.status.in_(("collected", "delivered")),
                OrderLine.status != "refused", Order.closed_at >= start, Order.closed_at < end)
            .group_by(Order.village_id, OrderLine.partner_id)).all():
        figures[village_id]["sales_cents"] += int(cents)
        by_partner[(village_id, partner_id)] = int(cents)
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
