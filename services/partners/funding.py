"""Service layer for funding sources, per village or for the whole network: public grants, private
sponsors, membership fees, sales margin, and a local authority's service contract (services bought,
amount, period: the commune is a client, not only a funder). `village_ids` is what the caller may
see (None: everything, network-wide sources included)."""

from __future__ import annotations

from sqlalchemy import select

from backbone.errors import InvalidInput
from backbone.messages import msg
from backbone.paging import windowed
from services.partners.models import FundingSource, KnownVillage, Partner
from services.partners.schemas import FundingSourceOutput


def _dump(uow, source: FundingSource) -> dict:
    partner = uow.session.get(Partner, source.partner_id) if source.partner_id else None
    return FundingSourceOutput().dump(
        {
            **{
                c: getattr(source, c)
                for c in (
                    "id",
                    "kind",
                    "name",
                    "village_id",
                    "partner_id",
                    "amount_cents",
                    "starts_on",
                    "ends_on",
                    "received_on",
                    "created_at",
                )
            },
            "services": list(source.services),
            "partner_name": partner.name if partner else None,
        }
    )


def add_funding_source(uow, data: dict) -> dict:
    if data["village_id"] and uow.session.get(KnownVillage, data["village_id"]) is None:
        raise InvalidInput({"village_id": [msg("unknown_village", village=data["village_id"])]})
    partner = uow.session.get(Partner, data["partner_id"]) if data["partner_id"] else None
    if data["partner_id"] and partner is None:
        raise InvalidInput({"partner_id": [msg("unknown_partner", partner=data["partner_id"])]})
    if data["kind"] == "service_contract" and partner.kind != "local_authority":
        raise InvalidInput({"partner_id": [msg("contract_buyer_not_authority")]})
    source = FundingSource(
        **{k: v for k, v in data.items() if k != "received_on"},
        received_on=data["received_on"] or data["starts_on"],
    )
    uow.session.add(source)
    uow.session.flush()
    uow.commit()
    return _dump(uow, source)


def list_funding_sources(uow, village_ids=None, window: dict | None = None) -> list[dict]:
    """Every source (None), or those of the villages given (a village's concierge)."""
    query = select(FundingSource).order_by(FundingSource.received_on, FundingSource.name)
    if village_ids is not None:
        query = query.where(FundingSource.village_id.in_(list(village_ids)))
    return [_dump(uow, s) for s in uow.session.scalars(windowed(query, window, FundingSource.id))]


def sources_received(uow, date_from, date_to, village_ids=None):
    """Sources received in [date_from, date_to] (figures), village ones only when
    `village_ids` is given."""
    query = select(FundingSource).where(
        FundingSource.received_on >= date_from, FundingSource.received_on <= date_to
    )
    if village_ids is not None:
        query = query.where(FundingSource.village_id.in_(list(village_ids)))
    return uow.session.scalars(query.order_by(FundingSource.received_on)).all()
