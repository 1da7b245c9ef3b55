"""Pooled supplier orders, on SQLite and PostgreSQL: the lines of every village ordering from a
shared supplier for a day gather into one purchase order with a per-village breakdown; the cut-off
(a timer's work, given `now`) sends it once, confirms what was pending and settles the orders;
cancelled orders and refused lines are left out; a concierge sees their own village's part."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.orders import ordering, supplier_orders
from services.orders.schemas.orders import (
    LineAnswerInput,
    OrderInput,
    ReasonInput,
)
from tests.support.counter import NOW, THURSDAY, item, order_input, place

CUTOFF = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # Wednesday noon in Paris, for Thursday


def sent_events(database):
    with database.unit_of_work() as uow:
        return [
            json.loads(r.body)
            for r in uow.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "purchase_order.sent")
                .order_by(OutboxEvent.id)
            )
        ]


def test_two_villages_orders_become_one_purchase_order_sent_at_the_cutoff(counter_world):
    world = counter_world
    in_a = place(world, world.village, order_input(world, (world.cheese, 2), (world.bread, 1)))
    again_a = place(
        world, world.village, order_input(world, (world.cheese, 1), member_id=world.bruno)
    )
    in_b = place(
        world, world.other_village, order_input(world, (world.cheese_b, 3), member_id=world.chloe)
    )
    cancelled = place(
        world, world.village, order_input(world, (world.cheese, 5), member_id=world.bruno)
    )
    with world.db.unit_of_work() as uow:
        ordering.cancel(
            uow, cancelled["id"], load(ReasonInput(), {"reason": "Erreur"}), [world.village], NOW
        )
    with world.db.unit_of_work() as uow:
        pooled = supplier_orders.list_purchase_orders(uow)
    assert len(pooled) == 1
    po = pooled[0]
    assert po["supplier_partner_id"] == world.cheese_maker and po["status"] == "open"
    assert po["delivery_date"] == THURSDAY.isoformat() and po["cutoff_at"] == CUTOFF.isoformat()
    assert po["village_ids"] == sorted([world.village, world.other_village])
    by_village = {v["village_id"]: v for v in po["villages"]}
    assert (
        by_village[world.village]["orders"] == 2
        and by_village[world.village]["lines"][0]["quantity"] == 3
    )
    assert by_village[world.other_village]["lines"][0]["quantity"] == 3
    assert po["items_count"] == 6 and po["lines"] == [
        {"offer_id": world.cheese["offer_id"], "name": "Tomme", "unit": "kg", "quantity": 6}
    ], "one offer, whatever the village"

    with world.db.unit_of_work() as uow:  # a concierge of A sees A's part only
        (mine,) = supplier_orders.list_purchase_orders(uow, village_ids=[world.village])
    assert mine["village_ids"] == [world.village] and mine["items_count"] == 3

    with world.db.unit_of_work() as uow:
        assert supplier_orders.close_due(uow, CUTOFF - timedelta(seconds=1)) == []
    with world.db.unit_of_work() as uow:
        assert supplier_orders.close_due(uow, CUTOFF) == [po["id"]]
    with world.db.unit_of_work() as uow:
        assert supplier_orders.close_due(uow, CUTOFF + timedelta(hours=1)) == [], "sent once"
    (event,) = sent_events(world.db)
    payload = event["payload"]
    assert event["village_id"] is None and payload["supplier_partner_id"] == world.cheese_maker
    assert payload["village_ids"] == sorted([world.village, world.other_village])
    assert {
        v["village_id"]: sum(line["quantity"] for line in v["lines"]) for v in payload["villages"]
    } == {world.village: 3, world.other_village: 3}
    text = json.dumps(payload)
    assert world.alice not in text and "Alice" not in text and in_a["id"] not in text, (
        "no member data"
    )

    with world.db.unit_of_work() as uow:
        statuses = {
            o: ordering.get_order(uow, o, None)["status"]
            for o in (in_a["id"], again_a["id"], in_b["id"])
        }
        assert statuses == {
            in_a["id"]: "confirmed",
            again_a["id"]: "confirmed",
            in_b["id"]: "confirmed",
        }
        assert ordering.purchase_orders_for_pickup(uow, THURSDAY) == [
            {
                "purchase_order_id": po["id"],
                "supplier_partner_id": world.cheese_maker,
                "supplier_name": world.cheese["partner_name"],
                "delivery_date": THURSDAY,
                "items_count": 6,
                "grappe_id": None,
                "villages": {world.village: 3, world.other_village: 3},
            }
        ]
        assert ordering.purchase_orders_for_pickup(uow, THURSDAY + timedelta(days=1)) == []


def test_the_coordinator_sends_early_and_later_orders_for_that_day_are_refused(counter_world):
    world = counter_world
    place(world, world.village, order_input(world, (world.cheese, 1)))
    with world.db.unit_of_work() as uow:
        (po,) = supplier_orders.list_purchase_orders(uow)
        sent = supplier_orders.send_now(uow, po["id"], NOW)
    assert sent["status"] == "sent"
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        supplier_orders.send_now(uow, po["id"], NOW)
    assert twice.value.reason == "purchase_order_closed"
    with pytest.raises(
        InvalidInput
    ) as err:  # before the cut-off, but the supplier's order has left
        place(
            world,
            world.other_village,
            order_input(world, (world.cheese_b, 1), member_id=world.chloe),
        )
    assert "already sent" in err.value.errors["lines"][0]["item_id"][0]
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):
        supplier_orders.send_now(uow, "nope", NOW)
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):  # village B has no line in it
        supplier_orders.get_purchase_order(uow, po["id"], village_ids=[world.other_village])
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):  # nor is it the baker's
        supplier_orders.get_purchase_order(uow, po["id"], supplier_partner_id=world.baker)
    assert len(sent_events(world.db)) == 1


def test_refused_lines_are_left_out_and_an_empty_purchase_order_sends_nothing(counter_world):
    world = counter_world
    kept = place(world, world.village, order_input(world, (world.cheese, 2)))
    refused = place(
        world, world.other_village, order_input(world, (world.cheese_b, 4), member_id=world.chloe)
    )
    with world.db.unit_of_work() as uow:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            refused["id"],
            refused["lines"][0]["id"],
            "refuse",
            load(LineAnswerInput(), {"reason": "Pas de livraison à B cette semaine"}),
            NOW,
        )
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, CUTOFF)
    (event,) = sent_events(world.db)
    assert (
        event["payload"]["village_ids"] == [world.village]
        and event["payload"]["lines"][0]["quantity"] == 2
    )
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, kept["id"], None)["status"] == "confirmed"

    friday = (THURSDAY + timedelta(days=1)).isoformat()
    gone = place(world, world.village, order_input(world, (world.cheese, 1), delivery_date=friday))
    with world.db.unit_of_work() as uow:
        ordering.cancel(
            uow,
            gone["id"],
            load(ReasonInput(), {"reason": "Partie en vacances"}),
            [world.village],
            NOW,
        )
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as empty:
        supplier_orders.send_now(uow, gone["lines"][0]["purchase_order_id"], NOW)
    assert empty.value.reason == "purchase_order_empty"
    with world.db.unit_of_work() as uow:
        assert supplier_orders.close_due(uow, CUTOFF + timedelta(days=1)) == []
        (closed,) = supplier_orders.list_purchase_orders(uow, status="empty")
    assert closed["id"] == gone["lines"][0]["purchase_order_id"] and len(sent_events(world.db)) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_orders_placed_at_once_share_the_purchase_order_and_sending_waits_for_them(counter_world):
    """Placing holds a SHARE lock on the purchase order until commit: another order goes on
    without waiting for the orders in flight, while sending waits."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from services.orders.models import CatalogueItem

    world = counter_world
    place(world, world.village, order_input(world, (world.cheese, 1)))
    with (
        world.db.unit_of_work() as in_flight
    ):  # an order of B between its purchase-order line and its commit
        item = in_flight.session.get(
            CatalogueItem, (world.other_village, world.cheese_b["item_id"])
        )
        held = supplier_orders.cycle_for(in_flight, item, THURSDAY, NOW).id

        with world.db.unit_of_work() as other:
            other.session.execute(text("SET lock_timeout = '2s'"))
            placed = ordering.place_order(
                other,
                world.village,
                load(OrderInput(), order_input(world, (world.cheese, 2), member_id=world.bruno)),
                NOW,
            )
        assert placed["lines"][0]["purchase_order_id"] == held, "not blocked by the order in flight"

        with world.db.unit_of_work() as sender:
            sender.session.execute(text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                supplier_orders.send_now(sender, held, NOW)
        in_flight.rollback()

    with world.db.unit_of_work() as sender:
        sent = supplier_orders.send_now(sender, held, NOW)
    assert sent["status"] == "sent" and sent["items_count"] == 3


def test_an_earlier_cutoff_lowers_the_cycles_and_a_later_one_leaves_it(service_db):
    from services.orders.models import CatalogueItem, PurchaseOrder

    database = service_db("orders")
    supplier = "f0f0f0f0-0000-4000-8000-000000000001"

    def cycle(cutoff_time):
        line = CatalogueItem(
            **item("Tomme", supplier, shared=True, lead_time_days=1, cutoff_time=cutoff_time),
            village_id="v",
        )
        with database.unit_of_work() as uow:
            found = supplier_orders.cycle_for(uow, line, THURSDAY, NOW)
            uow.commit()
            return found and (found.id, found.cutoff_at)

    first_id, noon = cycle("12:00")
    assert noon == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    assert cycle("18:00") == (first_id, noon), "a later cut-off leaves the cycle's"
    assert cycle("08:00") == (first_id, datetime(2026, 12, 2, 7, 0, tzinfo=UTC)), (
        "an earlier one lowers it"
    )
    assert cycle("12:00")[1] == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    with database.unit_of_work() as uow:
        uow.session.get(PurchaseOrder, first_id).status = "sent"
        uow.commit()
    assert cycle("18:00") is None and cycle("06:00") is None, (
        "a sent cycle takes no line, whatever its cut-off"
    )
    with database.unit_of_work() as uow:
        assert uow.session.get(PurchaseOrder, first_id).cutoff_at == datetime(
            2026, 12, 2, 7, 0, tzinfo=UTC
        )
