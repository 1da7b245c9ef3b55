"""The partners service's figures for the coordinator: `village_figures(uow, date_from, date_to,
village_ids)`, dates inclusive, `village_ids` None = every known village.

Figures, per village (`figures[village_id]`), amounts in cents:
- `funding_public_grant_cents`, `funding_private_sponsor_cents`, `funding_membership_fees_cents`,
  `funding_sales_margin_cents`, `funding_service_contract_cents`: funding received in the period
  (a source counts on its `received_on` date), by kind of source;
- `funding_total_cents`: their sum;
- `campaign_pledged_cents`: pledged in the period to the village's crowdfunding campaigns;
- `campaigns_running`: the village's campaigns still running;
- `catalogue_items`: items in the village's catalogue now;
- `shared_supplier_items`: of those, items from shared suppliers.

Details (`details[name]`, rows):
- `shared_suppliers`: {partner_id, name, village_ids}: suppliers serving several villages
  (network-wide ones have an empty `village_ids`), those serving one of the villages asked;
- `campaigns`: {campaign_id, village_id, title, goal_cents, pledged_cents, status, deadline} of the
  villages asked (network-wide campaigns too when all villages are asked);
- `funding_sources`: {id, village_id, kind, name, partner_name, amount_cents,
  received_on, starts_on, ends_on, services} received in the period (network-wide sources
  too when all villages are asked).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backbone.figures import period_bounds
from services.partners import funding, partners
from services.partners.catalogues import entries_of_known_partners
from services.partners.models import Campaign, CatalogueEntry, KnownVillage, Offer, Partner, Pledge
from services.partners.schemas.funding import FUNDING_KINDS


def village_figures(uow, date_from: date, date_to: date, village_ids=None) -> dict:
    start, end = date_from, date_to
    everything = village_ids is None
    villages = (
        uow.session.scalars(select(KnownVillage.id).order_by(KnownVillage.name)).all()
        if everything
        else list(village_ids)
    )
    figures = {
        v: {
            **{f"funding_{kind}_cents": 0 for kind in FUNDING_KINDS},
            "funding_total_cents": 0,
            "campaign_pledged_cents": 0,
            "campaigns_running": 0,
            "catalogue_items": 0,
            "shared_supplier_items": 0,
        }
        for v in villages
    }

    sources = funding.sources_received(uow, start, end, None if everything else villages)
    for source in sources:
        if source.village_id in figures:
            figures[source.village_id][f"funding_{source.kind}_cents"] += source.amount_cents
            figures[source.village_id]["funding_total_cents"] += source.amount_cents

    since, until = period_bounds(start, end)
    campaign_query = select(Campaign).order_by(Campaign.deadline)
    if not everything:
        campaign_query = campaign_query.where(Campaign.village_id.in_(villages))
    campaigns = uow.session.scalars(campaign_query).all()
    # each sum in one grouped query (a query per campaign or per village does not
    # hold at national scale)
    pledged = dict(
        uow.session.execute(
            select(Pledge.campaign_id, func.sum(Pledge.amount_cents)).group_by(Pledge.campaign_id)
        ).all()
    )
    pledged_in_period = dict(
        uow.session.execute(
            select(Pledge.campaign_id, func.sum(Pledge.amount_cents))
            .where(Pledge.pledged_at >= since, Pledge.pledged_at < until)
            .group_by(Pledge.campaign_id)
        ).all()
    )
    campaign_rows = []
    for campaign in campaigns:
        if campaign.village_id in figures:
            figures[campaign.village_id]["campaign_pledged_cents"] += int(
                pledged_in_period.get(campaign.id) or 0
            )
            figures[campaign.village_id]["campaigns_running"] += campaign.status == "running"
        campaign_rows.append(
            {
                "campaign_id": campaign.id,
                "village_id": campaign.village_id,
                "title": campaign.title,
                "goal_cents": campaign.goal_cents,
                "pledged_cents": int(pledged.get(campaign.id) or 0),
                "status": campaign.status,
                "deadline": campaign.deadline.isoformat(),
            }
        )

    suppliers, shared = [], {}
    for partner in uow.session.scalars(select(Partner).order_by(Partner.name)):
        served = partners.served_villages(uow, partner.id)
        shared[partner.id] = partners.is_shared_supplier(
            partners.relationships_of(uow, partner.id), served
        )
        if shared[partner.id] and (everything or not served or set(served) & set(villages)):
            suppliers.append(
                {"partner_id": partner.id, "name": partner.name, "village_ids": served}
            )

    # every village's catalogue, counted in one query over the rows catalogue_items lists
    for village_id, partner_id, count in uow.session.execute(
        entries_of_known_partners(
            select(CatalogueEntry.village_id, Offer.partner_id, func.count()).select_from(
                CatalogueEntry
            )
        ).group_by(CatalogueEntry.village_id, Offer.partner_id)
    ).all():
        if village_id in figures:
            figures[village_id]["catalogue_items"] += count
            if shared.get(partner_id):
                figures[village_id]["shared_supplier_items"] += count

    names = {p.id: p.name for p in uow.session.scalars(select(Partner))}
    return {
        "figures": figures,
        "details": {
            "shared_suppliers": suppliers,
            "campaigns": campaign_rows,
            "funding_sources": [
                {
                    "id": s.id,
                    "village_id": s.village_id,
                    "kind": s.kind,
                    "name": s.name,
                    "partner_name": names.get(s.partner_id),
                    "amount_cents": s.amount_cents,
                    "received_on": s.received_on.isoformat(),
                    "starts_on": s.starts_on.isoformat(),
                    "ends_on": s.ends_on.isoformat() if s.ends_on else None,
                    "services": list(s.services),
                }
                for s in sources
            ],
        },
    }
