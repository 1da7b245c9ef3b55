"""Service layer for offers: the products and services a partner sells, and where.

An offer's villages must be among those its partner serves (a network-wide partner: any known
village). Creating or changing an offer writes `offer.published`; a change also writes
`catalogue.changed` for each village selling it (one event per village), in the same unit of work.
`partner_id` is whose offers the caller may touch (the partner itself, or the one a coordinator
named): an offer of another partner is "not found".
"""

from __future__ import annotations

from sqlalchemy import select

from backbone.clock import utcnow
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from backbone.paging import windowed
from services.partners import catalogues, partners, removal
from services.partners.models import KnownVillage, Offer, OfferVillage, Partner
from services.partners.schemas import OfferOutput

FIELDS = (
    "name",
    "kind",
    "unit",
    "price_cents",
    "vat_rate",
    "lead_time_days",
    "cutoff_time",
    "days",
    "perishable",
    "available",
)


def _villages(uow, offer_id: str) -> list[str]:
    return sorted(
        uow.session.scalars(
            select(OfferVillage.village_id).where(OfferVillage.offer_id == offer_id)
        )
    )


def _payload(uow, offer: Offer, partner: Partner) -> dict:
    return {
        "offer_id": offer.id,
        "partner_id": partner.id,
        "partner_name": partner.name,
        **{f: getattr(offer, f) for f in FIELDS},
        "days": list(offer.days),
        "village_ids": _villages(uow, offer.id),
    }


def _dump(uow, offer: Offer, partner: Partner) -> dict:
    payload = _payload(uow, offer, partner)
    return OfferOutput().dump(
        {**payload, "id": payload.pop("offer_id"), "updated_at": offer.updated_at}
    )


def _partner(uow, partner_id: str) -> Partner:
    partner = uow.session.get(Partner, str(partner_id))
    if partner is None:
        raise NotFound("partner", str(partner_id))
    return partner


def _offer(uow, partner_id: str, offer_id: str) -> Offer:
    offer = uow.session.get(Offer, str(offer_id))
    if offer is None or offer.partner_id != str(partner_id):
        raise NotFound("offer", str(offer_id))
    return offer


def _check_villages(uow, partner: Partner, village_ids: list[str]) -> None:
    served = partners.served_villages(uow, partner.id)
    wrong = [
        v
        for v in village_ids
        if (v not in served if served else uow.session.get(KnownVillage, v) is None)
    ]
    if wrong:
        raise InvalidInput({"village_ids": [msg("village_not_served", village=v) for v in wrong]})


def _publish(uow, offer: Offer, partner: Partner, *, catalogue_changed: bool) -> None:
    uow.session.flush()
    uow.record_event("offer.published", _payload(uow, offer, partner), village_id=None)
    if catalogue_changed:
        for village_id in catalogues.villages_selling(uow, offer.id):
            catalogues.publish_catalogue(uow, village_id)


def create_offer(uow, partner_id: str, data: dict) -> dict:
    partner = removal.active_partner(uow, partner_id)
    _check_villages(uow, partner, data["village_ids"])
    offer = Offer(partner_id=partner.id, **{f: data[f] for f in FIELDS})
    uow.session.add(offer)
    uow.session.flush()
    for village_id in data["village_ids"]:
        uow.session.add(OfferVillage(offer_id=offer.id, village_id=village_id))
    _publish(uow, offer, partner, catalogue_changed=False)
    uow.commit()
    return _dump(uow, offer, partner)


def update_offer(uow, partner_id: str, offer_id: str, data: dict) -> dict:
    """Replace the offer's terms. A village may leave its villages only once no catalogue sells it
    there (409 naming those villages); every village selling it gets its new catalogue."""
    partner = removal.active_partner(uow, partner_id)
    offer = _offer(uow, partner_id, offer_id)
    _check_villages(uow, partner, data["village_ids"])
    still_sold = [
        v for v in catalogues.villages_selling(uow, offer.id) if v not in data["village_ids"]
    ]
    if still_sold:
        raise Conflict(
            "offer_in_catalogue", field="village_ids", details={"village_ids": still_sold}
        )
    for field in FIELDS:
        setattr(offer, field, data[field])
    offer.updated_at = utcnow()
    current = set(_villages(uow, offer.id))
    for village_id in current - set(data["village_ids"]):
        uow.session.delete(uow.session.get(OfferVillage, (offer.id, village_id)))
    for village_id in set(data["village_ids"]) - current:
        uow.session.add(OfferVillage(offer_id=offer.id, village_id=village_id))
    _publish(uow, offer, partner, catalogue_changed=True)
    uow.commit()
    return _dump(uow, offer, partner)


def withdraw_from_villages_not_served(uow, partner: Partner, served: set[str]) -> None:
    """The partner serves only `served` from now on: its offers stop being offered elsewhere (each
    changed offer published again). No catalogue sells them there (partners.update_partner
    checked it)."""
    for offer in uow.session.scalars(select(Offer).where(Offer.partner_id == partner.id)):
        gone = [v for v in _villages(uow, offer.id) if v not in served]
        for village_id in gone:
            uow.session.delete(uow.session.get(OfferVillage, (offer.id, village_id)))
        if gone:
            offer.updated_at = utcnow()
            _publish(uow, offer, partner, catalogue_changed=False)


def set_availability(uow, partner_id: str, offer_id: str, data: dict) -> dict:
    """The partner is out of it (or has it again): unavailable in every village selling it."""
    partner = removal.active_partner(uow, partner_id)
    offer = _offer(uow, partner_id, offer_id)
    offer.available, offer.updated_at = data["available"], utcnow()
    _publish(uow, offer, partner, catalogue_changed=True)
    uow.commit()
    return _dump(uow, offer, partner)


def get_offer(uow, partner_id: str, offer_id: str) -> dict:
    return _dump(uow, _offer(uow, partner_id, offer_id), _partner(uow, partner_id))


def list_offers(uow, partner_id: str, window: dict | None = None) -> list[dict]:
    partner = _partner(uow, partner_id)
    rows = uow.session.scalars(
        windowed(
            select(Offer).where(Offer.partner_id == partner.id).order_by(Offer.name),
            window,
            Offer.id,
        )
    ).all()
    return [_dump(uow, offer, partner) for offer in rows]


def offers_in_village(uow, village_id: str) -> list[dict]:
    """Offers a village may sell (available there, of a partner whose partnership goes on), by
    partner then name: what a concierge picks from."""
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)
    rows = uow.session.execute(
        select(Offer, Partner)
        .join(OfferVillage, OfferVillage.offer_id == Offer.id)
        .join(Partner, Partner.id == Offer.partner_id)
        .where(OfferVillage.village_id == village_id, Partner.ended_at.is_(None))
        .order_by(Partner.name, Offer.name)
    ).all()
    return [_dump(uow, offer, partner) for offer, partner in rows]
