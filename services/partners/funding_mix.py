"""Mixed funding in one picture: per village and period, where its money came from.

- `sales_cents`: what the hub sold (till and orders, every producer's goods and its own), the
  months of the period (services/partners/consignment.py);
- `commune_contracts_cents`: what communes were invoiced for the services they buy there (issued
  invoices of the period's months, services/partners/invoicing.py);
- `subsidies_cents`, `sponsors_cents`, `crowdfunding_cents`, `other_cents`: funding sources received
  in the period (public grants; private sponsors; campaigns funded, each of which became a source of
  its village; fees, margin, contracts recorded by hand);
- `in_kind_cents`: what was given in kind (premises a commune lends under a contract, valued per
  month, and contributions recorded), never money, shown beside it;
- `total_cents`: the money (in kind left out); `shares`: each origin's share of it, in per cent.

A period is counted in whole months (the read models are monthly): the months it touches.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backbone.errors import InvalidInput
from backbone.messages import msg
from services.partners import consignment, funding, invoicing
from services.partners.models import InKindContribution, KnownVillage, Partner

ORIGINS = (
    "sales_cents",
    "commune_contracts_cents",
    "subsidies_cents",
    "sponsors_cents",
    "crowdfunding_cents",
    "other_cents",
)
SOURCE_ORIGIN = {
    "public_grant": "subsidies_cents",
    "private_sponsor": "sponsors_cents",
    "crowdfunding": "crowdfunding_cents",
}


def add_in_kind(uow, data: dict) -> dict:
    if uow.session.get(KnownVillage, data["village_id"]) is None:
        raise InvalidInput({"village_id": [msg("unknown_village", village=data["village_id"])]})
    if data["partner_id"] and uow.session.get(Partner, data["partner_id"]) is None:
        raise InvalidInput({"partner_id": [msg("unknown_partner", partner=data["partner_id"])]})
    row = InKindContribution(**data)
    uow.session.add(row)
    uow.session.flush()
    uow.commit()
    return {
        "id": row.id,
        **{k: getattr(row, k) for k in data},
    }


def funding_mix(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    months = consignment._months_between(date_from, date_to)
    villages = (
        uow.session.scalars(select(KnownVillage.id)).all()
        if village_ids is None
        else list(village_ids)
    )
    wanted = set(villages)
    mix = {v: {**{o: 0 for o in ORIGINS}, "in_kind_cents": 0} for v in villages}

    def add(village_id, origin, cents):
        if village_id in mix:
            mix[village_id][origin] += cents

    for village_id, cents in consignment.sales_by_village(uow, date_from, date_to, wanted).items():
        add(village_id, "sales_cents", cents)
    for village_id, cents in invoicing.invoiced_by_village(uow, months, wanted).items():
        add(village_id, "commune_contracts_cents", cents)
    for source in funding.sources_received(uow, date_from, date_to, list(wanted)):
        add(source.village_id, SOURCE_ORIGIN.get(source.kind, "other_cents"), source.amount_cents)
    for village_id, cents in invoicing.premises_by_village(uow, months, wanted).items():
        add(village_id, "in_kind_cents", cents)
    for row in uow.session.scalars(
        select(InKindContribution).where(
            InKindContribution.month.in_(months), InKindContribution.village_id.in_(list(wanted))
        )
    ):
        add(row.village_id, "in_kind_cents", row.value_cents)
    for figures in mix.values():
        figures["total_cents"] = sum(figures[o] for o in ORIGINS)
        figures["shares"] = {
            o: (round(figures[o] * 100 / figures["total_cents"]) if figures["total_cents"] else 0)
            for o in ORIGINS
        }
    return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "villages": mix}
