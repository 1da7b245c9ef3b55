"""Funding sources and crowdfunding campaigns in the partners service, on SQLite and PostgreSQL: a
commune's service contract (a client, not a subsidy), grants for a village or the network; a
campaign funded by the pledge that reaches its goal, failed when its deadline passes under it (the
timer's function, with an explicit `now`), no pledge on a closed campaign; the figures for the
coordinator; and over real RPC, that the typed errors cross as themselves."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.partners import campaigns, catalogues, figures, funding, offers
from services.partners.schemas import (
    CampaignInput,
    CatalogueEntryInput,
    FundingSourceInput,
    OfferInput,
    PledgeInput,
)
from services.partners.service import PartnersService
from tests.support.partners import known_villages, register
from tests.support.reliability import outbox

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(service_db):
    """Two known villages; a commune (local authority) of the first; a shared supplier of both."""
    database = service_db("partners")
    villages = known_villages(database, 2, NOW)
    commune = register(
        database,
        name="Commune de Saint-Aubin",
        kind="local_authority",
        village_ids=[villages[0]],
        relationships=["client", "funder"],
    )
    supplier = register(
        database,
        name="GAEC des Trois Fontaines",
        kind="producer",
        village_ids=villages,
        relationships=["supplier"],
    )
    return database, villages, commune, supplier


def contract(village, commune, **change):
    data = {
        "kind": "service_contract",
        "name": "Portage de courses et permanence",
        "village_id": village,
        "partner_id": commune,
        "amount_cents": 600000,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "services": ["Portage de courses aux aînés", "Permanence administrative"],
    }
    data.update(change)
    return data


def campaign_input(village, **change):
    data = {
        "title": "Casiers réfrigérés",
        "purpose": "Des casiers réfrigérés pour les produits frais",
        "village_id": village,
        "goal_cents": 100000,
        "deadline": (NOW + timedelta(days=30)).isoformat(),
    }
    data.update(change)
    return data


def test_a_communes_service_contract_and_grants(world):
    database, villages, commune, supplier = world
    with database.unit_of_work() as uow:
        sold = funding.add_funding_source(
            uow, load(FundingSourceInput(), contract(villages[0], commune["id"]))
        )
    assert sold["partner_name"] == "Commune de Saint-Aubin" and sold["received_on"] == "2026-01-01"
    assert sold["services"] == ["Portage de courses aux aînés", "Permanence administrative"]
    with database.unit_of_work() as uow:
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "public_grant",
                    "name": "Région : tiers-lieux ruraux",
                    "amount_cents": 1500000,
                    "starts_on": "2026-03-01",
                    "received_on": "2026-04-15",
                },
            ),
        )
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "membership_fees",
                    "name": "Cotisations",
                    "village_id": villages[1],
                    "amount_cents": 42000,
                    "starts_on": "2026-06-01",
                },
            ),
        )
    with database.unit_of_work() as uow:
        assert len(funding.list_funding_sources(uow)) == 3
        assert [s["kind"] for s in funding.list_funding_sources(uow, [villages[1]])] == [
            "membership_fees"
        ]


def test_bad_funding_input_names_each_field(world):
    database, villages, commune, supplier = world

    def refused(data):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            funding.add_funding_source(uow, load(FundingSourceInput(), data))
        return err.value.errors

    assert "services" in refused(contract(villages[0], commune["id"], services=[]))
    assert "ends_on" in refused(contract(villages[0], commune["id"], ends_on=None))
    assert "ends_on" in refused(contract(villages[0], commune["id"], ends_on="2025-12-31"))
    assert "partner_id" in refused(contract(villages[0], None))
    assert refused(contract(villages[0], supplier["id"]))["partner_id"] == [
        "A service contract is bought by a local authority."
    ]
    assert "partner_id" in refused(contract(villages[0], str(uuid.uuid4())))
    assert "village_id" in refused(contract(str(uuid.uuid4()), commune["id"]))
    assert "kind" in refused(contract(villages[0], commune["id"], kind="loan"))
    assert "amount_cents" in refused(contract(villages[0], commune["id"], amount_cents=-100))
    assert "amount_cents" in refused(contract(villages[0], commune["id"], amount_cents=12.5))
    with database.unit_of_work() as uow:
        assert funding.list_funding_sources(uow) == []


def test_the_pledge_reaching_the_goal_funds_the_campaign_and_closes_it(world):
    database, villages, commune, supplier = world
    with database.unit_of_work() as uow:
        launched = campaigns.launch_campaign(
            uow, load(CampaignInput(), campaign_input(villages[0])), now=NOW
        )
    cid = launched["id"]
    assert launched["status"] == "running" and launched["pledged_cents"] == 0
    member = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        half = campaigns.pledge(
            uow,
            cid,
            load(
                PledgeInput(),
                {"member_id": member, "pledger_name": "Marcelle V.", "amount_cents": 40000},
            ),
            None,
            now=NOW + timedelta(days=1),
        )
    assert half["progress_percent"] == 40 and half["status"] == "running"
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"member_id": member, "amount_cents": 100}),
            [villages[1]],
            now=NOW,
        )
    with database.unit_of_work() as uow:
        done = campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": supplier["id"], "amount_cents": 70000}),
            [villages[0]],
            now=NOW + timedelta(days=2),
        )
    assert (
        done["status"] == "funded"
        and done["pledged_cents"] == 110000
        and done["progress_percent"] == 110
    )
    assert done["pledges"][1]["pledger_name"] == "GAEC des Trois Fontaines"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as closed:
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"member_id": member, "amount_cents": 100}),
            None,
            now=NOW + timedelta(days=3),
        )
    assert closed.value.reason == "campaign_closed"
    funded = outbox(database, "campaign.funded")
    assert [
        (e["payload"]["pledged_cents"], e["payload"]["pledges"], e["village_id"]) for e in funded
    ] == [(110000, 2, villages[0])]
    assert [e["payload"]["campaign_id"] for e in outbox(database, "campaign.launched")] == [cid]
    for envelope in funded + outbox(database, "campaign.launched"):
        parse_envelope(envelope)
    with database.unit_of_work() as uow:
        assert campaigns.close_expired(uow, NOW + timedelta(days=60)) == [], (
            "a funded campaign never fails"
        )


def test_a_deadline_passing_under_the_goal_fails_the_campaign_once(world):
    database, villages, commune, supplier = world
    with database.unit_of_work() as uow:
        cid = campaigns.launch_campaign(
            uow,
            load(CampaignInput(), campaign_input(None, title="Un camion frigorifique")),
            now=NOW,
        )["id"]
    with database.unit_of_work() as uow:
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": commune["id"], "amount_cents": 5000}),
            None,
            now=NOW,
        )
    deadline = NOW + timedelta(days=30)
    with database.unit_of_work() as uow:
        assert campaigns.close_expired(uow, deadline - timedelta(seconds=1)) == []
    with (
        database.unit_of_work() as uow,
        pytest.raises(Conflict),
    ):  # past its deadline, not yet closed by the timer
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": commune["id"], "amount_cents": 5000}),
            None,
            now=deadline,
        )
    with database.unit_of_work() as uow:
        assert campaigns.close_expired(uow, deadline) == [cid]
    with database.unit_of_work() as uow:
        assert campaigns.close_expired(uow, deadline + timedelta(minutes=1)) == []
        failed = campaigns.get_campaign(uow, cid)
    assert failed["status"] == "failed" and failed["closed_at"]
    events = outbox(database, "campaign.failed")
    assert [
        (e["payload"]["campaign_id"], e["payload"]["pledged_cents"], e["village_id"])
        for e in events
    ] == [(cid, 5000, None)]
    with database.unit_of_work() as uow, pytest.raises(Conflict) as closed:
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": commune["id"], "amount_cents": 5000}),
            None,
            now=NOW,
        )
    assert closed.value.reason == "campaign_closed" and closed.value.details["status"] == "failed"


def test_bad_campaign_input_names_each_field(world):
    database, villages, commune, supplier = world

    def refused(data):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            campaigns.launch_campaign(uow, load(CampaignInput(), data), now=NOW)
        return err.value.errors

    assert "deadline" in refused(
        campaign_input(villages[0], deadline=(NOW - timedelta(days=1)).isoformat())
    )
    assert "deadline" in refused(
        campaign_input(villages[0], deadline="2026-12-30T12:00:00")
    )  # naive
    assert "goal_cents" in refused(campaign_input(villages[0], goal_cents=0))
    assert "village_id" in refused(campaign_input(str(uuid.uuid4())))
    with database.unit_of_work() as uow:
        cid = campaigns.launch_campaign(
            uow, load(CampaignInput(), campaign_input(villages[0])), now=NOW
        )["id"]

    def refused_pledge(data):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            campaigns.pledge(uow, cid, load(PledgeInput(), data), None, now=NOW)
        return err.value.errors

    assert "amount_cents" in refused_pledge({"member_id": str(uuid.uuid4()), "amount_cents": -10})
    assert "amount_cents" in refused_pledge({"member_id": str(uuid.uuid4()), "amount_cents": 9.99})
    assert "member_id" in refused_pledge({"amount_cents": 1000})
    assert "member_id" in refused_pledge(
        {"amount_cents": 1000, "member_id": str(uuid.uuid4()), "partner_id": commune["id"]}
    )
    assert "partner_id" in refused_pledge({"amount_cents": 1000, "partner_id": str(uuid.uuid4())})
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        campaigns.pledge(
            uow,
            str(uuid.uuid4()),
            load(PledgeInput(), {"partner_id": commune["id"], "amount_cents": 1}),
            None,
            now=NOW,
        )
    with database.unit_of_work() as uow:
        assert campaigns.get_campaign(uow, cid)["pledges"] == []


def test_village_figures(world):
    database, villages, commune, supplier = world
    with database.unit_of_work() as uow:
        funding.add_funding_source(
            uow, load(FundingSourceInput(), contract(villages[0], commune["id"]))
        )  # 2026-01-01
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "public_grant",
                    "name": "Département",
                    "village_id": villages[0],
                    "amount_cents": 300000,
                    "starts_on": "2026-05-01",
                },
            ),
        )
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "public_grant",
                    "name": "Région",
                    "amount_cents": 1500000,
                    "starts_on": "2026-05-02",
                },
            ),
        )  # network
        funding.add_funding_source(
            uow,
            load(
                FundingSourceInput(),
                {
                    "kind": "public_grant",
                    "name": "Ancienne",
                    "village_id": villages[1],
                    "amount_cents": 999,
                    "starts_on": "2025-05-02",
                },
            ),
        )  # out of period
    with database.unit_of_work() as uow:
        cid = campaigns.launch_campaign(
            uow, load(CampaignInput(), campaign_input(villages[1])), now=NOW
        )["id"]
    with database.unit_of_work() as uow:
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": supplier["id"], "amount_cents": 25000}),
            None,
            now=NOW,
        )
    with database.unit_of_work() as uow:
        offer = offers.create_offer(
            uow,
            supplier["id"],
            load(
                OfferInput(),
                {
                    "name": "Lait cru",
                    "kind": "product",
                    "unit": "litre",
                    "price_cents": 120,
                    "vat_rate": 55,
                    "days": ["friday"],
                    "village_ids": villages,
                    "perishable": True,
                },
            ),
        )
    with database.unit_of_work() as uow:
        catalogues.add_entry(
            uow,
            villages[1],
            load(CatalogueEntryInput(), {"offer_id": offer["id"], "price_cents": 130}),
        )

    with database.unit_of_work() as uow:
        result = figures.village_figures(uow, date(2026, 1, 1), date(2026, 12, 31))
    first, second = result["figures"][villages[0]], result["figures"][villages[1]]
    assert (
        first["funding_service_contract_cents"] == 600000
        and first["funding_public_grant_cents"] == 300000
    )
    assert first["funding_total_cents"] == 900000 and first["campaign_pledged_cents"] == 0
    assert second["funding_total_cents"] == 0, "last year's grant is outside the period"
    assert second["campaign_pledged_cents"] == 25000 and second["campaigns_running"] == 1
    assert (second["catalogue_items"], second["shared_supplier_items"]) == (1, 1)
    details = result["details"]
    assert details["shared_suppliers"] == [
        {
            "partner_id": supplier["id"],
            "name": "GAEC des Trois Fontaines",
            "village_ids": sorted(villages),
        }
    ]
    assert [(c["campaign_id"], c["pledged_cents"], c["status"]) for c in details["campaigns"]] == [
        (cid, 25000, "running")
    ]
    assert sorted(s["name"] for s in details["funding_sources"]) == [
        "Département",
        "Portage de courses et permanence",
        "Région",
    ]
    json.dumps(result)  # crosses RPC as JSON

    with database.unit_of_work() as uow:
        only = figures.village_figures(uow, date(2026, 11, 1), date(2026, 11, 30), [villages[0]])
    assert list(only["figures"]) == [villages[0]] and only["details"]["campaigns"] == []
    assert (
        only["details"]["funding_sources"] == []
        and only["figures"][villages[0]]["funding_total_cents"] == 0
    )


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_campaign_errors_cross_rpc(container_factory, nameko_config, world):
    database, villages, commune, supplier = world
    container_factory(PartnersService, nameko_config).start()
    deadline = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    with ServiceRpcProxy("partners", nameko_config, timeout=10) as rpc:
        cid = rpc.launch_campaign(campaign_input(villages[0], goal_cents=1000, deadline=deadline))[
            "id"
        ]
        assert (
            rpc.pledge(cid, {"partner_id": commune["id"], "amount_cents": 1000}, [villages[0]])[
                "status"
            ]
            == "funded"
        )
        with pytest.raises(Conflict):
            rpc.pledge(cid, {"partner_id": commune["id"], "amount_cents": 1000}, None)
        with pytest.raises(NotFound):
            rpc.get_campaign(cid, [villages[1]])
        with pytest.raises(InvalidInput):
            rpc.add_funding_source(contract(villages[0], supplier["id"]))
        assert [c["id"] for c in rpc.list_campaigns([villages[0]])] == [cid]
        # the funded campaign became a funding source of its village
        figures = rpc.village_figures("2026-01-01", "2028-12-31", [villages[0]])["figures"]
        assert figures[villages[0]]["funding_total_cents"] == 1000
        assert figures[villages[0]]["funding_crowdfunding_cents"] == 1000


def test_each_pledge_is_announced_and_a_closing_names_the_members_who_pledged(world):
    database, villages, commune, _supplier = world
    with database.unit_of_work() as uow:
        cid = campaigns.launch_campaign(
            uow, load(CampaignInput(), campaign_input(villages[0])), now=NOW
        )["id"]
    member = str(uuid.uuid4())
    for data in (
        {"member_id": member, "amount_cents": 2000},
        {"member_id": member, "amount_cents": 3000},
        {"partner_id": commune["id"], "amount_cents": 5000},
    ):
        with database.unit_of_work() as uow:
            campaigns.pledge(uow, cid, load(PledgeInput(), data), None, now=NOW)
    pledged = outbox(database, "campaign.pledged")
    assert [(e["payload"]["member_id"], e["payload"]["amount_cents"]) for e in pledged] == [
        (member, 2000),
        (member, 3000),
        (None, 5000),
    ]
    assert len({e["payload"]["pledge_id"] for e in pledged}) == 3
    with database.unit_of_work() as uow:
        assert campaigns.close_expired(uow, NOW + timedelta(days=60)) == [cid]
    [failed] = outbox(database, "campaign.failed")
    assert failed["payload"]["member_ids"] == [member], "once, and never a partner"
    assert failed["payload"]["title"] == campaign_input(villages[0])["title"]
    for envelope in pledged + [failed]:
        parse_envelope(envelope)


def test_the_coordinator_closes_a_running_campaign_before_its_deadline_once(world):
    database, villages, commune, supplier = world
    with database.unit_of_work() as uow:
        cid = campaigns.launch_campaign(
            uow, load(CampaignInput(), campaign_input(villages[0])), now=NOW
        )["id"]
    with database.unit_of_work() as uow:
        campaigns.pledge(
            uow,
            cid,
            load(PledgeInput(), {"partner_id": commune["id"], "amount_cents": 2500}),
            None,
            now=NOW,
        )
    with database.unit_of_work() as uow:
        closed = campaigns.close_campaign(uow, cid, now=NOW + timedelta(days=2))
    assert closed["status"] == "failed" and closed["pledged_cents"] == 2500
    assert [
        (e["payload"]["campaign_id"], e["village_id"]) for e in outbox(database, "campaign.failed")
    ] == [(cid, villages[0])]
    with database.unit_of_work() as uow, pytest.raises(Conflict) as again:
        campaigns.close_campaign(uow, cid)
    assert again.value.reason == "campaign_already_closed"
    assert len(outbox(database, "campaign.failed")) == 1
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        campaigns.close_campaign(uow, str(uuid.uuid4()))
