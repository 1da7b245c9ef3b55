"""A partner's served villages change after registration, on SQLite and PostgreSQL: the coordinator
widens or narrows them, `partner.updated` tells the other services (only when the description they
keep changes), a village still selling its offers cannot be left (409 naming it), its offers stop
being offered where it no longer serves; the events service's copy keeps the newest description,
whatever the order the events arrive in. Over the broker: tests/reliability/test_partner_updated.py;
the console form: tests/gateway/test_backoffice_pages.py."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput
from backbone.schemas import load
from services.events import read_models as events_facts
from services.partners import catalogues, offers, partners
from services.partners.schemas import CatalogueEntryInput, OfferInput, PartnerInput
from services.partners.schemas.partners import PartnerUpdateInput
from tests.support.partners import known_villages
from tests.support.reliability import outbox


def _events(database, type_):
    return [envelope["payload"] for envelope in outbox(database, type_)]


@pytest.fixture
def producer(service_db):
    """Three villages known to partners; a producer serving the first, with an offer there."""
    database = service_db("partners")
    villages = known_villages(database, 3)
    with database.unit_of_work() as uow:
        partner = partners.register_partner(
            uow,
            load(
                PartnerInput(),
                {
                    "name": "Ferme du Puy",
                    "kind": "producer",
                    "village_ids": villages[:1],
                    "relationships": ["supplier"],
                },
            ),
        )["partner"]
    return database, villages, partner


def _update(database, partner_id, **changes):
    with database.unit_of_work() as uow:
        return partners.update_partner(uow, partner_id, load(PartnerUpdateInput(), changes))


def _offer(database, partner_id, village_ids):
    with database.unit_of_work() as uow:
        return offers.create_offer(
            uow,
            partner_id,
            load(
                OfferInput(),
                {
                    "name": "Miel",
                    "kind": "product",
                    "unit": "jar",
                    "price_cents": 800,
                    "vat_rate": 55,
                    "lead_time_days": 1,
                    "cutoff_time": "18:00",
                    "days": ["friday"],
                    "village_ids": village_ids,
                    "perishable": False,
                },
            ),
        )


def test_served_villages_change_and_the_others_are_told(producer):
    database, villages, partner = producer
    widened = _update(database, partner["id"], village_ids=villages[:2])
    assert widened["village_ids"] == sorted(villages[:2]) and widened["shared_supplier"] is True
    _update(database, partner["id"], village_ids=villages[:2])  # the same again: nothing to tell
    _update(database, partner["id"], siret=None)  # not what the others keep
    network = _update(database, partner["id"], village_ids=[])
    assert network["scope"] == "network"
    assert _events(database, "partner.updated") == [
        {
            "partner_id": partner["id"],
            "name": "Ferme du Puy",
            "kind": "producer",
            "village_ids": sorted(villages[:2]),
            "relationships": ["supplier"],
            "skills": [],
            "ended_at": None,
        },
        {
            "partner_id": partner["id"],
            "name": "Ferme du Puy",
            "kind": "producer",
            "village_ids": [],
            "relationships": ["supplier"],
            "skills": [],
            "ended_at": None,
        },
    ]


def test_an_unknown_village_or_one_still_selling_its_offers_is_refused_naming_it(producer):
    database, villages, partner = producer
    with pytest.raises(InvalidInput) as unknown:
        _update(database, partner["id"], village_ids=[str(uuid.uuid4())])
    assert list(unknown.value.errors) == ["village_ids"]
    offer = _offer(database, partner["id"], villages[:1])
    with database.unit_of_work() as uow:
        catalogues.add_entry(
            uow, villages[0], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    with pytest.raises(Conflict) as sold:
        _update(database, partner["id"], village_ids=villages[1:2])
    assert sold.value.reason == "partner_sold_there" and sold.value.field == "village_ids"
    assert sold.value.details == {"village_ids": [villages[0]]}
    assert partners_served(database, partner["id"]) == villages[:1], "nothing half-written"
    assert _events(database, "partner.updated") == []


def partners_served(database, partner_id):
    with database.unit_of_work() as uow:
        return partners.served_villages(uow, partner_id)


def test_its_offers_stop_being_offered_where_it_no_longer_serves(producer):
    database, villages, partner = producer
    _update(database, partner["id"], village_ids=villages[:2])
    offer = _offer(database, partner["id"], villages[:2])
    _update(database, partner["id"], village_ids=villages[1:3])
    with database.unit_of_work() as uow:
        assert offers.get_offer(uow, partner["id"], offer["id"])["village_ids"] == [villages[1]]
    assert _events(database, "offer.published")[-1]["village_ids"] == [villages[1]]


# --- the events service's copy -------------------------------------------------------------------


def _partner_event(type_, partner_id, occurred_at, village_ids, name="Ferme du Puy"):
    payload = {
        "partner_id": partner_id,
        "name": name,
        "kind": "producer",
        "village_ids": village_ids,
    }
    if type_ == "partner.updated":
        payload["relationships"] = ["co_organiser"]
    return parse_envelope(
        build_envelope(type_, payload, village_id=None, source="partners", occurred_at=occurred_at)
    )


def test_the_events_copy_keeps_the_newest_description_and_lists_partners_where_they_serve(
    service_db,
):
    database = service_db("events")
    partner, here, there = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    joined = _partner_event("partner.joined", partner, now - timedelta(days=1), [here])
    moved = _partner_event("partner.updated", partner, now, [there], name="Ferme du Puy (GAEC)")
    older = _partner_event("partner.updated", partner, now - timedelta(hours=1), [here])
    for event in (moved, older, joined):  # the newest first, the joining last
        with database.unit_of_work() as uow:
            events_facts.record_partner(uow, event)
    with database.unit_of_work() as uow:
        [known] = events_facts.known_partners(uow, there)
        assert events_facts.known_partners(uow, here) == []
    assert known["name"] == "Ferme du Puy (GAEC)" and known["village_ids"] == [there]
    assert datetime.fromisoformat(known["joined_at"]) == joined["occurred_at"]
