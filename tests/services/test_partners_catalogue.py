"""Partners, offers and village catalogues in the partners service, on SQLite and PostgreSQL: the
partner profile (relationships, scope, contacts, SIRET), offers limited to the villages a partner
serves, a shared supplier sold in two villages at two local prices, `catalogue.changed` written
with the village's whole catalogue by every change (one per village when an offer changes), bad
input named field by field; and over real RPC, that the typed errors cross as themselves."""

import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.partners import catalogues, offers, partners
from services.partners.schemas import (
    AvailabilityInput,
    CatalogueEntryInput,
    CatalogueEntryUpdate,
    OfferInput,
    PartnerInput,
    siret_is_valid,
)
from services.partners.schemas.partners import PartnerUpdateInput
from services.partners.service import PartnersService
from tests.support.messages import without_code
from tests.support.partners import known_villages
from tests.support.partners import register as register_partner
from tests.support.reliability import outbox

BIOCOOP_SIRET = "73282932000074"  # a real, Luhn-valid SIRET
LA_POSTE_SIRET = "35600000000001"  # SIREN 356000000: digits sum to 15, a multiple of 5


def register(database, **data):
    data.setdefault("kind", "producer")
    data.setdefault("name", f"Partenaire {uuid.uuid4().hex[:6]}")
    return register_partner(database, **data)


def offer_input(villages, **change):
    data = {
        "name": "Yaourts fermiers",
        "kind": "product",
        "unit": "piece",
        "price_cents": 250,
        "vat_rate": 55,
        "lead_time_days": 2,
        "cutoff_time": "18:00",
        "days": ["tuesday", "friday"],
        "village_ids": villages,
        "perishable": True,
    }
    data.update(change)
    return data


@pytest.fixture
def world(service_db):
    """Three known villages; a shared supplier serving the first two; a local
    producer of the third."""
    database = service_db("partners")
    now = datetime.now(UTC)
    villages = known_villages(database, 3, now)
    shared = register(
        database,
        name="GAEC des Trois Fontaines",
        village_ids=villages[:2],
        relationships=["supplier", "co_organiser"],
        siret=BIOCOOP_SIRET,
        contacts=[{"name": "Mme Lachaud", "role": "gérante", "phone": "05 55 00 00 00"}],
    )
    local = register(
        database, name="Fromagerie du Lac", village_ids=[villages[2]], relationships=["supplier"]
    )
    return database, villages, shared, local


def test_siret_is_checked_la_poste_being_the_known_exception():
    assert siret_is_valid(BIOCOOP_SIRET)
    assert not siret_is_valid("73282932000075")  # one digit off
    assert not siret_is_valid("7328293200007")  # 13 digits
    assert not siret_is_valid("7328293200007A")
    assert siret_is_valid(LA_POSTE_SIRET)  # Luhn fails, La Poste's rule holds
    assert not siret_is_valid("35600000000002")


def test_a_partner_profile_has_relationships_scope_contacts_and_siret(world):
    database, villages, shared, local = world
    assert shared["relationships"] == ["co_organiser", "supplier"] and shared["scope"] == "cluster"
    assert shared["shared_supplier"] is True and shared["siret"] == BIOCOOP_SIRET
    assert shared["contacts"] == [
        {"name": "Mme Lachaud", "role": "gérante", "phone": "05 55 00 00 00", "email": None}
    ]
    assert local["scope"] == "village" and local["shared_supplier"] is False
    poste = register(
        database,
        name="La Poste",
        kind="national_company",
        relationships=["logistics", "client"],
        siret="356 000 000 00001",
    )
    assert (
        poste["scope"] == "network"
        and poste["siret"] == LA_POSTE_SIRET
        and not poste["shared_supplier"]
    )
    network_supplier = register(
        database, name="Biocoop", kind="merchant", relationships=["supplier"]
    )
    assert network_supplier["shared_supplier"] is True, (
        "a network-wide supplier serves several villages"
    )
    with database.unit_of_work() as uow:
        assert {p["name"] for p in partners.list_partners(uow, villages[2])} == {
            "Fromagerie du Lac",
            "La Poste",
            "Biocoop",
        }
        assert partners.get_partner(uow, shared["id"])["village_ids"] == sorted(villages[:2])
    # what partner.joined already said is unchanged
    assert outbox(database, "partner.joined")[0]["payload"]["village_ids"] == villages[:2]


def test_bad_partner_input_names_each_field(world):
    database, villages, _shared, _local = world

    def refused(**data):
        with pytest.raises(InvalidInput) as err:
            load(PartnerInput(), {"name": "Boulangerie", "kind": "artisan", **data})
        return err.value.errors

    assert refused(siret="73282932000075")["siret"] == ["Not a valid SIRET (14 digits, checked)."]
    assert "relationships" in refused(relationships=["friend"])
    assert "relationships" in refused(relationships=["supplier", "supplier"])
    assert "scope" in refused(scope="cluster", village_ids=[villages[0]])
    assert "scope" in refused(scope="network", village_ids=[villages[0]])
    assert "phone" in refused(contacts=[{"name": "Sans moyen de contact"}])["contacts"][0]
    assert "kind" in refused(kind="bank")
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as unknown:
        partners.register_partner(
            uow,
            load(
                PartnerInput(),
                {"name": "X Y", "kind": "artisan", "village_ids": [str(uuid.uuid4())]},
            ),
        )
    assert "village_ids" in unknown.value.errors


def test_a_shared_supplier_is_sold_in_two_villages_at_two_local_prices(world):
    database, villages, shared, _local = world
    with database.unit_of_work() as uow:
        offer = offers.create_offer(
            uow, shared["id"], load(OfferInput(), offer_input(villages[:2]))
        )
    assert outbox(database, "offer.published")[0]["payload"]["village_ids"] == sorted(villages[:2])
    with database.unit_of_work() as uow:
        first = catalogues.add_entry(
            uow,
            villages[0],
            load(CatalogueEntryInput(), {"offer_id": offer["id"], "price_cents": 260}),
        )
    with database.unit_of_work() as uow:
        second = catalogues.add_entry(
            uow,
            villages[1],
            load(CatalogueEntryInput(), {"offer_id": offer["id"], "price_cents": 290}),
        )
    assert first["item"]["price_cents"] == 260 and second["item"]["price_cents"] == 290
    assert (
        first["item"]["shared_supplier"] is True
        and first["item"]["partner_name"] == "GAEC des Trois Fontaines"
    )

    changed = outbox(database, "catalogue.changed")
    assert [
        (e["village_id"], [i["price_cents"] for i in e["payload"]["items"]]) for e in changed
    ] == [(villages[0], [260]), (villages[1], [290])]
    for envelope in changed:
        parse_envelope(envelope)  # valid against the contract others build on
    item = changed[0]["payload"]["items"][0]
    assert item == {
        "item_id": first["item"]["item_id"],
        "offer_id": offer["id"],
        "partner_id": shared["id"],
        "partner_name": "GAEC des Trois Fontaines",
        "shared_supplier": True,
        "name": "Yaourts fermiers",
        "kind": "product",
        "unit": "piece",
        "price_cents": 260,
        "vat_rate": 55,
        "lead_time_days": 2,
        "cutoff_time": "18:00",
        "days": ["tuesday", "friday"],
        "perishable": True,
        "available": True,
    }

    # the partner raises its price and runs out: one offer.published, one
    # catalogue.changed per village
    with database.unit_of_work() as uow:
        offers.update_offer(
            uow,
            shared["id"],
            offer["id"],
            load(
                OfferInput(),
                offer_input(villages[:2], price_cents=300, name="Yaourts fermiers nature"),
            ),
        )
    changed = outbox(database, "catalogue.changed")[2:]
    assert sorted(e["village_id"] for e in changed) == sorted(villages[:2])
    assert all(e["payload"]["items"][0]["name"] == "Yaourts fermiers nature" for e in changed)
    assert {e["village_id"]: e["payload"]["items"][0]["price_cents"] for e in changed} == {
        villages[0]: 260,
        villages[1]: 290,
    }, "local prices stay local"
    with database.unit_of_work() as uow:
        offers.set_availability(
            uow, shared["id"], offer["id"], load(AvailabilityInput(), {"available": False})
        )
    assert [
        e["payload"]["items"][0]["available"] for e in outbox(database, "catalogue.changed")[4:]
    ] == [False, False]
    assert len(outbox(database, "offer.published")) == 3
    with database.unit_of_work() as uow:
        assert catalogues.get_catalogue(uow, villages[0])["items"][0]["available"] is False


def test_a_concierge_reprices_marks_out_of_stock_and_removes_an_item(world):
    database, villages, shared, _local = world
    with database.unit_of_work() as uow:
        offer = offers.create_offer(
            uow, shared["id"], load(OfferInput(), offer_input(villages[:2], price_cents=400))
        )
    with database.unit_of_work() as uow:
        added = catalogues.add_entry(
            uow, villages[0], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    item_id = added["item"]["item_id"]
    assert added["item"]["price_cents"] == 400, "the offer's price unless a local one is given"
    with database.unit_of_work() as uow:
        repriced = catalogues.update_entry(
            uow, villages[0], item_id, load(CatalogueEntryUpdate(), {"price_cents": 420})
        )
    with database.unit_of_work() as uow:
        out = catalogues.update_entry(
            uow, villages[0], item_id, load(CatalogueEntryUpdate(), {"available": False})
        )
    assert repriced["item"]["price_cents"] == 420 and out["item"]["available"] is False
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        catalogues.update_entry(
            uow, villages[1], item_id, load(CatalogueEntryUpdate(), {"price_cents": 1})
        )  # another village's item
    with database.unit_of_work() as uow:
        assert catalogues.remove_entry(uow, villages[0], item_id)["items"] == []
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        catalogues.remove_entry(uow, villages[0], item_id)
    payloads = [e["payload"]["items"] for e in outbox(database, "catalogue.changed")]
    assert [[(i["price_cents"], i["available"]) for i in items] for items in payloads] == [
        [(400, True)],
        [(420, True)],
        [(420, False)],
        [],
    ]


def test_bad_offer_and_catalogue_input_is_refused_with_nothing_written(world):
    database, villages, shared, local = world

    def refused_offer(data, partner=None):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            offers.create_offer(uow, partner or shared["id"], load(OfferInput(), data))
        return err.value.errors

    assert "price_cents" in refused_offer(offer_input(villages[:2], price_cents=-1))
    assert "price_cents" in refused_offer(offer_input(villages[:2], price_cents=2.5))
    assert "price_cents" in refused_offer(offer_input(villages[:2], price_cents="250"))
    assert "vat_rate" in refused_offer(offer_input(villages[:2], vat_rate=196))
    assert "cutoff_time" in refused_offer(offer_input(villages[:2], cutoff_time="25:00"))
    assert "days" in refused_offer(offer_input(villages[:2], days=["funday"]))
    assert "days" in refused_offer(offer_input(villages[:2], days=["monday", "monday"]))
    assert "unit" in refused_offer(offer_input(villages[:2], unit="barrel"))
    assert refused_offer(offer_input([villages[0], villages[2]]))["village_ids"] == [
        f"Not served by this partner: {villages[2]}."
    ]
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        offers.create_offer(uow, str(uuid.uuid4()), load(OfferInput(), offer_input(villages[:2])))
    assert outbox(database, "offer.published") == []

    with database.unit_of_work() as uow:
        offer = offers.create_offer(
            uow, shared["id"], load(OfferInput(), offer_input([villages[0]]))
        )
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as elsewhere:
        catalogues.add_entry(
            uow, villages[1], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )  # the partner serves it, the offer not
    assert "offer_id" in elsewhere.value.errors
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as not_served:
        catalogues.add_entry(
            uow, villages[2], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    assert not_served.value.errors == {
        "offer_id": ["This offer is not available in this village: its partner does not serve it."]
    }
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as negative:
        catalogues.add_entry(
            uow,
            villages[0],
            load(CatalogueEntryInput(), {"offer_id": offer["id"], "price_cents": -5}),
        )
    assert "price_cents" in negative.value.errors
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as unknown:
        catalogues.add_entry(
            uow, villages[0], load(CatalogueEntryInput(), {"offer_id": str(uuid.uuid4())})
        )
    assert "offer_id" in unknown.value.errors
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        catalogues.add_entry(
            uow, str(uuid.uuid4()), load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    assert outbox(database, "catalogue.changed") == []

    with database.unit_of_work() as uow:
        catalogues.add_entry(
            uow, villages[0], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        catalogues.add_entry(
            uow, villages[0], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    assert twice.value.reason == "already_in_catalogue" and twice.value.field == "offer_id"
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as empty:
        catalogues.update_entry(
            uow, villages[0], str(uuid.uuid4()), load(CatalogueEntryUpdate(), {})
        )
    assert "price_cents" in empty.value.errors
    # an offer cannot leave a village that still sells it
    with database.unit_of_work() as uow, pytest.raises(Conflict) as still_sold:
        offers.update_offer(
            uow, shared["id"], offer["id"], load(OfferInput(), offer_input([villages[1]]))
        )
    assert still_sold.value.reason == "offer_in_catalogue" and still_sold.value.details == {
        "village_ids": [villages[0]]
    }
    # another partner's offer is not found
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        offers.set_availability(
            uow, local["id"], offer["id"], load(AvailabilityInput(), {"available": False})
        )
    assert len(outbox(database, "catalogue.changed")) == 1


def test_a_partner_profile_is_updated_and_its_catalogues_follow_its_shared_supplier_status(world):
    database, villages, shared, _local = world
    with database.unit_of_work() as uow:
        offer = offers.create_offer(
            uow, shared["id"], load(OfferInput(), offer_input(villages[:2]))
        )
    with database.unit_of_work() as uow:
        catalogues.add_entry(
            uow, villages[1], load(CatalogueEntryInput(), {"offer_id": offer["id"]})
        )
    with database.unit_of_work() as uow:
        updated = partners.update_partner(
            uow,
            shared["id"],
            load(
                PartnerUpdateInput(),
                {"contacts": [{"name": "M. Roux", "email": "r@ex.org"}], "siret": None},
            ),
        )
    assert updated["contacts"][0]["name"] == "M. Roux" and updated["siret"] is None
    assert updated["relationships"] == ["co_organiser", "supplier"]
    assert len(outbox(database, "catalogue.changed")) == 1, "nothing a catalogue carries changed"
    with database.unit_of_work() as uow:
        no_longer = partners.update_partner(
            uow, shared["id"], load(PartnerUpdateInput(), {"relationships": ["co_organiser"]})
        )
    assert no_longer["shared_supplier"] is False
    changed = outbox(database, "catalogue.changed")
    assert len(changed) == 2 and changed[1]["village_id"] == villages[1]
    assert changed[1]["payload"]["items"][0]["shared_supplier"] is False
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        partners.update_partner(
            uow,
            shared["id"],
            load(PartnerUpdateInput(), {"siret": "12345678901234", "relationships": ["boss"]}),
        )
    assert set(err.value.errors) == {"siret", "relationships"}
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as empty:
        partners.update_partner(uow, shared["id"], load(PartnerUpdateInput(), {}))
    assert "relationships" in empty.value.errors
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        partners.update_partner(
            uow, str(uuid.uuid4()), load(PartnerUpdateInput(), {"relationships": []})
        )


def test_offers_a_village_may_sell(world):
    database, villages, shared, local = world
    with database.unit_of_work() as uow:
        offers.create_offer(uow, shared["id"], load(OfferInput(), offer_input(villages[:2])))
        offers.create_offer(
            uow,
            local["id"],
            load(
                OfferInput(), offer_input([villages[2]], name="Tomme", unit="kg", price_cents=1800)
            ),
        )
    with database.unit_of_work() as uow:
        assert [o["name"] for o in offers.offers_in_village(uow, villages[2])] == ["Tomme"]
        assert [o["partner_name"] for o in offers.offers_in_village(uow, villages[0])] == [
            "GAEC des Trois Fontaines"
        ]
        assert [o["name"] for o in offers.list_offers(uow, local["id"])] == ["Tomme"]


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_typed_errors_cross_rpc(container_factory, nameko_config, world):
    database, villages, shared, local = world
    container_factory(PartnersService, nameko_config).start()
    with ServiceRpcProxy("partners", nameko_config, timeout=10) as rpc:
        offer = rpc.create_offer(shared["id"], offer_input(villages[:2]))
        item = rpc.add_catalogue_entry(villages[0], {"offer_id": offer["id"], "price_cents": 260})[
            "item"
        ]
        with pytest.raises(Conflict):
            rpc.add_catalogue_entry(villages[0], {"offer_id": offer["id"]})
        with pytest.raises(InvalidInput):
            rpc.add_catalogue_entry(villages[2], {"offer_id": offer["id"]})
        with pytest.raises(NotFound):
            rpc.update_catalogue_entry(villages[1], item["item_id"], {"price_cents": 1})
        assert rpc.get_catalogue(villages[0])["items"][0]["price_cents"] == 260
        assert [o["id"] for o in rpc.village_offers(villages[1])] == [offer["id"]]
        assert rpc.list_partners(villages[2])[0]["name"] == "Fromagerie du Lac"


@pytest.mark.parametrize(
    "schema, data",
    [
        (
            "PartnerInput",
            {
                "name": "Ab",
                "kind": "artisan",
                "siret": "123",
                "relationships": ["supplier", "supplier"],
                "contacts": [{"name": "Sans contact"}],
            },
        ),
        (
            "PartnerInput",
            {"name": "Ab", "kind": "artisan", "scope": "cluster", "village_ids": ["x" * 36]},
        ),
        (
            "OfferInput",
            {
                "name": "Pain",
                "kind": "product",
                "unit": "piece",
                "price_cents": -1,
                "vat_rate": 196,
                "days": ["monday", "monday"],
                "village_ids": ["x" * 36],
                "cutoff_time": "25:00",
            },
        ),
        ("CatalogueEntryUpdate", {}),
        (
            "FundingSourceInput",
            {
                "kind": "service_contract",
                "name": "Contrat",
                "amount_cents": 10,
                "starts_on": "2026-01-01",
            },
        ),
        (
            "FundingSourceInput",
            {
                "kind": "service_contract",
                "name": "Contrat",
                "amount_cents": 10,
                "partner_id": "p" * 36,
                "starts_on": "2026-01-01",
                "ends_on": "2025-01-01",
                "services": ["Portage"],
            },
        ),
        (
            "FundingSourceInput",
            {
                "kind": "service_contract",
                "name": "Contrat",
                "amount_cents": 10,
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-01",
                "services": ["Portage"],
            },
        ),
        ("PledgeInput", {"amount_cents": 2.5}),
        ("PartnerUpdateInput", {}),
    ],
)
def test_every_message_of_the_partners_schemas_has_a_french_translation(schema, data):
    from marshmallow import ValidationError

    from services.partners import schemas
    from services.partners.schemas import partners as partner_schemas

    with pytest.raises(ValidationError) as err:
        (getattr(schemas, schema, None) or getattr(partner_schemas, schema))().load(data)

    assert without_code(err.value.messages) == []
