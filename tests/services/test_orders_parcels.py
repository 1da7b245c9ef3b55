"""Parcels at the counter (dépôt / retrait), on SQLite and PostgreSQL: received for a known member
with a pickup code and a place, handed over with the right code only, reminders due after some
days, returned to the sender after more; bad input named, nothing half-written."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.orders import parcels
from services.orders.schemas.parcels import (
    HandOverInput,
    ParcelListQuery,
    ParcelReturnInput,
)
from tests.support.counter import NOW, order_input, place, receive
from tests.support.messages import without_french
from tests.support.statements import selects_from


def events(database):
    with database.unit_of_work() as uow:
        return [
            json.loads(r.body)
            for r in uow.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type.startswith("parcel."))
                .order_by(OutboxEvent.id)
            )
        ]


def test_a_parcel_is_handed_over_with_its_code_only(counter_world):
    world = counter_world
    parcel = receive(world)
    assert (
        parcel["status"] == "waiting"
        and len(parcel["pickup_code"]) == 6
        and parcel["member_name"] == "Alice Martin"
    )
    wrong = "000000" if parcel["pickup_code"] != "000000" else "111111"
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as err:
        parcels.hand_over(
            uow,
            parcel["id"],
            load(HandOverInput(), {"code": wrong}),
            [world.village],
            NOW + timedelta(hours=2),
        )
    assert err.value.reason == "wrong_pickup_code" and err.value.field == "code"
    with world.db.unit_of_work() as uow:
        assert parcels.get_parcel(uow, parcel["id"], [world.village])["status"] == "waiting", (
            "a wrong code hands over nothing"
        )
    with world.db.unit_of_work() as uow, pytest.raises(NotFound):  # another village's counter
        parcels.hand_over(
            uow,
            parcel["id"],
            load(HandOverInput(), {"code": parcel["pickup_code"]}),
            [world.other_village],
            NOW,
        )
    with world.db.unit_of_work() as uow:
        done = parcels.hand_over(
            uow,
            parcel["id"],
            load(HandOverInput(), {"code": f" {parcel['pickup_code']} "}),
            [world.village],
            NOW + timedelta(hours=2),
        )
    assert done["status"] == "handed_over" and done["closed_at"]
    with world.db.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        parcels.hand_over(
            uow,
            parcel["id"],
            load(HandOverInput(), {"code": parcel["pickup_code"]}),
            [world.village],
            NOW,
        )
    assert twice.value.reason == "parcel_not_waiting"
    sent = events(world.db)
    assert [e["type"] for e in sent] == ["parcel.received", "parcel.handed_over"]
    # the code travels once, to the members service that tells the inhabitant (partners never get
    # it: services/partners/audience.py drops it); nothing after the handover repeats it
    received, handed_over = (e["payload"] for e in sent)
    assert (received["member_id"], received["pickup_code"]) == (world.alice, parcel["pickup_code"])
    assert received["partner_id"] is None and handed_over["partner_id"] is None, (
        "brought by no partner"
    )
    assert parcel["pickup_code"] not in json.dumps(handed_over) and "member_id" not in handed_over


def test_the_pickup_code_is_in_the_answer_to_the_receipt_only(counter_world):
    """Shown once: no list, no later reading, no answer to a reminder or a handover carries it."""
    world = counter_world
    parcel = receive(world)
    code = parcel["pickup_code"]
    with world.db.unit_of_work() as uow:
        read = parcels.get_parcel(uow, parcel["id"], [world.village], NOW)
        listed = parcels.list_parcels(uow, world.village, load(ParcelListQuery(), {}), NOW)
        exported = parcels.member_parcels(uow, world.alice, NOW)
    with world.db.unit_of_work() as uow:
        reminded = parcels.remind(uow, parcel["id"], [world.village], NOW)
    with world.db.unit_of_work() as uow:
        handed = parcels.hand_over(
            uow, parcel["id"], load(HandOverInput(), {"code": code}), [world.village], NOW
        )
    for answer in (read, listed, exported, reminded, handed):
        assert "pickup_code" not in json.dumps(answer, default=str), answer


def test_a_person_reads_the_codes_of_their_own_waiting_parcels_only(counter_world):
    """Their own page (/moi): the code of each parcel still waiting for them, none once collected,
    none of another member's."""
    world = counter_world
    waiting, collected = receive(world), receive(world)
    receive(world, world.other_village, member_id=world.chloe)
    with world.db.unit_of_work() as uow:
        parcels.hand_over(
            uow,
            collected["id"],
            load(HandOverInput(), {"code": collected["pickup_code"]}),
            [world.village],
            NOW,
        )
    with world.db.unit_of_work() as uow:
        mine = parcels.own_parcels(uow, world.village, world.alice, NOW)
    assert [(p["id"], p.get("pickup_code")) for p in mine] == [
        (waiting["id"], waiting["pickup_code"]),
        (collected["id"], None),
    ] or [(p["id"], p.get("pickup_code")) for p in mine] == [
        (collected["id"], None),
        (waiting["id"], waiting["pickup_code"]),
    ]
    with world.db.unit_of_work() as uow:
        assert parcels.own_parcels(uow, world.other_village, world.alice, NOW) == []


def test_the_same_idempotency_key_twice_receives_one_parcel(counter_world):
    """ "Recevoir un colis" sent twice (a double click, a retry after a lost answer) records one
    parcel and one event, and answers it with its code; a key is unique per village; without a key,
    each call is a new parcel."""
    world = counter_world
    key = str(uuid.uuid4())
    first, again = (
        receive(world, idempotency_key=key),
        receive(world, idempotency_key=key, when=NOW + timedelta(minutes=1)),
    )
    assert again["id"] == first["id"] and again["pickup_code"] == first["pickup_code"]
    assert [e["type"] for e in events(world.db)] == ["parcel.received"]
    assert (
        receive(world, world.other_village, idempotency_key=key, member_id=world.chloe)["id"]
        != first["id"]
    ), "unique per village"
    receive(world), receive(world)
    with world.db.unit_of_work() as uow:
        assert len(parcels.list_parcels(uow, world.village, load(ParcelListQuery(), {}), NOW)) == 3


def test_a_parcel_names_the_partner_who_brought_it_in_each_event(counter_world):
    world = counter_world
    la_poste = str(uuid.uuid4())
    parcel = receive(world, partner_id=la_poste)
    assert parcel["partner_id"] == la_poste
    with world.db.unit_of_work() as uow:
        parcels.return_to_sender(
            uow,
            parcel["id"],
            load(ParcelReturnInput(), {}),
            [world.village],
            NOW + timedelta(days=1),
        )
    assert [(e["type"], e["payload"]["partner_id"]) for e in events(world.db)] == [
        ("parcel.received", la_poste),
        ("parcel.returned", la_poste),
    ]


def test_a_parcel_is_answered_as_committed_without_reading_it_again(counter_world):
    world = counter_world
    read, parcel = selects_from(world.db, "parcels", lambda: receive(world))
    assert read == []
    with world.db.unit_of_work() as uow:
        assert {k: v for k, v in parcel.items() if k != "pickup_code"} == parcels.get_parcel(
            uow, parcel["id"], [world.village], NOW
        )

    def hand_over():
        with world.db.unit_of_work() as uow:
            return parcels.hand_over(
                uow,
                parcel["id"],
                load(HandOverInput(), {"code": parcel["pickup_code"]}),
                [world.village],
                NOW,
            )

    read, done = selects_from(world.db, "parcels", hand_over)
    assert done["status"] == "handed_over" and len(read) == 1, read
    with world.db.unit_of_work() as uow:
        assert done == parcels.get_parcel(uow, parcel["id"], [world.village], NOW)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"member_id": str(uuid.uuid4())}, "member_id"),
        ({"member_id": "CHLOE"}, "member_id"),  # a member of another village
        ({"sender_kind": "pigeon"}, "sender_kind"),
        ({"place_kind": "cellar"}, "place_kind"),
        ({"place": ""}, "place"),
        ({"place": None}, "place"),
        ({"idempotency_key": "court"}, "idempotency_key"),
        ({"partner_id": ""}, "partner_id"),
    ],
)
def test_bad_parcels_name_the_field_and_write_nothing(counter_world, change, field):
    world = counter_world
    if change.get("member_id") == "CHLOE":
        change = {"member_id": world.chloe}
    with pytest.raises(InvalidInput) as err:
        receive(world, **change)
    assert field in err.value.errors
    assert without_french(err.value) == []
    with world.db.unit_of_work() as uow:
        assert parcels.list_parcels(uow, world.village, load(ParcelListQuery(), {}), NOW) == []
    assert events(world.db) == []
    with world.db.unit_of_work() as uow, pytest.raises(InvalidInput):
        parcels.hand_over(uow, str(uuid.uuid4()), load(HandOverInput(), {}), [world.village], NOW)


def test_reminders_come_due_and_the_overdue_go_back_to_the_sender(counter_world):
    world = counter_world
    parcel = receive(world)
    fresh = receive(
        world,
        when=NOW + timedelta(days=10),
        member_id=world.bruno,
        place_kind="locker",
        place="Casier 2",
    )

    def state(at):
        with world.db.unit_of_work() as uow:
            return {
                p["id"]: p
                for p in parcels.list_parcels(uow, world.village, load(ParcelListQuery(), {}), at)
            }

    assert not state(NOW + timedelta(days=2, hours=23))[parcel["id"]]["reminder_due"]
    due = state(NOW + timedelta(days=3))[parcel["id"]]
    assert due["reminder_due"] and due["days_waiting"] == 3
    with world.db.unit_of_work() as uow:
        reminded = parcels.remind(uow, parcel["id"], [world.village], NOW + timedelta(days=3))
    assert reminded["reminders"] == 1 and not reminded["reminder_due"]
    assert state(NOW + timedelta(days=6))[parcel["id"]]["reminder_due"], (
        "due again three days after the last"
    )
    assert state(NOW + timedelta(days=14))[parcel["id"]]["return_due"]

    with world.db.unit_of_work() as uow:
        assert parcels.return_overdue(uow, NOW + timedelta(days=13, hours=23)) == []
    with world.db.unit_of_work() as uow:
        assert parcels.return_overdue(uow, NOW + timedelta(days=14)) == [parcel["id"]]
    with world.db.unit_of_work() as uow:
        assert parcels.return_overdue(uow, NOW + timedelta(days=14)) == [], "once"
        returned = parcels.list_parcels(
            uow, world.village, load(ParcelListQuery(), {"status": "returned"}), NOW
        )
    assert [p["id"] for p in returned] == [parcel["id"]] and returned[0]["return_reason"]
    assert [p["id"] for p in state(NOW + timedelta(days=14)).values()] == [fresh["id"]]
    with world.db.unit_of_work() as uow, pytest.raises(Conflict):
        parcels.remind(uow, parcel["id"], [world.village], NOW)
    with world.db.unit_of_work() as uow:  # the concierge may send one back earlier
        back = parcels.return_to_sender(
            uow,
            fresh["id"],
            load(ParcelReturnInput(), {"reason": "Refusé par le destinataire"}),
            [world.village],
            NOW,
        )
    assert back["status"] == "returned"
    assert [e["type"] for e in events(world.db)] == [
        "parcel.received",
        "parcel.received",
        "parcel.returned",
        "parcel.returned",
    ]
    with world.db.unit_of_work() as uow, pytest.raises(InvalidInput):
        parcels.list_parcels(uow, world.village, load(ParcelListQuery(), {"status": "lost"}), NOW)


def test_an_erased_member_keeps_no_address_nor_free_text_in_orders_and_parcels(counter_world):
    from services.orders import ordering

    world = counter_world
    order = place(
        world,
        world.village,
        order_input(
            world,
            (world.bread, 1),
            fulfilment="home_delivery",
            delivery_address="3 rue Haute",
            note="Sonner deux fois",
        ),
    )
    receive(world, sender_kind="neighbour", sender_name="M. Dupuy", description="Des œufs")
    with world.db.unit_of_work() as uow:
        assert [o["id"] for o in ordering.member_orders(uow, world.alice)] == [order["id"]]
        assert parcels.member_parcels(uow, world.alice, NOW)[0]["sender_name"] == "M. Dupuy"
        assert (
            ordering.scrub_member(uow, world.alice) == 1
            and parcels.scrub_member(uow, world.alice) == 1
        )
        uow.commit()
    with world.db.unit_of_work() as uow:
        (kept,) = ordering.member_orders(uow, world.alice)
        (parcel,) = parcels.member_parcels(uow, world.alice, NOW)
    assert kept["delivery_address"] is None and kept["note"] is None and kept["total_cents"] == 320
    assert parcel["sender_name"] is None and parcel["description"] is None
