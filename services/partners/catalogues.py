"""Service layer for each village's catalogue: a selection of the offers available in the village
(its local partners' and shared suppliers'), each at a local price, available or not.

Every change that alters a village's catalogue writes `catalogue.changed` with the village's whole
catalogue in the same unit of work (`publish_catalogue`), so the orders service can take an order
without ever calling partners. Visibility: the gateway passes the path's village; an entry of
another village is "not found".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.messages import msg
from services.partners import partners
from services.partners.models import CatalogueEntry, KnownVillage, Offer, OfferVillage, Partner


def _item(uow, entry: CatalogueEntry, offer: Offer, partner: Partner, shared: dict) -> dict:
    if partner.id not in shared:
        shared[partner.id] = partners.is_shared_supplier(
            partners.relationships_of(uow, partner.id), partners.served_villages(uow, partner.id)
        )
    return {
        "item_id": entry.id,
        "offer_id": offer.id,
        "partner_id": partner.id,
        "partner_name": partner.name,
        "shared_supplier": shared[partner.id],
        "name": offer.name,
        "kind": offer.kind,
        "unit": offer.unit,
        "price_cents": entry.price_cents,
        "vat_rate": offer.vat_rate,
        "lead_time_days": offer.lead_time_days,
        "cutoff_time": offer.cutoff_time,
        "days": list(offer.days),
        "perishable": offer.perishable,
        "available": entry.available and offer.available,
    }


def entries_of_known_partners(query):
    """`query` (over catalogue entries) joined to each entry's offer and that offer's partner: what
    a catalogue holds (catalogue_items; the coordinator's figures count the same rows)."""
    return query.join(Offer, CatalogueEntry.offer_id == Offer.id).join(
        Partner, Offer.partner_id == Partner.id
    )


def catalogue_items(uow, village_id: str) -> list[dict]:
    """The village's whole catalogue, by partner then name: the items of `catalogue.changed`."""
    rows = uow.session.execute(
        entries_of_known_partners(select(CatalogueEntry, Offer, Partner))
        .where(CatalogueEntry.village_id == village_id)
        .order_by(Partner.name, Offer.name, CatalogueEntry.id)
    ).all()
    shared: dict = {}
    return [_item(uow, entry, offer, partner, shared) for entry, offer, partner in rows]


def publish_catalogue(uow, village_id: str) -> dict:
    """Record `catalogue.changed` for the village (call it inside the unit of work of the change).

    It locks the village's row first (`SELECT … FOR UPDATE` on PostgreSQL): two changes to one
    village's catalogue at once are serialised, so the later snapshot (by
    `occurred_at`) holds both."""
    uow.session.flush()
    uow.session.execute(
        select(KnownVillage.id).where(KnownVillage.id == village_id).with_for_update()
    )
    return uow.record_event(
        "catalogue.changed",
        {"village_id": village_id, "items": catalogue_items(uow, village_id)},
        village_id=village_id,
    )


def villages_selling(uow, offer_id: str) -> list[str]:
    return sorted(
        uow.session.scalars(
            select(CatalogueEntry.village_id).where(CatalogueEntry.offer_id == offer_id)
        ).all()
    )


def villages_selling_partner(uow, partner_id: str) -> list[str]:
    return sorted(
        set(
            uow.session.scalars(
                select(CatalogueEntry.village_id)
                .join(Offer, Offer.id == CatalogueEntry.offer_id)
                .where(Offer.partner_id == partner_id)
            )
        )
    )


def _known_village(uow, village_id: str) -> None:
    if uow.session.get(KnownVillage, village_id) is None:
        raise NotFound("village", village_id)


def get_catalogue(uow, village_id: str) -> dict:
    _known_village(uow, village_id)
    return {"village_id": village_id, "items": catalogue_items(uow, village_id)}


def offer_available_in(uow, offer: Offer, village_id: str) -> bool:
    return uow.session.get(OfferVillage, (offer.id, village_id)) is not None


def add_entry(uow, village_id: str, data: dict) -> dict:
    """Sell an offer here: it must be available in this village (the partner serves it); once per
    offer (409). Its local price is the offer's price unless given."""
    _known_village(uow, village_id)
    offer = uow.session.get(Offer, data["offer_id"])
    if offer is None:
        raise InvalidInput({"offer_id": [msg("unknown_offer", offer=data["offer_id"])]})
    # a shared lock: a removal of the partner committing now waits for this entry, then withdraws it
    if (
        uow.session.scalars(
            select(Partner.ended_at)
            .where(Partner.id == offer.partner_id)
            .with_for_update(read=True)
        ).first()
        is not None
    ):
        raise Conflict("partner_ended", field="offer_id")
    if not offer_available_in(uow, offer, village_id):
        raise InvalidInput({"offer_id": [msg("offer_not_served_here")]})
    existing = uow.session.scalars(
        select(CatalogueEntry).where(
            CatalogueEntry.village_id == village_id, CatalogueEntry.offer_id == offer.id
        )
    ).first()
    if existing is not None:
        raise Conflict("already_in_catalogue", field="offer_id", details={"item_id": existing.id})
    price = offer.price_cents if data["price_cents"] is None else data["price_cents"]
    entry = CatalogueEntry(
        village_id=village_id, offer_id=offer.id, price_cents=price, available=data["available"]
    )
    uow.session.add(entry)
    try:
        uow.session.flush()
    except IntegrityError:  # the same offer added at the same moment by someone else
        uow.rollback()
        raise Conflict("already_in_catalogue", field="offer_id") from None
    entry_id = entry.id
    publish_catalogue(uow, village_id)
    uow.commit()
    return _answer(uow, village_id, entry_id)


def _entry(uow, village_id: str, item_id: str) -> CatalogueEntry:
    entry = uow.session.get(CatalogueEntry, str(item_id))
    if entry is None or entry.village_id != village_id:
        raise NotFound("catalogue_item", str(item_id))
    return entry


def _answer(uow, village_id: str, item_id: str | None) -> dict:
    catalogue = get_catalogue(uow, village_id)
    if item_id is not None:
        catalogue["item"] = next(i for i in catalogue["items"] if i["item_id"] == item_id)
    return catalogue


def update_entry(uow, village_id: str, item_id: str, data: dict) -> dict:
    """Change the local price and/or the availability here."""
    entry = _entry(uow, village_id, item_id)
    if "price_cents" in data:
        entry.price_cents = data["price_cents"]
    if "available" in data:
        entry.available = data["available"]
    publish_catalogue(uow, village_id)
    uow.commit()
    return _answer(uow, village_id, entry.id)


def remove_entry(uow, village_id: str, item_id: str) -> dict:
    entry = _entry(uow, village_id, item_id)
    uow.session.delete(entry)
    publish_catalogue(uow, village_id)
    uow.commit()
    return _answer(uow, village_id, None)
