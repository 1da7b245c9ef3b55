"""The offline counter's actions replayed (backbone/offline_actions.py), on SQLite and
PostgreSQL: an order placed, handed over, a parcel received, handed over, each with the time it
happened (bounded, audited beside the time it was received, counted on its day, a rolled-up day
reopened for it) and its idempotency key (the same action sent again answers what the first one
made, never a second effect)."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.errors import Conflict, InvalidInput
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.orders import figures, ordering, parcels
from services.orders.models import OfflineAction, RolledDay
from services.orders.schemas.orders import CollectInput, ReadyInput
from services.orders.schemas.parcels import HandOverInput
from tests.support.counter import NOW, order_input, place, receive


def sent(world, prefix):
    with world.db.unit_of_work() as uow:
        return [
            json.loads(r.body)
            for r in uow.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type.startswith(prefix))
                .order_by(OutboxEvent.id)
            )
        ]


def audit(world):
    with world.db.unit_of_work() as uow:
        return [
            (a.action, a.target_id, a.occurred_at, a.received_at)
            for a in uow.session.scalars(select(OfflineAction).order_by(OfflineAction.received_at))
        ]


def hand_over(world, parcel_id, now, **data):
    with world.db.unit_of_work() as uow:
        return parcels.hand_over(uow, parcel_id, load(HandOverInput(), data), [world.village], now)


def collect(world, order_id, now, **data):
    with world.db.unit_of_work() as uow:
        return ordering.collect(uow, order_id, load(CollectInput(), data), [world.village], now)


def ready(world, order_id, now=NOW):
    with world.db.unit_of_work() as uow:
        return ordering.mark_ready(uow, order_id, load(ReadyInput(), {}), [world.village], now)


@pytest.mark.parametrize(
    ("occurred_at", "code", "french"),
    [
        (NOW + timedelta(minutes=6), "occurred_at_future", "dans le futur"),
        (NOW - timedelta(days=3, minutes=1), "occurred_at_too_old", "plus de 3 jours"),
    ],
)
def test_an_action_at_a_time_out_of_bounds_is_refused_naming_the_field_in_french(
    counter_world, occurred_at, code, french
):
    world = counter_world
    at = occurred_at.isoformat()
    parcel = receive(world)
    order = place(world, world.village, order_input(world, (world.bread, 1)))
    ready(world, order["id"])
    attempts = [
        lambda: receive(world, occurred_at=at, idempotency_key=str(uuid.uuid4())),
        lambda: hand_over(world, parcel["id"], NOW, code=parcel["pickup_code"], occurred_at=at),
        lambda: place(
            world, world.village, order_input(world, (world.bread, 1), occurred_at=at), NOW
        ),
        lambda: collect(world, order["id"], NOW, occurred_at=at),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidInput) as err:
            attempt()
        assert list(err.value.errors) == ["occurred_at"]
        assert err.value.errors["occurred_at"][0].code == code
        assert french in err.value.errors_fr["occurred_at"][0]
    with world.db.unit_of_work() as uow:
        assert parcels.get_parcel(uow, parcel["id"], [world.village])["status"] == "waiting"
        assert ordering.get_order(uow, order["id"], [world.village])["status"] == "ready"
    assert audit(world) == [], "nothing half-written"
    # a device's clock a little ahead counts at the time received
    done = hand_over(
        world,
        parcel["id"],
        NOW,
        code=parcel["pickup_code"],
        occurred_at=(NOW + timedelta(minutes=4)).isoformat(),
    )
    assert datetime.fromisoformat(done["closed_at"]) == NOW


def test_actions_done_offline_count_when_they_happened_and_are_audited_when_received(
    counter_world,
):
    world = counter_world
    earlier, received = NOW - timedelta(hours=20), NOW
    parcel = receive(
        world, when=received, occurred_at=earlier.isoformat(), idempotency_key=str(uuid.uuid4())
    )
    assert datetime.fromisoformat(parcel["received_at"]) == earlier
    handed = hand_over(
        world,
        parcel["id"],
        received,
        code=parcel["pickup_code"],
        occurred_at=(earlier + timedelta(hours=1)).isoformat(),
        idempotency_key=str(uuid.uuid4()),
    )
    assert datetime.fromisoformat(handed["closed_at"]) == earlier + timedelta(hours=1)
    order = place(
        world,
        world.village,
        order_input(world, (world.bread, 2), occurred_at=earlier.isoformat()),
        received,
    )
    assert datetime.fromisoformat(order["placed_at"]) == earlier
    assert [(a[0], a[2], a[3]) for a in audit(world)] == [
        ("parcel.received", earlier, received),
        ("parcel.handed_over", earlier + timedelta(hours=1), received),
        ("order.placed", earlier, received),
    ]
    told = sent(world, "parcel.handed_over")[0]["payload"]["occurred_at"]
    assert datetime.fromisoformat(told.replace("Z", "+00:00")) == earlier + timedelta(hours=1)
    with world.db.unit_of_work() as uow:
        day = figures.village_figures(uow, date(2026, 11, 30), date(2026, 11, 30), [world.village])[
            "figures"
        ][world.village]
    assert (day["orders"], day["parcels_received"], day["parcels_handed_over"]) == (1, 1, 1), (
        "counted on Monday, the day they happened, not on Tuesday when received"
    )


def test_the_same_key_replayed_makes_one_effect_and_answers_it_even_past_the_limit(
    counter_world,
):
    world = counter_world
    parcel = receive(world)
    order = place(world, world.village, order_input(world, (world.bread, 1)))
    ready(world, order["id"])
    hand_key, collect_key, receive_key = (str(uuid.uuid4()) for _ in range(3))
    at = (NOW - timedelta(hours=1)).isoformat()
    first = hand_over(
        world,
        parcel["id"],
        NOW,
        code=parcel["pickup_code"],
        occurred_at=at,
        idempotency_key=hand_key,
    )
    again = hand_over(
        world,
        parcel["id"],
        NOW + timedelta(minutes=3),
        code=parcel["pickup_code"],
        occurred_at=at,
        idempotency_key=hand_key,
    )
    assert again["status"] == first["status"] == "handed_over"
    assert again["closed_at"] == first["closed_at"]
    collected = collect(world, order["id"], NOW, occurred_at=at, idempotency_key=collect_key)
    late = NOW + timedelta(days=5)  # the tab closed mid-replay, the queue sent again days later
    assert collect(world, order["id"], late, occurred_at=at, idempotency_key=collect_key) == (
        collected
    )
    new = receive(world, occurred_at=at, idempotency_key=receive_key)
    replayed = receive(world, when=late, occurred_at=at, idempotency_key=receive_key)
    assert replayed["id"] == new["id"] and replayed["pickup_code"] == new["pickup_code"]
    assert [e["type"] for e in sent(world, "parcel.")] == [
        "parcel.received",
        "parcel.handed_over",
        "parcel.received",
    ]
    assert [e["type"] for e in sent(world, "order.collected")] == ["order.collected"]
    assert len(audit(world)) == 3, "one audit row per action, not per replay"
    # another key is another action: the parcel is no longer waiting
    with pytest.raises(Conflict) as err:
        hand_over(
            world,
            parcel["id"],
            NOW,
            code=parcel["pickup_code"],
            idempotency_key=str(uuid.uuid4()),
        )
    assert err.value.reason == "parcel_not_waiting"


def test_an_action_on_a_day_already_rolled_up_reopens_it_and_is_counted_once(counter_world):
    world = counter_world
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    receive(world, when=monday)
    with world.db.unit_of_work() as uow:
        assert figures.roll_up(uow, NOW) == [date(2026, 11, 30)]

    def monday_figures():
        with world.db.unit_of_work() as uow:
            f = figures.village_figures(uow, date(2026, 11, 30), date(2026, 11, 30))
        return f["figures"][world.village]["parcels_received"]

    assert monday_figures() == 1
    receive(
        world,
        when=NOW,
        occurred_at=(monday + timedelta(hours=8)).isoformat(),
        idempotency_key=str(uuid.uuid4()),
    )
    with world.db.unit_of_work() as uow:
        assert uow.session.get(RolledDay, date(2026, 11, 30)) is None, "Monday reopened"
    assert monday_figures() == 2, "counted from the parcels until rolled up again"
    with world.db.unit_of_work() as uow:
        assert figures.roll_up(uow, NOW) == [date(2026, 11, 30)]
    assert monday_figures() == 2, "rolled up again with it, once"


def test_an_order_taken_offline_at_a_price_that_changed_is_refused_naming_the_total(
    counter_world,
):
    world = counter_world
    key = str(uuid.uuid4())
    with pytest.raises(InvalidInput) as err:
        place(
            world,
            world.village,
            order_input(world, (world.bread, 2), idempotency_key=key, expected_total_cents=600),
        )
    assert list(err.value.errors) == ["expected_total_cents"]
    assert "Le prix a changé" in err.value.errors_fr["expected_total_cents"][0]
    assert "6,00" in err.value.errors_fr["expected_total_cents"][0]
    order = place(
        world,
        world.village,
        order_input(world, (world.bread, 2), idempotency_key=key, expected_total_cents=640),
    )
    assert order["total_cents"] == 640
