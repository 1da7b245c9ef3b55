"""Goods of a pooled supplier order onto the hub's shelf in one go (stock.py), on SQLite and
PostgreSQL: once the purchase order is sent, each village is offered its own share (quantities to
prefill, cancelled orders left out); the concierge confirms or edits the quantities, the items not
tracked yet get their shelf row, each movement names the purchase order; it is received once per
village; an item not in the share, a negative quantity, nothing to put, a purchase order not sent
yet or not the village's are refused with the field named and nothing written."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.orders import ordering, stock, supplier_orders
from services.orders.models import StockItem, StockMovement
from services.orders.schemas.orders import ReasonInput
from services.orders.schemas.till import StockItemInput, SupplierReceiptInput
from tests.support.counter import NOW, order_input, place

CUTOFF = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # Wednesday noon in Paris, for Thursday
ARRIVED = CUTOFF + timedelta(days=1)


def count(database, model):
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def receive(world, purchase_order_id, data, village_id=None):
    with world.db.unit_of_work() as uow:
        return stock.receive_supplier_order(
            uow,
            village_id or world.village,
            purchase_order_id,
            load(SupplierReceiptInput(), data),
            ARRIVED,
        )


def receivable(world, village_id=None):
    with world.db.unit_of_work() as uow:
        return stock.receivable_orders(uow, village_id or world.village)


@pytest.fixture
def pooled(counter_world):
    """Village A orders 2 + 1 tommes (and 5 cancelled), village B 3: one purchase order."""
    world = counter_world
    place(world, world.village, order_input(world, (world.cheese, 2), (world.bread, 1)))
    place(world, world.village, order_input(world, (world.cheese, 1), member_id=world.bruno))
    place(
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
        (purchase_order,) = supplier_orders.list_purchase_orders(uow)
    return world, purchase_order["id"]


def test_the_village_s_share_goes_onto_the_shelf_in_one_go_naming_the_order(pooled):
    world, purchase_order_id = pooled
    assert receivable(world) == [], "not sent yet: nothing has come"
    with pytest.raises(Conflict) as early:
        receive(
            world,
            purchase_order_id,
            {"lines": [{"item_id": world.cheese["item_id"], "quantity": 3}]},
        )
    assert early.value.reason == "purchase_order_not_sent"
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, CUTOFF)

    (offered,) = receivable(world)
    assert offered["purchase_order_id"] == purchase_order_id and offered["received_at"] is None
    assert [(line["item_id"], line["quantity"], line["on_shelf"]) for line in offered["lines"]] == [
        (world.cheese["item_id"], 3, 0)
    ], "A's share only, the cancelled order left out, the bread not pooled"
    (theirs,) = receivable(world, world.other_village)
    assert [(line["item_id"], line["quantity"]) for line in theirs["lines"]] == [
        (world.cheese_b["item_id"], 3)
    ]

    # one tomme was kept for the orders waiting at the counter: the concierge edits 3 → 2
    received = receive(
        world,
        purchase_order_id,
        {"lines": [{"item_id": world.cheese["item_id"], "quantity": 2}], "use_by": "2026-12-20"},
    )
    (line,) = received["lines"]
    assert line["on_shelf"] == 2 and line["stock_item_id"] and received["received_at"]
    with world.db.unit_of_work() as uow:
        shelf = stock.movements(uow, world.village, line["stock_item_id"])
    assert shelf["item"]["item_id"] == world.cheese["item_id"]
    assert shelf["item"]["use_by"] == "2026-12-20" and shelf["item"]["price_cents"] > 0
    assert [(m["kind"], m["change"], m["purchase_order_id"]) for m in shelf["movements"]] == [
        ("received", 2, purchase_order_id)
    ]

    with pytest.raises(Conflict) as twice:
        receive(
            world,
            purchase_order_id,
            {"lines": [{"item_id": world.cheese["item_id"], "quantity": 2}]},
        )
    assert twice.value.reason == "stock_already_received"
    assert receivable(world) == [] and count(world.db, StockMovement) == 1
    assert len(receivable(world, world.other_village)) == 1, "B receives its own share still"


def test_an_item_already_on_the_shelf_is_added_to(pooled):
    world, purchase_order_id = pooled
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, CUTOFF)
    with world.db.unit_of_work() as uow:
        tracked = stock.add_item(
            uow, world.village, load(StockItemInput(), {"item_id": world.cheese["item_id"]})
        )
    with world.db.unit_of_work() as uow:
        stock.record_movement(
            uow,
            world.village,
            tracked["id"],
            {"kind": "received", "quantity": 4, "reason": None, "use_by": None},
            NOW,
        )
    (offered,) = receivable(world)
    assert offered["lines"][0]["stock_item_id"] == tracked["id"]
    assert offered["lines"][0]["on_shelf"] == 4
    received = receive(
        world, purchase_order_id, {"lines": [{"item_id": world.cheese["item_id"], "quantity": 3}]}
    )
    assert received["lines"][0]["on_shelf"] == 7 and count(world.db, StockItem) == 1


@pytest.mark.parametrize(
    "lines, field",
    [
        ([("bread", 1)], ("lines", 0, "item_id")),  # in A's catalogue, not in this order
        ([("cheese", -1)], ("lines", 0, "quantity")),
        ([("cheese", 100_000)], ("lines", 0, "quantity")),
        ([("cheese", 0)], ("lines",)),  # nothing to put on the shelf
        ([], ("lines",)),
        ([("cheese", 1), ("cheese", 2)], ("lines",)),
    ],
)
def test_bad_receipts_name_the_field_and_write_nothing(pooled, lines, field):
    world, purchase_order_id = pooled
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, CUTOFF)
    items = {"bread": world.bread["item_id"], "cheese": world.cheese["item_id"]}
    data = {"lines": [{"item_id": items[key], "quantity": q} for key, q in lines]}
    with pytest.raises(InvalidInput) as error:
        receive(world, purchase_order_id, data)
    errors = error.value.errors
    for key in field:
        errors = errors[key]
    assert count(world.db, StockMovement) == 0 and count(world.db, StockItem) == 0


def test_a_purchase_order_the_village_has_no_share_of_is_not_found(pooled):
    world, purchase_order_id = pooled
    with world.db.unit_of_work() as uow:
        supplier_orders.close_due(uow, CUTOFF)
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):
        stock.supplier_receipt(uow, str(uuid.uuid4()), purchase_order_id)
