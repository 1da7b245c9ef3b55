"""The money partners keeps, on SQLite and PostgreSQL: producers' consignment statements from the
till's sales and refunds and the orders handed over (whatever order their events come in; a
cancelled order or a refused line never sold); a commune's service contract invoiced from the
services really delivered, numbered without a gap, issued once; the funding mix of a village."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone import config
from backbone.contracts import parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.partners import campaigns, consignment, funding_mix, invoicing
from services.partners.schemas import CampaignInput, PledgeInput
from services.partners.schemas.money import InKindInput, ServiceContractInput
from tests.support.money import (
    NOV,
    animation_attended,
    help_completed,
    money_world,
    order_event,
    order_line,
    refund,
    sale,
    sale_line,
)


@pytest.fixture
def world(service_db):
    database = service_db("partners")
    return database, money_world(database)


def feed(database, *envelopes):
    """Each envelope as the consumer hands it over (parsed, one transaction per batch)."""
    with database.unit_of_work() as uow:
        consignment.record_money_events(uow, [parse_envelope(e) for e in envelopes])
        uow.commit()


def statement(database, partner_id, month="2026-11"):
    with database.unit_of_work() as uow:
        return consignment.statement(uow, partner_id, month)


def test_a_month_of_till_sales_refunds_and_orders_makes_the_producers_statement(world):
    database, ids = world
    first, second = ids["villages"]
    producer = ids["producer"]
    sold = sale(first, [sale_line(producer, 3, 450), sale_line(None, 1, 200, name="Journal")])
    placed_lines = [order_line(producer, 2, 1250), order_line(producer, 1, 800)]
    order_id = "a0000000-0000-4000-8000-000000000001"
    feed(
        database,
        sold,
        sale(second, [sale_line(producer, 1, 999)]),
        refund(first, sold, [sale_line(producer, 1, 450)]),
        order_event("placed", second, order_id, placed_lines),
        order_event("collected", second, order_id, placed_lines),
        # another month's sale is not this month's
        sale(first, [sale_line(producer, 5, 100)], at=datetime(2026, 10, 31, 22, 30, tzinfo=UTC)),
    )
    result = statement(database, producer)
    assert result["commission_per_mille"] == 150 and result["partner_name"] == "Ferme du Plateau"
    rows = {r["village_name"]: r for r in result["villages"]}
    assert rows["Peyrelevade"]["till_quantity"] == 2 and rows["Peyrelevade"]["till_cents"] == 900
    assert rows["Tarnac"]["order_quantity"] == 3 and rows["Tarnac"]["order_cents"] == 3300
    assert rows["Tarnac"]["till_cents"] == 999 and rows["Tarnac"]["sold_cents"] == 4299
    totals = result["totals"]
    assert totals["sold_cents"] == 900 + 4299 == sum(r["sold_cents"] for r in result["villages"])
    # 15 % of 51.99 € = 7.7985 €: 7.80 €, shared 1.35 € and 6.45 €
    assert totals["commission_cents"] == 780
    assert [rows["Peyrelevade"]["commission_cents"], rows["Tarnac"]["commission_cents"]] == [
        135,
        645,
    ]
    assert totals["due_cents"] == 5199 - 780
    # 31 October 22:30 UTC is 23:30 in Paris: still October
    october = statement(database, producer, "2026-10")
    assert october["totals"]["till_quantity"] == 5


def test_an_order_counts_when_handed_over_whichever_event_comes_first(world):
    database, ids = world
    village, producer = ids["villages"][0], ids["producer"]
    lines = [order_line(producer, 1, 500), order_line(producer, 2, 300)]
    refused_at_placing = order_line(producer, 9, 100, status="refused")
    collected_first = "b0000000-0000-4000-8000-000000000001"
    # collected before placed arrives: nothing counted yet, nothing lost
    feed(database, order_event("collected", village, collected_first, lines))
    assert statement(database, producer)["totals"]["quantity"] == 0
    feed(database, order_event("placed", village, collected_first, lines + [refused_at_placing]))
    assert statement(database, producer)["totals"]["order_cents"] == 1100
    # a line refused by its supplier after placing never counts
    late_refusal = "b0000000-0000-4000-8000-000000000002"
    feed(
        database,
        order_event("placed", village, late_refusal, lines),
        order_event(
            "delivered",
            village,
            late_refusal,
            lines,
            fulfilment="home_delivery",
            refused_line_ids=[lines[1]["line_id"]],
        ),
    )
    assert statement(database, producer)["totals"]["order_cents"] == 1100 + 500
    # a cancelled order never counts, whichever way round
    for n, events in enumerate(
        (("placed", "cancelled"), ("cancelled", "placed")),
    ):
        order_id = f"c0000000-0000-4000-8000-00000000000{n}"
        feed(database, *(order_event(kind, village, order_id, lines) for kind in events))
    # an order placed and not yet handed over is not sold
    feed(database, order_event("placed", village, "d0000000-0000-4000-8000-000000000001", lines))
    assert statement(database, producer)["totals"]["order_cents"] == 1600


def test_without_a_commission_agreed_the_producer_is_owed_everything(service_db):
    database = service_db("partners")
    ids = money_world(database, commission=None)
    feed(database, sale(ids["villages"][0], [sale_line(ids["producer"], 2, 333)]))
    result = statement(database, ids["producer"])
    assert result["commission_per_mille"] == 0
    assert result["totals"]["due_cents"] == result["totals"]["sold_cents"] == 666


def test_every_producer_of_the_month_and_bad_months_refused(world):
    database, ids = world
    feed(database, sale(ids["villages"][0], [sale_line(ids["producer"], 1, 100)]))
    with database.unit_of_work() as uow:
        month = consignment.statements_of_month(uow, "2026-11")
    assert [s["partner_id"] for s in month] == [ids["producer"]]
    for bad in ("2026-13", "novembre", "2026-1", ""):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
            consignment.statement(uow, ids["producer"], bad)
        assert "month" in refused.value.errors
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        consignment.statement(uow, "e0000000-0000-4000-8000-000000000001", "2026-11")


def contract_input(ids, **change):
    data = {
        "partner_id": ids["commune"],
        "name": "Services aux aînés 2026",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "village_ids": ids["villages"][:1],
        "help_hour_cents": 2500,
        "home_delivery_cents": 600,
        "animation_cents": 15000,
        "premises_month_cents": 40000,
    }
    data.update(change)
    return load(ServiceContractInput(), data)


def test_a_communes_invoice_from_the_services_delivered_numbered_once(world):
    database, ids = world
    village, other = ids["villages"]
    with database.unit_of_work() as uow:
        contract = invoicing.create_contract(uow, contract_input(ids))
    delivered = order_line(ids["producer"], 1, 500)
    home = "f0000000-0000-4000-8000-000000000001"
    told_twice = help_completed(village, 90)
    feed(
        database,
        told_twice,
        told_twice,  # the same fact in one batch, or told again by another source: counted once
        help_completed(village, 45),
        order_event("placed", village, home, [delivered]),
        order_event("delivered", village, home, [delivered], fulfilment="home_delivery"),
        order_event(
            "collected", village, "f0000000-0000-4000-8000-000000000002", [delivered]
        ),  # at the counter: not a home delivery
        animation_attended(village),
        help_completed(other, 600),  # not one of the contract's villages
        help_completed(village, 60, at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC)),  # next month
    )
    with database.unit_of_work() as uow:
        draft = invoicing.month_statement(uow, contract["id"], "2026-11")
    assert draft["status"] == "draft" and draft["number"] is None
    lines = {line["kind"]: line for line in draft["lines"]}
    assert (
        lines["help_minutes"]["quantity"] == 135 and lines["help_minutes"]["amount_cents"] == 5625
    )
    assert lines["home_delivery"]["quantity"] == 1 and lines["home_delivery"]["amount_cents"] == 600
    assert lines["animation"]["amount_cents"] == 15000
    assert (
        draft["total_cents"] == 5625 + 600 + 15000 == sum(v["amount_cents"] for v in lines.values())
    )
    assert draft["in_kind_cents"] == 40000
    issued_at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    with database.unit_of_work() as uow:
        invoice = invoicing.issue_invoice(uow, contract["id"], "2026-11", now=issued_at)
    assert invoice["number"] == "2026-0001" and invoice["status"] == "issued"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        invoicing.issue_invoice(uow, contract["id"], "2026-11", now=issued_at)
    assert twice.value.reason == "invoice_already_issued"
    # a fact told late never changes an issued invoice
    feed(database, help_completed(village, 60))
    with database.unit_of_work() as uow:
        assert invoicing.month_statement(uow, contract["id"], "2026-11")["total_cents"] == 21225
        december = invoicing.issue_invoice(uow, contract["id"], "2026-12", now=issued_at)
    assert december["number"] == "2026-0002"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as not_sent:
        invoicing.mark_paid(uow, invoice["id"])
    assert not_sent.value.reason == "invoice_not_sent"
    with database.unit_of_work() as uow:
        assert invoicing.mark_sent(uow, invoice["id"], "mairie@example.org")["status"] == "sent"
    with database.unit_of_work() as uow:
        assert invoicing.mark_paid(uow, invoice["id"])["status"] == "paid"
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        invoicing.mark_paid(uow, invoice["id"])
    with database.unit_of_work() as uow:
        # a new year starts at 0001
        other_contract = invoicing.create_contract(
            uow, contract_input(ids, starts_on="2027-01-01", ends_on="2027-12-31")
        )
    feed(database, help_completed(village, 60, at=datetime(2027, 1, 5, 9, 0, tzinfo=UTC)))
    with database.unit_of_work() as uow:
        january = invoicing.issue_invoice(
            uow, other_contract["id"], "2027-01", now=datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
        )
    assert january["number"] == "2027-0001"


def test_bad_contract_and_invoice_input_names_the_field(world):
    database, ids = world

    def refused(**change):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            data = contract_input(ids, **change)
            invoicing.create_contract(uow, data)
        return err.value.errors

    assert "partner_id" in refused(partner_id=ids["producer"])  # not a local authority
    assert "ends_on" in refused(ends_on="2025-12-31")
    assert "village_ids" in refused(village_ids=[])
    assert "village_ids" in refused(village_ids=["e0000000-0000-4000-8000-000000000001"])
    assert "help_hour_cents" in refused(help_hour_cents=-5)
    assert "help_hour_cents" in refused(help_hour_cents=0, home_delivery_cents=0, animation_cents=0)
    assert "animation_cents" in refused(animation_cents=12.5)
    with database.unit_of_work() as uow:
        assert invoicing.list_contracts(uow) == []
        contract = invoicing.create_contract(uow, contract_input(ids))
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as outside:
        invoicing.month_statement(uow, contract["id"], "2025-11")
    assert "month" in outside.value.errors
    with database.unit_of_work() as uow, pytest.raises(Conflict) as empty:
        invoicing.issue_invoice(uow, contract["id"], "2026-11")
    assert empty.value.reason == "nothing_to_invoice"


def test_the_funding_mix_of_a_village(world):
    database, ids = world
    village, producer = ids["villages"][0], ids["producer"]
    feed(
        database,
        sale(village, [sale_line(producer, 2, 1000), sale_line(None, 1, 500)]),
        help_completed(village, 120),
    )
    with database.unit_of_work() as uow:
        contract = invoicing.create_contract(uow, contract_input(ids))
    with database.unit_of_work() as uow:
        invoicing.issue_invoice(uow, contract["id"], "2026-11", now=NOV)
    with database.unit_of_work() as uow:
        launched = campaigns.launch_campaign(
            uow,
            load(
                CampaignInput(),
                {
                    "title": "Casiers réfrigérés",
                    "purpose": "Des casiers pour les produits frais",
                    "village_id": village,
                    "goal_cents": 10000,
                    "deadline": "2026-12-31T12:00:00+00:00",
                },
            ),
            now=NOV,
        )
    with database.unit_of_work() as uow:
        campaigns.pledge(
            uow,
            launched["id"],
            load(PledgeInput(), {"partner_id": ids["commune"], "amount_cents": 12000}),
            now=NOV,
        )
    with database.unit_of_work() as uow:
        funding_mix.add_in_kind(
            uow,
            load(
                InKindInput(),
                {
                    "village_id": village,
                    "description": "Prêt d'un véhicule",
                    "value_cents": 5000,
                    "month": "2026-11",
                },
            ),
        )
    with database.unit_of_work() as uow:
        mix = funding_mix.funding_mix(
            uow, datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date(), [village]
        )
    figures = mix["villages"][village]
    assert figures["sales_cents"] == 2500
    assert figures["commune_contracts_cents"] == 5000
    assert figures["crowdfunding_cents"] == 12000
    assert figures["in_kind_cents"] == 40000 + 5000
    assert figures["total_cents"] == 2500 + 5000 + 12000
    assert figures["shares"]["crowdfunding_cents"] == 62  # 61.5 %
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
        funding_mix.add_in_kind(
            uow,
            load(
                InKindInput(),
                {
                    "village_id": "e0000000-0000-4000-8000-000000000001",
                    "description": "Salle",
                    "value_cents": 100,
                    "month": "2026-11",
                },
            ),
        )
    assert "village_id" in bad.value.errors


def test_settled_orders_are_purged_once_no_late_event_can_come_and_the_sales_stay(
    world, monkeypatch
):
    """`counted_orders` by the service's retention timer: a counted or dropped order's row goes
    after the window (longer than a dead letter or an outbox row can wait to be replayed), one still
    waiting for its other half stays, the month's sales are untouched, and a late copy of a purged
    order's event under a new id counts nothing."""
    from backbone.clock import utcnow
    from services.partners.models import CountedOrder
    from services.partners.service import PartnersService

    database, ids = world
    village, producer = ids["villages"][0], ids["producer"]
    lines = [order_line(producer, 2, 300)]
    counted, dropped, waiting = (f"e0000000-0000-4000-8000-00000000000{n}" for n in range(3))
    handed_over = order_event("collected", village, counted, lines)
    feed(
        database,
        order_event("placed", village, counted, lines),
        handed_over,
        order_event("placed", village, dropped, lines),
        order_event("cancelled", village, dropped, lines),
        order_event("placed", village, waiting, lines),
    )
    before = statement(database, producer)
    assert before["totals"]["order_cents"] == 600
    window = consignment.counted_order_retention_days()
    assert window > config.dead_letter_retention_days() and window > config.outbox_retention_days()
    monkeypatch.setenv("MAILLAGE_DEAD_LETTER_RETENTION_DAYS", "200")
    assert consignment.counted_order_retention_days() >= 230
    monkeypatch.delenv("MAILLAGE_DEAD_LETTER_RETENTION_DAYS")

    def kept():
        with database.unit_of_work() as uow:
            return sorted(uow.session.scalars(select(CountedOrder.order_id)))

    def purge(now):
        with database.unit_of_work() as uow:
            PartnersService.purge_own_expired(None, uow, now)  # what the hourly timer calls
            uow.commit()

    purge(utcnow() + timedelta(days=window - 1))
    assert kept() == [counted, dropped, waiting]
    purge(utcnow() + timedelta(days=window + 1))
    assert kept() == [waiting]
    assert statement(database, producer) == before
    # the hand-over told again long after, under another id: no row to count it with
    feed(database, {**handed_over, "event_id": str(uuid.uuid4())})
    assert statement(database, producer) == before
