"""Orders at the counter, on SQLite and PostgreSQL: checked against the village's catalogue read
model, priced with a snapshot, idempotent on creation, a guarded state machine with one event per
transition, bad input named field by field with nothing written; the partner's answers; the day's
list; the figures; and over real RPC, that typed errors cross as themselves."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.figures import period_bounds
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.orders import figures, idempotency, ordering, parcels, truck_stops
from services.orders.models import (
    DailyPartnerSales,
    DailySales,
    DailyVillage,
    KnownMember,
    MonthlyPartnerSales,
    MonthlySales,
    MonthlyVillage,
    Order,
    RolledDay,
    RolledMonth,
    RunningSales,
)
from services.orders.schemas.orders import (
    CollectInput,
    LineAnswerInput,
    ReadyInput,
    ReasonInput,
)
from services.orders.schemas.parcels import (
    HandOverInput,
    ParcelInput,
    ParcelReturnInput,
)
from services.orders.service import OrdersService
from tests.support.counter import NOW, THURSDAY, item, order_input, place
from tests.support.messages import without_french
from tests.support.statements import selects_from, statements_during

LATER = NOW + timedelta(hours=1)


def outbox(database, prefix="order."):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.startswith(prefix)).order_by(OutboxEvent.id)
        )
        return [json.loads(r.body) for r in rows]


def count_orders(database):
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Order)).scalar_one()


def test_a_local_order_is_confirmed_at_once_and_keeps_its_price(counter_world):
    world = counter_world
    order = place(world, world.village, order_input(world, (world.bread, 2)))
    assert (
        order["status"] == "confirmed"
        and order["total_cents"] == 640
        and order["member_name"] == "Alice Martin"
    )
    assert (
        order["lines"][0]["status"] == "confirmed" and order["lines"][0]["unit_price_cents"] == 320
    )
    assert [e["type"] for e in outbox(world.db)] == ["order.placed", "order.confirmed"]
    placed = outbox(world.db)[0]["payload"]
    assert placed["partner_ids"] == [world.baker] and placed["lines"][0]["quantity"] == 2
    assert "member_id" not in placed and "Alice" not in json.dumps(placed), "no member data travels"
    world.publish(
        world.village, [dict(world.bread, price_cents=999)], NOW
    )  # a new price later does not touch the order
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, order["id"], [world.village])["total_cents"] == 640


def test_the_same_idempotency_key_twice_makes_one_order(counter_world):
    world = counter_world
    data = order_input(world, (world.bread, 1))
    first, second = place(world, world.village, data), place(world, world.village, dict(data))
    assert first["id"] == second["id"] and count_orders(world.db) == 1
    assert [e["type"] for e in outbox(world.db)].count("order.placed") == 1
    other = place(
        world,
        world.other_village,
        order_input(
            world,
            (world.cheese_b, 1),
            idempotency_key=data["idempotency_key"],
            member_id=world.chloe,
        ),
    )
    assert other["id"] != first["id"], "a key is unique per village"


def test_a_key_committed_meanwhile_by_a_concurrent_request_answers_that_order(
    counter_world, monkeypatch
):
    """Two clicks at once: the second insert meets the unique key and answers the first order
    (nothing of its own written). The key is looked up only then: a new order does not ask."""
    world = counter_world
    data = order_input(world, (world.bread, 1), (world.cheese, 1))
    calls = []
    real = idempotency._existing

    def counted(uow, model, village_id, key):
        calls.append(key)
        return real(uow, model, village_id, key)

    monkeypatch.setattr(idempotency, "_existing", counted)
    first = place(world, world.village, data)
    assert calls == [], "a new order is not looked up first"
    assert place(world, world.village, dict(data))["id"] == first["id"] and calls == [
        data["idempotency_key"]
    ]
    assert count_orders(world.db) == 1 and [e["type"] for e in outbox(world.db)] == ["order.placed"]


def test_a_key_sent_again_answers_its_order_even_once_its_checks_fail(counter_world):
    """A retry after the delivery day passed, or after the member was erased, is still the same
    order: it answers it rather than the check's error; a new key gets the error."""
    world = counter_world
    data = order_input(world, (world.bread, 1))
    first = place(world, world.village, data)
    too_late = datetime.combine(THURSDAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    assert place(world, world.village, dict(data), now=too_late)["id"] == first["id"]
    with pytest.raises(InvalidInput) as error:
        place(world, world.village, order_input(world, (world.bread, 1)), now=too_late)
    assert "delivery_date" in error.value.errors
    assert count_orders(world.db) == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lines": [{"item_id": "nope", "quantity": 1}]}, ("lines", 0, "item_id")),
        ({"lines": [{"item_id": "B", "quantity": 1}]}, ("lines", 0, "item_id")),  # village B's item
        ({"lines": [{"item_id": "bread", "quantity": 0}]}, ("lines", 0, "quantity")),
        ({"lines": [{"item_id": "bread", "quantity": -3}]}, ("lines", 0, "quantity")),
        ({"lines": []}, ("lines",)),
        (
            {"lines": [{"item_id": "bread", "quantity": 1}, {"item_id": "bread", "quantity": 2}]},
            ("lines",),
        ),
        ({"delivery_date": "2026-11-30"}, ("delivery_date",)),
        ({"delivery_date": "hier"}, ("delivery_date",)),
        ({"fulfilment": "home_delivery"}, ("delivery_address",)),
        ({"fulfilment": "home_delivery", "delivery_address": "  "}, ("delivery_address",)),
        ({"fulfilment": "truck_stop"}, ("truck_stop",)),
        (
            {
                "fulfilment": "home_delivery",
                "delivery_address": "1 rue Basse",
                "member_id": "BRUNO",
            },
            ("fulfilment",),
        ),
        ({"fulfilment": "drone"}, ("fulfilment",)),
        ({"member_id": "C"}, ("member_id",)),  # a member of village B
        ({"member_id": str(uuid.uuid4())}, ("member_id",)),
        ({"idempotency_key": "x"}, ("idempotency_key",)),
        ({"lines": [{"item_id": "soldout", "quantity": 1}]}, ("lines", 0, "item_id")),
        (
            {"lines": [{"item_id": "fridays", "quantity": 1}]},
            ("lines", 0, "item_id"),
        ),  # Thursday is not a Friday
    ],
)
def test_bad_orders_name_the_field_and_write_nothing(counter_world, change, field):
    world = counter_world
    names = {
        "bread": world.bread["item_id"],
        "B": world.cheese_b["item_id"],
        "soldout": world.soldout["item_id"],
        "fridays": world.fridays["item_id"],
        "C": world.chloe,
        "BRUNO": world.bruno,
    }
    data = order_input(world, (world.bread, 1))
    for key, value in change.items():
        if key == "lines":
            value = [
                dict(line, item_id=names.get(line["item_id"], line["item_id"])) for line in value
            ]
        data[key] = names.get(value, value) if isinstance(value, str) else value
    with pytest.raises(InvalidInput) as err:
        place(world, world.village, data)
    errors = err.value.errors
    for key in field:
        errors = errors[key]
    assert errors and all(isinstance(m, str) for m in errors)
    assert without_french(err.value) == [], "every message has its French"
    assert count_orders(world.db) == 0 and outbox(world.db) == [], "nothing half-written"


def test_an_erased_member_or_one_line_outside_the_catalogue_is_named_alone(counter_world):
    """The member and the lines' items are read together: an erased member is refused as unknown,
    and of two lines only the one outside the village's catalogue is named."""
    world = counter_world
    with world.db.unit_of_work() as uow:
        uow.session.get(KnownMember, world.bruno).erased_at = NOW
        uow.commit()
    with pytest.raises(InvalidInput) as erased:
        place(world, world.village, order_input(world, (world.bread, 1), member_id=world.bruno))
    assert list(erased.value.errors) == ["member_id"]
    with pytest.raises(InvalidInput) as second:
        place(world, world.village, order_input(world, (world.bread, 1), (world.cheese_b, 2)))
    assert list(second.value.errors) == ["lines"] and list(second.value.errors["lines"]) == [1]
    assert count_orders(world.db) == 0 and outbox(world.db) == [], "nothing half-written"


def _stops_told(world, village_id, names) -> list[dict]:
    """`village.stops_changed` for `village_id` with stops named `names`, handled by orders."""
    stops = [
        {
            "stop_id": str(uuid.uuid4()),
            "name": n,
            "commune": "Montcalvel",
            "latitude": None,
            "longitude": None,
        }
        for n in names
    ]
    with world.db.unit_of_work() as uow:
        truck_stops.record_village_stops(
            uow,
            {"payload": {"village_id": village_id, "stops": stops}, "occurred_at": NOW},
        )
    return stops


def test_an_order_at_the_truck_names_one_of_its_villages_stops(counter_world):
    world = counter_world
    # before orders was told the village's stops: the text given, as orders always took it
    before = place(
        world,
        world.village,
        order_input(world, (world.bread, 1), fulfilment="truck_stop", truck_stop="Devant l'église"),
    )
    assert (before["truck_stop"], before["truck_stop_id"]) == ("Devant l'église", None)

    church, hamlet = _stops_told(world, world.village, ["Place de l'église", "Hameau des Bordes"])
    by_name = place(
        world,
        world.village,
        order_input(
            world, (world.bread, 1), fulfilment="truck_stop", truck_stop="  hameau des  BORDES "
        ),
    )
    assert (by_name["truck_stop"], by_name["truck_stop_id"]) == (
        "Hameau des Bordes",
        hamlet["stop_id"],
    )
    by_id = place(
        world,
        world.village,
        order_input(world, (world.bread, 1), fulfilment="truck_stop", truck_stop=church["stop_id"]),
    )
    assert (by_id["truck_stop"], by_id["truck_stop_id"]) == ("Place de l'église", church["stop_id"])
    counted = count_orders(world.db)
    with pytest.raises(InvalidInput) as err:
        place(
            world,
            world.village,
            order_input(world, (world.bread, 1), fulfilment="truck_stop", truck_stop="Le lavoir"),
        )
    assert err.value.errors == {
        "truck_stop": [
            "Not a stop of this village's truck; its stops: Place de l'église, Hameau des Bordes."
        ]
    }
    assert err.value.errors_fr["truck_stop"] == [
        "Ce n'est pas un arrêt du camion de ce village ; ses arrêts : Place de l'église, "
        "Hameau des Bordes."
    ]
    assert count_orders(world.db) == counted, "nothing written"
    with world.db.unit_of_work() as uow:  # the order from before reads as it was
        old = ordering.get_order(uow, before["id"], [world.village])
    assert (old["truck_stop"], old["truck_stop_id"]) == ("Devant l'église", None)
    # another village's stop is no stop of this one
    [elsewhere] = _stops_told(world, world.other_village, ["Parking de la mairie"])
    with pytest.raises(InvalidInput) as err:
        place(
            world,
            world.village,
            order_input(
                world, (world.bread, 1), fulfilment="truck_stop", truck_stop=elsewhere["stop_id"]
            ),
        )
    assert list(err.value.errors) == ["truck_stop"]


def test_too_late_for_a_shared_supplier_and_one_bad_line_spoils_nothing(counter_world):
    world = counter_world
    tomorrow = (
        NOW.date() + timedelta(days=1)
    ).isoformat()  # cheese needs a day's lead, cut at noon
    with pytest.raises(InvalidInput) as err:
        place(
            world,
            world.village,
            order_input(world, (world.bread, 1), (world.cheese, 1), delivery_date=tomorrow),
            now=NOW + timedelta(hours=4),
        )
    assert (
        list(err.value.errors["lines"]) == [1]
        and "Too late" in err.value.errors["lines"][1]["item_id"][0]
    )
    assert count_orders(world.db) == 0 and outbox(world.db, "") == []


def test_the_counter_state_machine(counter_world):
    world = counter_world
    order = place(world, world.village, order_input(world, (world.bread, 1)))
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as early:
        ordering.collect(uow, order["id"], load(CollectInput(), {}), [world.village], LATER)
    assert (
        early.value.reason == "order_status_transition"
        and early.value.details["current"] == "confirmed"
    )
    with world.db.unit_of_work() as uow:
        assert (
            ordering.mark_ready(uow, order["id"], load(ReadyInput(), {}), [world.village], LATER)[
                "status"
            ]
            == "ready"
        )
    with world.db.unit_of_work() as uow:
        done = ordering.collect(uow, order["id"], load(CollectInput(), {}), [world.village], LATER)
    assert done["status"] == "collected" and done["closed_at"]
    with world.db.unit_of_work() as uow, pytest.raises(Conflict):
        ordering.cancel(
            uow, order["id"], load(ReasonInput(), {"reason": "trop tard"}), [world.village], LATER
        )

    cancelled = place(world, world.village, order_input(world, (world.bread, 1)))
    with world.db.unit_of_work() as uow:
        gone = ordering.cancel(
            uow,
            cancelled["id"],
            load(ReasonInput(), {"reason": "Changement d'avis"}),
            [world.village],
            LATER,
        )
    assert gone["status"] == "cancelled"
    with (
        world.db.unit_of_work() as uow,
        pytest.raises(Conflict) as wrong,
    ):  # collect a cancelled order
        ordering.collect(uow, cancelled["id"], load(CollectInput(), {}), [world.village], LATER)
    assert wrong.value.details == {"current": "cancelled", "requested": "collected", "allowed": []}
    with world.db.unit_of_work() as uow, pytest.raises(InvalidInput) as no_reason:
        ordering.cancel(uow, order["id"], load(ReasonInput(), {}), [world.village], LATER)
    assert "reason" in no_reason.value.errors
    with (
        world.db.unit_of_work() as uow,
        pytest.raises(NotFound),
    ):  # another village's order is not found
        ordering.get_order(uow, order["id"], [world.other_village])
    types = [e["type"] for e in outbox(world.db)]
    assert types == [
        "order.placed",
        "order.confirmed",
        "order.ready",
        "order.collected",
        "order.placed",
        "order.confirmed",
        "order.cancelled",
    ]
    assert outbox(world.db)[-1]["payload"]["reason"] == "Changement d'avis"


def test_a_transition_answers_the_order_as_committed_without_reading_it_again(counter_world):
    world = counter_world
    order = place(world, world.village, order_input(world, (world.bread, 2)))
    for move, status in (
        (
            lambda uow: ordering.mark_ready(
                uow, order["id"], load(ReadyInput(), {}), [world.village], LATER
            ),
            "ready",
        ),
        (
            lambda uow: ordering.collect(
                uow, order["id"], load(CollectInput(), {}), [world.village], LATER
            ),
            "collected",
        ),
    ):

        def act(move=move):  # called at once, but bound all the same
            with world.db.unit_of_work() as uow:
                return move(uow)

        orders_read, answer = selects_from(world.db, "orders", act)
        assert answer["status"] == status and len(orders_read) == 1, orders_read
        with world.db.unit_of_work() as uow:
            assert answer == ordering.get_order(uow, order["id"], [world.village])


def test_a_locker_order_needs_its_compartment_and_its_code(counter_world):
    world = counter_world
    order = place(world, world.village, order_input(world, (world.bread, 1), fulfilment="locker"))
    assert len(order["locker_code"]) == 6
    with world.db.unit_of_work() as uow, pytest.raises(InvalidInput) as no_place:
        ordering.mark_ready(uow, order["id"], load(ReadyInput(), {}), [world.village], LATER)
    assert "compartment" in no_place.value.errors
    with world.db.unit_of_work() as uow:
        assert (
            ordering.mark_ready(
                uow, order["id"], load(ReadyInput(), {"compartment": "C4"}), [world.village], LATER
            )["locker_compartment"]
            == "C4"
        )
    wrong = "000000" if order["locker_code"] != "000000" else "111111"
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as err:
        ordering.collect(
            uow, order["id"], load(CollectInput(), {"code": wrong}), [world.village], LATER
        )
    assert err.value.reason == "wrong_pickup_code" and err.value.field == "code"
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, order["id"], [world.village])["status"] == "ready", (
            "a wrong code changes nothing"
        )
        assert (
            ordering.collect(
                uow,
                order["id"],
                load(CollectInput(), {"code": order["locker_code"]}),
                [world.village],
                LATER,
            )["status"]
            == "collected"
        )


def test_home_delivery_goes_on_a_round_and_is_delivered_not_collected(counter_world):
    world = counter_world
    order = place(
        world,
        world.village,
        order_input(
            world,
            (world.bread, 3),
            fulfilment="home_delivery",
            delivery_address="3 rue des Tilleuls, Peyrelevade",
        ),
    )
    place(
        world, world.village, order_input(world, (world.bread, 1))
    )  # a counter order is not on the round
    with world.db.unit_of_work() as uow:
        assert ordering.orders_for_round(uow, THURSDAY) == [
            {
                "order_id": order["id"],
                "village_id": world.village,
                "member_id": world.alice,
                "address": "3 rue des Tilleuls, Peyrelevade",
                "items_count": 3,
            }
        ]
        assert ordering.orders_for_round(uow, THURSDAY, [world.other_village]) == []
        assert ordering.orders_for_round(uow, THURSDAY + timedelta(days=1)) == []
    with world.db.unit_of_work() as uow:
        ordering.mark_ready(uow, order["id"], load(ReadyInput(), {}), [world.village], LATER)
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as err:
        ordering.collect(uow, order["id"], load(CollectInput(), {}), [world.village], LATER)
    assert err.value.reason == "order_is_home_delivery"
    with world.db.unit_of_work() as uow:  # rounds call mark_delivered inside their own unit of work
        ordering.mark_delivered(uow, order["id"], LATER)
        uow.rollback()
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, order["id"], None)["status"] == "ready", (
            "mark_delivered does not commit"
        )
        ordering.mark_delivered(uow, order["id"], LATER)
        uow.commit()
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, order["id"], None)["status"] == "delivered"
        assert ordering.orders_for_round(uow, THURSDAY) == []
    assert outbox(world.db)[-1]["type"] == "order.delivered"


def test_a_supplier_confirms_or_refuses_its_own_lines_before_the_cutoff(counter_world):
    world = counter_world
    mixed = place(world, world.village, order_input(world, (world.bread, 1), (world.cheese, 2)))
    assert mixed["status"] == "placed" and [line["status"] for line in mixed["lines"]] == [
        "confirmed",
        "pending",
    ]
    with world.db.unit_of_work() as uow:
        seen = ordering.partner_orders(uow, world.cheese_maker)
    assert [o["id"] for o in seen] == [mixed["id"]] and [
        line["name"] for line in seen[0]["lines"]
    ] == ["Tomme"]
    assert "member_id" not in seen[0]
    cheese_line = mixed["lines"][1]["id"]
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):  # not its line
        ordering.answer_line(
            uow,
            world.baker,
            mixed["id"],
            cheese_line,
            "confirm",
            load(LineAnswerInput(), {}),
            LATER,
        )
    with world.db.unit_of_work() as uow, pytest.raises(InvalidInput) as no_reason:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            mixed["id"],
            cheese_line,
            "refuse",
            load(LineAnswerInput(), {}),
            LATER,
        )
    assert "reason" in no_reason.value.errors
    with world.db.unit_of_work() as uow:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            mixed["id"],
            cheese_line,
            "confirm",
            load(LineAnswerInput(), {}),
            LATER,
        )
    with world.db.unit_of_work() as uow:
        assert ordering.get_order(uow, mixed["id"], [world.village])["status"] == "confirmed"
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            mixed["id"],
            cheese_line,
            "refuse",
            load(LineAnswerInput(), {"reason": "Plus de stock"}),
            LATER,
        )
    assert twice.value.reason == "line_already_answered"

    only_cheese = place(
        world, world.village, order_input(world, (world.cheese, 1), member_id=world.bruno)
    )
    with world.db.unit_of_work() as uow:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            only_cheese["id"],
            only_cheese["lines"][0]["id"],
            "refuse",
            load(LineAnswerInput(), {"reason": "Plus de tomme cette semaine"}),
            LATER,
        )
    with world.db.unit_of_work() as uow:
        refused = ordering.get_order(uow, only_cheese["id"], [world.village])
    assert refused["status"] == "refused" and refused["reason"] == "Plus de tomme cette semaine"
    assert refused["total_cents"] == 0
    last = outbox(world.db)[-1]
    assert last["type"] == "order.refused" and last["payload"]["partner_ids"] == [
        world.cheese_maker
    ]

    dropped = place(world, world.village, order_input(world, (world.cheese, 1)))
    with world.db.unit_of_work() as uow:
        ordering.cancel(
            uow,
            dropped["id"],
            load(ReasonInput(), {"reason": "Partie chez sa fille"}),
            [world.village],
            LATER,
        )
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as gone:
        ordering.answer_line(
            uow,
            world.cheese_maker,
            dropped["id"],
            dropped["lines"][0]["id"],
            "confirm",
            load(LineAnswerInput(), {}),
            LATER,
        )
    assert gone.value.reason == "order_not_awaiting" and gone.value.details == {
        "status": "cancelled"
    }

    late = place(world, world.village, order_input(world, (world.cheese, 1)))
    with (
        world.db.unit_of_work() as uow,
        pytest.raises(Conflict) as after_cutoff,
    ):  # Wednesday noon has passed
        ordering.answer_line(
            uow,
            world.cheese_maker,
            late["id"],
            late["lines"][0]["id"],
            "confirm",
            load(LineAnswerInput(), {}),
            datetime(2026, 12, 2, 11, 0, tzinfo=UTC),
        )
    assert after_cutoff.value.reason == "cutoff_passed"


def test_the_counter_day_lists_what_to_prepare_hand_over_and_what_waits(counter_world):
    world = counter_world
    to_prepare = place(world, world.village, order_input(world, (world.bread, 1)))
    ready = place(world, world.village, order_input(world, (world.bread, 2), member_id=world.bruno))
    awaiting = place(world, world.village, order_input(world, (world.cheese, 1)))
    place(
        world, world.other_village, order_input(world, (world.cheese_b, 1), member_id=world.chloe)
    )  # another village
    with world.db.unit_of_work() as uow:
        ordering.mark_ready(uow, ready["id"], load(ReadyInput(), {}), [world.village], LATER)
    with world.db.unit_of_work() as uow:
        old = parcels.receive(
            uow,
            world.village,
            load(
                ParcelInput(),
                {
                    "member_id": world.alice,
                    "sender_kind": "la_poste",
                    "place_kind": "shelf",
                    "place": "A1",
                },
            ),
            NOW - timedelta(days=4),
        )
    with world.db.unit_of_work() as uow:
        day = ordering.counter_today(uow, world.village, THURSDAY, LATER)
    assert [o["id"] for o in day["to_prepare"]] == [to_prepare["id"]]
    assert [o["id"] for o in day["to_hand_over"]] == [ready["id"]]
    assert [o["id"] for o in day["awaiting_suppliers"]] == [awaiting["id"]] and day[
        "awaiting_suppliers_count"
    ] == 1
    assert [p["id"] for p in day["parcels_waiting"]] == [old["id"]] and day["reminders_due"] == 1
    assert day["parcels_waiting"][0]["member_name"] == "Alice Martin"
    with world.db.unit_of_work() as uow:
        assert (
            ordering.counter_today(uow, world.village, THURSDAY - timedelta(days=1), LATER)[
                "to_prepare"
            ]
            == []
        )


def test_the_counter_day_lists_the_first_orders_awaiting_suppliers_and_counts_them_all(
    counter_world, monkeypatch
):
    """However many wait (hundreds in a busy week), the day shows the
    earliest few and their number."""
    world = counter_world
    monkeypatch.setattr(ordering, "AWAITING_SHOWN", 2)
    placed = [
        place(
            world, world.village, order_input(world, (world.cheese, 1)), NOW + timedelta(minutes=i)
        )
        for i in range(3)
    ]
    with world.db.unit_of_work() as uow:
        day = ordering.counter_today(uow, world.village, THURSDAY, LATER)
    assert [o["id"] for o in day["awaiting_suppliers"]] == [o["id"] for o in placed[:2]]
    assert day["awaiting_suppliers_count"] == 3
    with world.db.unit_of_work() as uow:
        other = ordering.counter_today(uow, world.other_village, THURSDAY, LATER)
    assert other["awaiting_suppliers"] == [] and other["awaiting_suppliers_count"] == 0


def test_figures_count_orders_sales_by_partner_and_parcels(counter_world):
    world = counter_world
    sold = place(world, world.village, order_input(world, (world.bread, 2)))
    place(
        world, world.village, order_input(world, (world.bread, 5))
    )  # placed, never collected: not a sale
    for step, schema in ((ordering.mark_ready, ReadyInput), (ordering.collect, CollectInput)):
        with world.db.unit_of_work() as uow:
            step(uow, sold["id"], load(schema(), {}), [world.village], LATER)
    with world.db.unit_of_work() as uow:
        parcel = parcels.receive(
            uow,
            world.village,
            load(
                ParcelInput(),
                {
                    "member_id": world.alice,
                    "sender_kind": "carrier",
                    "place_kind": "shelf",
                    "place": "B2",
                },
            ),
            NOW,
        )
    with world.db.unit_of_work() as uow:
        parcels.hand_over(
            uow,
            parcel["id"],
            load(HandOverInput(), {"code": parcel["pickup_code"]}),
            [world.village],
            LATER,
        )
    with world.db.unit_of_work() as uow:
        result = figures.village_figures(
            uow, date(2026, 12, 1), date(2026, 12, 1), None, ["sales_by_partner"]
        )
        nothing_else = {
            "help_requests_done": 0,
            "help_minutes": 0,
            "help_requests_unmatched": 0,
            "rounds_planned": 0,
            "till_sales": 0,
            "solidarity_sales": 0,
            "solidarity_sales_cents": 0,
        }
        assert result["figures"][world.village] == {
            "orders": 2,
            "sales_cents": 640,
            "parcels_received": 1,
            "parcels_handed_over": 1,
            **nothing_else,
        }
        assert result["figures"][world.other_village] == {
            "orders": 0,
            "sales_cents": 0,
            "parcels_received": 0,
            "parcels_handed_over": 0,
            **nothing_else,
        }
        assert result["details"]["sales_by_partner"] == [
            {
                "village_id": world.village,
                "partner_id": world.baker,
                "partner_name": world.bread["partner_name"],
                "sales_cents": 640,
            }
        ]
        # the CSV export's own query: the same sums, as bare rows, for the villages asked
        assert figures.sales_by_village_and_partner(uow, date(2026, 12, 1), date(2026, 12, 1)) == [
            [world.village, world.baker, world.bread["partner_name"], 640]
        ]
        assert (
            figures.sales_by_village_and_partner(
                uow, date(2026, 12, 1), date(2026, 12, 1), [world.other_village]
            )
            == []
        )
        assert result["details"]["partner_sales"] == [
            {
                "partner_id": world.baker,
                "partner_name": world.bread["partner_name"],
                "sales_cents": 640,
            }
        ]
        assert (
            "sales_by_partner"
            not in figures.village_figures(uow, date(2026, 12, 1), date(2026, 12, 1))["details"]
        ), "the detail by village and partner only when asked for"
        assert list(
            figures.village_figures(
                uow, date(2026, 12, 2), date(2026, 12, 3), [world.other_village]
            )["figures"]
        ) == [world.other_village]
        assert (
            figures.village_figures(uow, date(2026, 11, 2), date(2026, 11, 3), [world.village])[
                "figures"
            ][world.village]["orders"]
            == 0
        )


def test_figures_count_parcels_by_sender_by_the_rules_of_the_villages_parcel_figures(counter_world):
    """La Poste, each carrier (its name as typed, case and spaces aside) and neighbours (without
    their names) get a line: parcels received, handed over and returned in the period, for the
    villages asked for."""
    world = counter_world

    def receive(village, member, kind, name=None, when=NOW):
        with world.db.unit_of_work() as uow:
            return parcels.receive(
                uow,
                village,
                load(
                    ParcelInput(),
                    {
                        "member_id": member,
                        "sender_kind": kind,
                        "sender_name": name,
                        "place_kind": "shelf",
                        "place": "B2",
                    },
                ),
                when,
            )

    handed = receive(world.village, world.alice, "carrier", "Chronopost")
    receive(world.village, world.alice, "carrier", " chronopost ")
    returned = receive(world.village, world.alice, "la_poste")
    receive(world.other_village, world.chloe, "la_poste")
    receive(
        world.village, world.alice, "neighbour", when=NOW - timedelta(days=30)
    )  # before the period
    receive(world.village, world.alice, "neighbour", "Mme Besse")  # a person: her name stays out
    with world.db.unit_of_work() as uow:
        parcels.hand_over(
            uow,
            handed["id"],
            load(HandOverInput(), {"code": handed["pickup_code"]}),
            [world.village],
            LATER,
        )
    with world.db.unit_of_work() as uow:
        parcels.return_to_sender(
            uow,
            returned["id"],
            load(ParcelReturnInput(), {"reason": "Refusé"}),
            [world.village],
            LATER,
        )

    def by_sender(*village_ids):
        with world.db.unit_of_work() as uow:
            result = figures.village_figures(
                uow, date(2026, 12, 1), date(2026, 12, 1), list(village_ids) or None
            )
        return [
            (
                r["sender_kind_label"],
                r["sender_name"],
                r["parcels_received"],
                r["parcels_handed_over"],
                r["parcels_returned"],
            )
            for r in result["details"]["parcels_by_sender"]
        ], result["figures"]

    lines, village_figures = by_sender()
    assert lines == [
        ("La Poste", "", 2, 0, 1),
        ("Transporteur", "Chronopost", 2, 1, 0),
        ("Voisin·e", "", 1, 0, 0),
    ]
    assert sum(line[2] for line in lines) == sum(
        f["parcels_received"] for f in village_figures.values()
    )
    assert sum(line[3] for line in lines) == sum(
        f["parcels_handed_over"] for f in village_figures.values()
    )
    assert by_sender(world.other_village)[0] == [("La Poste", "", 1, 0, 0)]


def test_figures_read_the_daily_roll_up_and_count_what_is_not_rolled_up_from_the_orders(
    counter_world,
):
    """Days that are over are rolled up once (figures.roll_up, a timer); the figures of a period are
    the same before and after, a day is counted once, and a day not over yet is never rolled up."""
    world = counter_world
    monday, tuesday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC), NOW
    sold = place(world, world.village, order_input(world, (world.bread, 2)), monday)
    place(
        world,
        world.other_village,
        order_input(world, (world.cheese_b, 1), member_id=world.chloe),
        monday,
    )
    late = place(world, world.village, order_input(world, (world.bread, 3)), tuesday)
    for order, when in ((sold, monday), (late, tuesday)):
        for step, schema in ((ordering.mark_ready, ReadyInput), (ordering.collect, CollectInput)):
            with world.db.unit_of_work() as uow:
                step(
                    uow,
                    order["id"],
                    load(schema(), {}),
                    [world.village],
                    when + timedelta(hours=2),
                )

    def period(*village_ids):
        with world.db.unit_of_work() as uow:
            result = figures.village_figures(
                uow,
                date(2026, 11, 30),
                date(2026, 12, 1),
                list(village_ids) or None,
                ["sales_by_partner"],
            )
            summary = figures.village_figures(
                uow, date(2026, 11, 30), date(2026, 12, 1), list(village_ids) or None
            )
        return (
            {v: (f["orders"], f["sales_cents"]) for v, f in result["figures"].items()},
            result["details"]["sales_by_partner"],
            summary["details"]["partner_sales"],
        )

    before = period()
    assert before[0][world.village] == (2, 640 + 960) and before[0][world.other_village] == (1, 0)
    with (
        world.db.unit_of_work() as uow
    ):  # Tuesday 00:30 in Paris: Monday is over, but not for an hour yet
        assert figures.roll_up(uow, datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == []
    with world.db.unit_of_work() as uow:  # Tuesday 09:00: Monday is rolled up, Tuesday is not over
        assert figures.roll_up(uow, tuesday) == [date(2026, 11, 30)]
    with world.db.unit_of_work() as uow:
        assert figures.roll_up(uow, tuesday) == [], "a day is rolled up once"
        daily = uow.session.scalars(select(DailyVillage)).all()
        assert {(d.day, d.village_id, d.orders, d.sales_cents) for d in daily} == {
            (date(2026, 11, 30), world.village, 1, 640),
            (date(2026, 11, 30), world.other_village, 1, 0),
        }
        assert {
            (d.village_id, d.partner_id, d.sales_cents)
            for d in uow.session.scalars(select(DailySales))
        } == {(world.village, world.baker, 640)}
        assert {
            (d.partner_id, d.sales_cents) for d in uow.session.scalars(select(DailyPartnerSales))
        } == {(world.baker, 640)}
    assert period() == before, "Monday from the roll-up, Tuesday from the orders"
    assert period(world.other_village) == ({world.other_village: (1, 0)}, [], [])
    assert (
        period(world.village)[2]
        == before[2]
        == [
            {
                "partner_id": world.baker,
                "partner_name": world.bread["partner_name"],
                "sales_cents": 640 + 960,
            }
        ]
    ), "a village's partners from daily_sales"
    with (
        world.db.unit_of_work() as uow
    ):  # a week later both days are rolled up: still the same figures
        assert figures.roll_up(uow, tuesday + timedelta(days=7))[0] == date(2026, 12, 1)
    assert period() == before


class Figures(NamedTuple):
    """What `figures.village_figures` says of a period, as the roll-up test compares it."""

    per_village: dict  # village id -> (orders, sales_cents, parcels received, handed over)
    partner_sales: list
    sales_by_partner: list
    parcels_by_sender: list  # (kind, name, received, handed over, returned)


class Counted(NamedTuple):
    network: Figures  # every village
    village: Figures  # the counter world's `village` alone


def test_whole_months_are_rolled_up_once_their_days_are_and_figures_stay_the_same(counter_world):
    """A month whose days are all rolled up is summed into the monthly tables; a period reads its
    whole months from them, the rest of its days from the daily ones or the orders and parcels, and
    gives the same figures as counted from the orders and parcels."""
    world = counter_world
    # parcels from October 10th (before the first order): a carrier's handed over two days later, La
    # Poste's returned, one received on November 30th
    for received, kind, name, close, schema in (
        (
            datetime(2026, 10, 10, 9, 0, tzinfo=UTC),
            "carrier",
            "DPD",
            parcels.hand_over,
            HandOverInput,
        ),
        (
            datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
            "la_poste",
            None,
            parcels.return_to_sender,
            ParcelReturnInput,
        ),
        (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "carrier", "dpd ", None, None),
    ):
        with world.db.unit_of_work() as uow:
            parcel = parcels.receive(
                uow,
                world.village,
                load(
                    ParcelInput(),
                    {
                        "member_id": world.alice,
                        "sender_kind": kind,
                        "sender_name": name,
                        "place_kind": "shelf",
                        "place": "B2",
                    },
                ),
                received,
            )
        if close:
            with world.db.unit_of_work() as uow:
                close(
                    uow,
                    parcel["id"],
                    load(
                        schema(),
                        {"code": parcel["pickup_code"]} if close is parcels.hand_over else {},
                    ),
                    [world.village],
                    received + timedelta(days=2),
                )
    first_order = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)  # October from its 12th on
    for when, village, line, member in (
        (first_order, world.village, (world.bread, 2), world.alice),
        (datetime(2026, 10, 31, 10, 0, tzinfo=UTC), world.village, (world.bread, 1), world.alice),
        (
            datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
            world.other_village,
            (world.cheese_b, 1),
            world.chloe,
        ),
        (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), world.village, (world.bread, 4), world.alice),
    ):
        order = place(world, village, order_input(world, line, member_id=member), when)
        for step, schema in (
            ((ordering.mark_ready, ReadyInput), (ordering.collect, CollectInput))
            if village == world.village
            else ()
        ):  # the other village's order waits for its supplier
            with world.db.unit_of_work() as uow:
                step(uow, order["id"], load(schema(), {}), [village], when + timedelta(hours=2))
    october_and_november = (date(2026, 10, 1), date(2026, 11, 30))
    from_october_20th = (date(2026, 10, 20), date(2026, 12, 1))
    november = (date(2026, 11, 1), date(2026, 11, 30))
    from_november_2nd = (date(2026, 11, 2), date(2026, 11, 30))
    periods = [october_and_november, from_october_20th, november, from_november_2nd]

    def figures_of(date_from, date_to, *village_ids):
        with world.db.unit_of_work() as uow:
            result = figures.village_figures(
                uow, date_from, date_to, list(village_ids) or None, ("sales_by_partner",)
            )
            # the CSV export's own query says the same, rolled up or not
            assert figures.sales_by_village_and_partner(
                uow, date_from, date_to, list(village_ids) or None
            ) == [list(row.values()) for row in result["details"]["sales_by_partner"]]
        return Figures(
            {
                v: (f["orders"], f["sales_cents"], f["parcels_received"], f["parcels_handed_over"])
                for v, f in result["figures"].items()
            },
            result["details"]["partner_sales"],
            result["details"]["sales_by_partner"],
            [
                (
                    r["sender_kind"],
                    r["sender_name"],
                    r["parcels_received"],
                    r["parcels_handed_over"],
                    r["parcels_returned"],
                )
                for r in result["details"]["parcels_by_sender"]
            ],
        )

    counted = {
        period: Counted(figures_of(*period), figures_of(*period, world.village))
        for period in periods
    }
    assert counted[october_and_november].network.per_village == {
        world.village: (3, 320 * 7, 3, 1),
        world.other_village: (1, 0, 0, 0),
    }
    assert counted[october_and_november].network.parcels_by_sender == [
        ("carrier", "DPD", 2, 1, 0),
        ("la_poste", "", 1, 0, 1),
    ]
    assert counted[november].village.parcels_by_sender == [
        ("la_poste", "", 1, 0, 1),
        ("carrier", "dpd", 1, 0, 0),
    ]
    assert [
        (r["village_id"], r["sales_cents"])
        for r in counted[from_october_20th].network.sales_by_partner
    ] == [(world.village, 320 * 5)]
    with (
        world.db.unit_of_work() as uow
    ):  # November 30th is over but not for an hour: only October is whole
        figures.roll_up(uow, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
        assert list(uow.session.scalars(select(RolledMonth.month))) == [date(2026, 10, 1)]
    with world.db.unit_of_work() as uow:
        figures.roll_up(uow, NOW)
        figures.roll_up(uow, NOW)
        assert sorted(uow.session.scalars(select(RolledMonth.month))) == [
            date(2026, 10, 1),
            date(2026, 11, 1),
        ]
        monthly = {
            (m.month, m.village_id): (
                m.orders,
                m.sales_cents,
                m.parcels_received,
                m.parcels_handed_over,
            )
            for m in uow.session.scalars(select(MonthlyVillage))
        }
        assert monthly[(date(2026, 10, 1), world.village)] == (2, 320 * 3, 1, 1)
        assert monthly[(date(2026, 11, 1), world.village)] == (1, 320 * 4, 2, 0)
        assert uow.session.scalar(select(func.min(RolledDay.day))) == date(2026, 10, 10), (
            "from the first parcel"
        )
        assert {
            (m.month, m.sales_cents)
            for m in uow.session.scalars(select(MonthlyPartnerSales))
            if m.partner_id == world.baker
        } == {(date(2026, 10, 1), 320 * 3), (date(2026, 11, 1), 320 * 4)}
        by_village = {
            (m.month, m.village_id, m.partner_id, m.sales_cents)
            for m in uow.session.scalars(select(MonthlySales))
        }
        assert by_village == {
            (date(2026, 10, 1), world.village, world.baker, 320 * 3),
            (date(2026, 11, 1), world.village, world.baker, 320 * 4),
        }
    for period in periods:
        recounted = Counted(figures_of(*period), figures_of(*period, world.village))
        assert recounted == counted[period], period
    tables = (
        "monthly_villages",
        "monthly_partner_sales",
        "monthly_sales",
        "running_sales",
        "daily_villages",
        "daily_partner_sales",
        "daily_sales",
        "daily_parcel_senders",
        "orders",
        "parcels",
    )

    def read_for(*args):  # what the figures read for a whole month: its monthly rows
        with world.db.unit_of_work() as uow:
            statements, _figures = statements_during(
                world.db,
                lambda: figures.village_figures(uow, date(2026, 11, 1), date(2026, 11, 30), *args),
            )
        return {table for table in tables if any(f"FROM {table} " in f"{s} " for s in statements)}

    assert read_for() == {"monthly_villages", "monthly_partner_sales", "daily_parcel_senders"}
    assert read_for(None, ("sales_by_partner",)) == {
        "monthly_villages",
        "monthly_partner_sales",
        "running_sales",
        "daily_parcel_senders",
    }, "sales by village and partner: the running totals of the month"
    assert read_for([world.village]) == {"monthly_villages", "monthly_sales", "parcels"}, (
        "a few villages' senders: their parcels"
    )


def sales_counted_from_the_orders(world, date_from, date_to) -> list[list]:
    """The export's rows summed here from every order and line, by its rule: lines not refused of
    the orders collected or delivered during the period (Europe/Paris days)."""
    start, end = period_bounds(date_from, date_to)
    summed, names = {}, {}
    with world.db.unit_of_work() as uow:
        for order in uow.session.scalars(select(Order)):
            if order.status not in ("collected", "delivered") or not start <= order.closed_at < end:
                continue
            for line in order.lines:
                if line.status != "refused":
                    key = (order.village_id, line.partner_id)
                    summed[key] = summed.get(key, 0) + line.quantity * line.unit_price_cents
                    names[line.partner_id] = line.partner_name
    return [[v, p, names[p], cents] for (v, p), cents in sorted(summed.items())]


def test_sales_by_village_and_partner_from_the_running_totals_equal_the_orders_summed(
    counter_world,
):
    """The export reads the running totals of the months rolled up (taking away the days of a month
    cut by the period when they are fewer), the daily rows of the other days and today's orders:
    whatever the period, before and after each roll-up (run twice, as by two replicas), the rows
    are those summed from the orders themselves; an order cancelled, one never collected and a
    free item are counted by the same rule."""
    world = counter_world
    grocer = str(uuid.uuid4())
    honey, tea = item("Miel", grocer, price_cents=750), item("Tisane", grocer, price_cents=0)
    bread_b = item("Pain", world.baker, price_cents=300)
    world.publish(
        world.village,
        [world.bread, world.cheese, world.soldout, world.fridays, honey, tea],
        NOW - timedelta(hours=12),
    )
    world.publish(world.other_village, [world.cheese_b, bread_b], NOW - timedelta(hours=12))

    def at(month, day, hour=10):
        return datetime(2026, month, day, hour, 0, tzinfo=UTC)

    # (placed at, village, member, lines, what became of it): closed two hours after being placed
    for when, village, member, lines, fate in (
        (at(10, 2), world.village, world.alice, [(world.bread, 2), (honey, 1)], "collected"),
        (at(10, 2), world.village, world.bruno, [(world.bread, 9)], "cancelled"),
        (at(10, 14), world.other_village, world.chloe, [(bread_b, 1)], "collected"),
        (at(10, 20), world.village, world.bruno, [(tea, 1)], "collected"),  # free: still a line
        # October 31st, 23:30 UTC: collected on November 1st in Paris
        (
            at(10, 31, 23) + timedelta(minutes=-90),
            world.village,
            world.alice,
            [(honey, 2)],
            "collected",
        ),
        (at(11, 1), world.village, world.alice, [(world.bread, 1)], "placed"),  # never collected
        (at(11, 12), world.other_village, world.chloe, [(bread_b, 4)], "collected"),
        (at(11, 27), world.village, world.bruno, [(world.bread, 3), (honey, 1)], "collected"),
        (at(11, 27), world.village, world.alice, [(honey, 5)], "cancelled"),
        (at(11, 30, 8), world.other_village, world.chloe, [(bread_b, 2)], "collected"),
        (NOW - timedelta(hours=4), world.village, world.alice, [(world.bread, 1)], "collected"),
    ):
        order = place(world, village, order_input(world, *lines, member_id=member), when)
        steps = {
            "collected": [
                (ordering.mark_ready, ReadyInput, {}),
                (ordering.collect, CollectInput, {}),
            ],
            "cancelled": [
                (ordering.mark_ready, ReadyInput, {}),
                (ordering.cancel, ReasonInput, {"reason": "Plus besoin"}),
            ],
            "placed": [],
        }[fate]
        for step, schema, data in steps:
            with world.db.unit_of_work() as uow:
                step(uow, order["id"], load(schema(), data), [village], when + timedelta(hours=2))

    periods = [
        (date(2026, 10, 1), date(2026, 12, 1)),  # two whole months and today
        (date(2026, 10, 5), date(2026, 11, 30)),  # October less its first four days
        (date(2026, 10, 5), date(2026, 10, 31)),  # the free tea's line, October less four days
        (date(2026, 10, 15), date(2026, 10, 25)),  # the free tea's line alone
        (date(2026, 10, 20), date(2026, 11, 26)),  # October's days; November less four days
        (date(2026, 11, 3), date(2026, 11, 28)),  # within November, less four days
        (date(2026, 11, 10), date(2026, 11, 12)),  # a few days
        (date(2026, 9, 1), date(2026, 10, 31)),  # from before the first order
        (date(2026, 11, 2), date(2026, 12, 1)),
    ]

    def check(when):
        for date_from, date_to in periods:
            expected = sales_counted_from_the_orders(world, date_from, date_to)
            for village_ids in (None, [world.other_village]):
                with world.db.unit_of_work() as uow:
                    rows = figures.sales_by_village_and_partner(
                        uow, date_from, date_to, village_ids
                    )
                wanted = [r for r in expected if village_ids is None or r[0] in village_ids]
                assert rows == wanted, (when, date_from, date_to, village_ids)
                with world.db.unit_of_work() as uow:  # as the RPC sends them
                    table = figures.sales_by_partner_table(uow, date_from, date_to, village_ids)
                villages = [
                    village
                    for village, count in zip(table["villages"], table["rows_per_village"])
                    for _row in range(count)
                ]
                assert [
                    [village, *table["partners"][p], cents]
                    for village, p, cents in zip(villages, table["partner"], table["sales_cents"])
                ] == rows

    assert sales_counted_from_the_orders(world, date(2026, 10, 1), date(2026, 12, 1)) == sorted(
        [
            [world.village, world.baker, world.bread["partner_name"], 320 * (2 + 3 + 1)],
            [world.village, grocer, honey["partner_name"], 750 * (1 + 2 + 1)],
            [world.other_village, world.baker, bread_b["partner_name"], 300 * (1 + 4 + 2)],
        ]
    ), "the orders cancelled or never collected are not sales"
    check("nothing rolled up")
    with world.db.unit_of_work() as uow:  # November 15th: October and its first days rolled up
        figures.roll_up(uow, at(11, 15))
    check("October rolled up")
    for _replica in range(2):
        with world.db.unit_of_work() as uow:
            figures.roll_up(uow, NOW)
    with world.db.unit_of_work() as uow:
        assert sorted(uow.session.scalars(select(RolledMonth.month))) == [
            date(2026, 10, 1),
            date(2026, 11, 1),
        ]
        assert {
            (r.month, r.village_id, r.partner_id): (r.sales_cents, r.days_sold)
            for r in uow.session.scalars(select(RunningSales))
            if r.village_id == world.village and r.partner_id == grocer
        } == {
            (date(2026, 10, 1), world.village, grocer): (750, 2),  # honey and the free tea
            (date(2026, 11, 1), world.village, grocer): (750 * 4, 4),
        }
    check("October and November rolled up")


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_typed_errors_cross_rpc(container_factory, nameko_config, counter_world):
    world = counter_world
    container_factory(OrdersService, nameko_config).start()
    with ServiceRpcProxy("orders", nameko_config, timeout=10) as orders:
        with pytest.raises(InvalidInput) as bad:
            orders.place_order(world.village, order_input(world, (world.bread, 0)))
        assert (
            "quantity" in bad.value.errors["lines"]["0"]
            or "quantity" in bad.value.errors["lines"][0]
        )
        with pytest.raises(NotFound):
            orders.get_order(str(uuid.uuid4()), [world.village])
        future = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
        made = orders.place_order(
            world.village, order_input(world, (world.bread, 1), delivery_date=future)
        )
        orders.cancel_order(made["id"], {"reason": "Erreur de saisie"}, [world.village])
        with pytest.raises(Conflict) as wrong:
            orders.collect_order(made["id"], {}, [world.village])
        assert wrong.value.reason == "order_status_transition"
        today = orders.counter_today(world.village, future)
        assert today["date"] == future and today["to_prepare"] == []
        with pytest.raises(InvalidInput):
            orders.village_figures("2026-12-31", "2026-12-01")
