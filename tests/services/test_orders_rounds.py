"""Vehicles and pooled rounds in the orders service, on SQLite and PostgreSQL: a round built from
the day's home deliveries, truck stops and supplier pick-ups, ordered along the way, within
capacity; `round.planned` carrying addresses (never a phone); stop-by-stop completion delivering the
order in the same transaction; bad input named, wrong steps refused, nothing half-written."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.orders import read_models, rounds, truck_stops, vehicles, volunteers
from services.orders.models import (
    KnownMember,
    KnownVillage,
    Order,
    OrderLine,
    PurchaseOrder,
    Round,
    RoundStop,
)
from services.orders.schemas.rounds import (
    RoundInput,
    StopOutcomeInput,
    VehicleChangeInput,
    VehicleInput,
)
from tests.support.messages import without_code
from tests.support.reliability import outbox

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 12, 3)


def driver(database, village_id, licence=True):
    member_id = str(uuid.uuid4())
    envelope = parse_envelope(
        build_envelope(
            "volunteer.available",
            {
                "volunteer_id": str(uuid.uuid4()),
                "member_id": member_id,
                "home_village_id": village_id,
                "village_ids": [village_id],
                "skills": [{"skill": "chauffeur", "level": "confirme"}],
                "availability": [],
                "max_distance_km": 30,
                "has_licence": licence,
                "has_vehicle": False,
                "network_visible": True,
                "active": True,
            },
            village_id=village_id,
            source="members",
        )
    )
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow, "orders.on_volunteer_available", volunteers.record_volunteer_available, envelope
        )
    return member_id


def home_order(
    uow,
    village_id,
    member_id,
    items,
    *,
    status="ready",
    address="2 impasse des Tilleuls",
    fulfilment="home_delivery",
    purchase_order_id=None,
):
    order = Order(
        village_id=village_id,
        member_id=member_id,
        idempotency_key=str(uuid.uuid4()),
        status=status,
        fulfilment=fulfilment,
        delivery_date=DAY,
        delivery_address=address,
        total_cents=100 * items,
        placed_at=NOW,
    )
    order.lines = [
        OrderLine(
            position=1,
            item_id="i1",
            offer_id="o1",
            partner_id="p1",
            partner_name="GAEC",
            name="Œufs",
            unit="boîte",
            quantity=items,
            unit_price_cents=100,
            vat_rate=550,
            status="confirmed",
            purchase_order_id=purchase_order_id,
        )
    ]
    uow.session.add(order)
    uow.session.flush()
    return order.id


@pytest.fixture
def world(service_db):
    """The Bourg (depot), Saint-Aubin 35 km north, Montcalvel (a truck) 13 km south-west; a fragile
    member's home delivery in each fixed village; a pooled supplier order to pick up."""
    database = service_db("orders")
    bourg, aubin, truck = (str(uuid.uuid4()) for _ in range(3))
    marcelle, germaine = str(uuid.uuid4()), str(uuid.uuid4())
    with database.unit_of_work() as uow:
        for vid, slug, kind, lat, lon in (
            (bourg, "bourg", "fixed", 45.6231, 2.0412),
            (aubin, "aubin", "fixed", 45.9412, 2.0935),
            (truck, "montcalvel", "itinerant", 45.5127, 1.9544),
        ):
            uow.session.add(
                KnownVillage(
                    id=vid,
                    slug=slug,
                    name=slug.title(),
                    kind=kind,
                    latitude=lat,
                    longitude=lon,
                    opened_at=NOW,
                )
            )
        uow.session.add(
            KnownMember(
                id=marcelle,
                village_id=bourg,
                display_name="Marcelle Vergne",
                tags="fragile",
                registered_at=NOW,
            )
        )
        uow.session.add(
            KnownMember(
                id=germaine,
                village_id=aubin,
                display_name="Germaine Peyrat",
                tags="fragile",
                registered_at=NOW,
            )
        )
        purchase = PurchaseOrder(
            supplier_partner_id="p1",
            supplier_name="GAEC des Trois Fontaines",
            delivery_date=DAY,
            cutoff_at=NOW,
            status="sent",
        )
        uow.session.add(purchase)
        uow.session.flush()
        orders = {
            "bourg": home_order(uow, bourg, marcelle, 2),
            "aubin": home_order(uow, aubin, germaine, 3, address="Le Moulin, route de Felletin"),
            "counter": home_order(
                uow,
                bourg,
                marcelle,
                4,
                fulfilment="counter",
                address=None,
                purchase_order_id=purchase.id,
            ),
        }
        purchase_id = purchase.id
        uow.commit()
    member = driver(database, bourg)
    with database.unit_of_work() as uow:
        van = vehicles.create_vehicle(
            uow,
            load(
                VehicleInput(),
                {
                    "name": "Kangoo du Bourg",
                    "depot_village_id": bourg,
                    "capacity": 12,
                    "driver_member_id": member,
                },
            ),
        )
    return database, bourg, aubin, truck, orders, purchase_id, van, member


def test_a_round_serves_the_villages_along_the_way_and_is_completed_stop_by_stop(world):
    database, bourg, aubin, truck, orders, purchase_id, van, member = world
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {
                    "date": DAY.isoformat(),
                    "vehicle_id": van["id"],
                    "village_ids": [bourg, aubin, truck],
                },
            ),
            None,
            now=NOW,
        )
    kinds = [(s["kind"], s["village_id"]) for s in planned["stops"]]
    # the pooled order picked up first, its share left at the Bourg's hub along the way
    assert kinds[0] == ("supplier_pickup", None) and sorted(kinds[1:], key=str) == sorted(
        [
            ("home_delivery", bourg),
            ("hub_drop", bourg),
            ("truck_stop", truck),
            ("home_delivery", aubin),
        ],
        key=str,
    )
    dropped = next(s for s in planned["stops"] if s["kind"] == "hub_drop")
    assert dropped["items_count"] == 4 and dropped["purchase_order_id"] == purchase_id
    assert (
        planned["load"] == 2 + 3 + 4 and planned["capacity"] == 12 and planned["distance_km"] > 60
    )
    assert planned["trips"] == 1 and {s["trip"] for s in planned["stops"]} == {1}
    assert planned["driver_member_id"] == member and planned["status"] == "planned"
    delivery = next(s for s in planned["stops"] if s["order_id"] == orders["bourg"])
    assert (
        delivery["display_name"] == "Marcelle Vergne"
        and delivery["address"] == "2 impasse des Tilleuls"
    )

    [event] = outbox(database, "round.planned")
    payload = event["payload"]
    assert event["village_id"] == bourg and payload["date"] == DAY.isoformat()
    assert payload["driver_member_id"] == member and payload["driver_partner_id"] is None
    assert [s["sequence"] for s in payload["stops"]] == [1, 2, 3, 4, 5]
    assert {s["address"] for s in payload["stops"] if s["kind"] == "home_delivery"} == {
        "2 impasse des Tilleuls",
        "Le Moulin, route de Felletin",
    }
    assert "phone" not in json.dumps(payload)

    # Saint-Aubin's concierge sees the round, their own delivery's address only
    with database.unit_of_work() as uow:
        [seen] = rounds.list_rounds(uow, [aubin], DAY)
    by_village = {s["village_id"]: s for s in seen["stops"] if s["kind"] == "home_delivery"}
    assert by_village[aubin]["address"] and by_village[bourg]["address"] is None
    assert by_village[bourg]["display_name"] is None
    with database.unit_of_work() as uow, pytest.raises(NotFound):  # not their village's stop
        rounds.complete_stop(uow, planned["id"], delivery["id"], [aubin])

    with database.unit_of_work() as uow:
        after = rounds.complete_stop(uow, planned["id"], delivery["id"], [bourg], now=NOW)
    assert next(s for s in after["stops"] if s["id"] == delivery["id"])["status"] == "done"
    assert after["status"] == "planned"
    with database.unit_of_work() as uow:
        assert uow.session.get(Order, orders["bourg"]).status == "delivered"
    assert [e["payload"]["order_id"] for e in outbox(database, "order.delivered")] == [
        orders["bourg"]
    ]
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        rounds.complete_stop(uow, planned["id"], delivery["id"], [bourg])
    assert twice.value.reason == "round_stop_done"

    for stop in planned["stops"]:
        if stop["id"] != delivery["id"]:
            with database.unit_of_work() as uow:
                last = rounds.complete_stop(uow, planned["id"], stop["id"], None, now=NOW)
    assert last["status"] == "completed" and last["status_label"] == "Terminée"
    assert len(outbox(database, "order.delivered")) == 2

    with database.unit_of_work() as uow:
        assert rounds.round_figures(uow, DAY, DAY) == {
            v: {"rounds_planned": 1} for v in (bourg, aubin, truck)
        }
        assert rounds.round_figures(uow, DAY, DAY, [aubin]) == {aubin: {"rounds_planned": 1}}
        assert rounds.round_figures(uow, DAY + timedelta(days=1), DAY + timedelta(days=9)) == {}


def test_a_partner_driven_round_is_seen_by_that_partner_only(world):
    database, bourg, aubin, _truck, orders, _purchase, _van, _member = world
    partner = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        truck = vehicles.create_vehicle(
            uow,
            load(
                VehicleInput(),
                {
                    "name": "Camion Transports Faure",
                    "depot_village_id": aubin,
                    "capacity": 40,
                    "driver_partner_id": partner,
                },
            ),
        )
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            aubin,
            load(
                RoundInput(),
                {"date": DAY.isoformat(), "vehicle_id": truck["id"], "supplier_pickups": False},
            ),
            [aubin],
            now=NOW,
        )
    assert [s["order_id"] for s in planned["stops"]] == [orders["aubin"]]
    assert outbox(database, "round.planned")[0]["payload"]["driver_partner_id"] == partner
    with database.unit_of_work() as uow:
        assert [r["id"] for r in rounds.list_rounds(uow, partner_id=partner)] == [planned["id"]]
        assert rounds.list_rounds(uow, partner_id=str(uuid.uuid4())) == []
        assert rounds.list_rounds(uow, [bourg]) == []
        driven = rounds.get_round(uow, planned["id"], partner_id=partner)["stops"][0]
        assert driven["address"] and driven["member_id"] is None and driven["display_name"] is None
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        rounds.get_round(uow, planned["id"], partner_id=str(uuid.uuid4()))
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        rounds.get_round(uow, planned["id"], [bourg])
    with database.unit_of_work() as uow:
        done = rounds.complete_stop(
            uow, planned["id"], planned["stops"][0]["id"], partner_id=partner, now=NOW
        )
    assert done["status"] == "completed"


def test_bad_rounds_are_refused_and_nothing_is_half_written(world):
    database, bourg, aubin, truck, orders, _purchase, van, _member = world
    today = {"date": NOW.date().isoformat(), "vehicle_id": van["id"]}
    cases = [
        ({"date": (NOW.date() - timedelta(days=1)).isoformat(), "vehicle_id": van["id"]}, "date"),
        ({"date": "demain", "vehicle_id": van["id"]}, "date"),
        ({**today, "vehicle_id": str(uuid.uuid4())}, "vehicle_id"),
        ({**today, "village_ids": [bourg, bourg]}, "village_ids"),
        ({**today, "village_ids": [str(uuid.uuid4())]}, "village_ids"),
    ]
    for data, field in cases:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
            rounds.plan_round(uow, bourg, load(RoundInput(), data), None, now=NOW)
        assert field in bad.value.errors, (field, bad.value.errors)
    with (
        database.unit_of_work() as uow,
        pytest.raises(NotFound),
    ):  # a concierge's round stays in their village
        rounds.plan_round(
            uow, bourg, load(RoundInput(), {**today, "village_ids": [aubin]}), [bourg], now=NOW
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as empty:
        rounds.plan_round(uow, bourg, load(RoundInput(), today), None, now=NOW)
    assert empty.value.reason == "round_without_stops"

    with database.unit_of_work() as uow:
        small = vehicles.create_vehicle(
            uow,
            load(
                VehicleInput(),
                {
                    "name": "Vélo cargo",
                    "depot_village_id": bourg,
                    "capacity": 2,
                    "driver_member_id": driver(database, bourg),
                },
            ),
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as over:
        rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {"date": DAY.isoformat(), "vehicle_id": small["id"], "village_ids": [bourg, aubin]},
            ),
            None,
            now=NOW,
        )
    assert over.value.reason == "round_over_capacity" and over.value.field == "capacity"
    # Saint-Aubin's delivery of 3 cannot be split for a vehicle of 2: refused, naming it
    assert over.value.details == {"capacity": 2, "load": 3, "overflow": 1}
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Round)) == 0
        assert uow.session.scalar(select(func.count()).select_from(RoundStop)) == 0
    assert outbox(database, "round.planned") == []

    with database.unit_of_work() as uow:
        rounds.plan_round(
            uow,
            bourg,
            load(RoundInput(), {"date": DAY.isoformat(), "vehicle_id": small["id"]}),
            None,
            now=NOW,
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as again:
        rounds.plan_round(
            uow,
            bourg,
            load(RoundInput(), {"date": DAY.isoformat(), "vehicle_id": small["id"]}),
            None,
            now=NOW,
        )
    assert again.value.reason == "vehicle_already_on_round" and again.value.field == "vehicle_id"
    with (
        database.unit_of_work() as uow,
        pytest.raises(Conflict),
    ):  # the Bourg's delivery is on a round already
        rounds.plan_round(
            uow,
            bourg,
            load(RoundInput(), {"date": DAY.isoformat(), "vehicle_id": van["id"]}),
            None,
            now=NOW,
        )


def test_an_order_taken_by_another_round_meanwhile_is_refused_whole(world):
    """The race of two planners: the other round's stop is not seen when candidates are read (here:
    a round of another day holds it), the unique order on round_stops refuses the second one."""
    database, bourg, _aubin, _truck, orders, _purchase, van, _member = world
    with database.unit_of_work() as uow:
        other = Round(
            vehicle_id=van["id"],
            on_date=DAY + timedelta(days=1),
            depot_village_id=bourg,
            village_ids=[bourg],
            capacity=12,
            load=2,
            distance_km=0,
            status="planned",
            planned_at=NOW,
        )
        other.stops = [
            RoundStop(
                sequence=1,
                kind="home_delivery",
                village_id=bourg,
                order_id=orders["bourg"],
                items_count=2,
                status="pending",
            )
        ]
        uow.session.add(other)
        uow.commit()
    with database.unit_of_work() as uow, pytest.raises(Conflict) as raced:
        rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {"date": DAY.isoformat(), "vehicle_id": van["id"], "supplier_pickups": False},
            ),
            [bourg],
            now=NOW,
        )
    assert raced.value.reason == "round_changed_meanwhile"
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Round)) == 1
    assert outbox(database, "round.planned") == []


def test_a_delivery_not_ready_cannot_be_completed_and_the_stop_stays_pending(world):
    database, bourg, _aubin, _truck, orders, _purchase, van, _member = world
    with database.unit_of_work() as uow:
        uow.session.get(Order, orders["bourg"]).status = "confirmed"
        uow.commit()
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {"date": DAY.isoformat(), "vehicle_id": van["id"], "supplier_pickups": False},
            ),
            [bourg],
            now=NOW,
        )
    stop = planned["stops"][0]
    with database.unit_of_work() as uow, pytest.raises(Conflict):
        rounds.complete_stop(uow, planned["id"], stop["id"], [bourg], now=NOW)
    with database.unit_of_work() as uow:
        assert rounds.get_round(uow, planned["id"], [bourg])["stops"][0]["status"] == "pending"
    assert outbox(database, "order.delivered") == []


def test_a_stop_is_missed_with_a_note_then_done_and_the_round_ends_with_its_last_stop(world):
    """Followed stop by stop: a missed stop says why (a note is required), leaves its order as it
    was, may still be done later but never missed twice; a done stop stays done; the round is
    completed once no stop is left to do."""
    database, bourg, _aubin, _truck, orders, _purchase, van, _member = world
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {"date": DAY.isoformat(), "vehicle_id": van["id"], "supplier_pickups": False},
            ),
            [bourg],
            now=NOW,
        )
    [stop] = planned["stops"]
    with pytest.raises(InvalidInput) as why:
        load(StopOutcomeInput(), {"outcome": "missed", "note": "  "})
    assert list(why.value.errors) == ["note"]
    assert why.value.errors_fr["note"] == ["Dites pourquoi l'arrêt a été manqué."]
    with pytest.raises(InvalidInput):
        load(StopOutcomeInput(), {"outcome": "lost"})

    def record(outcome, note=None):
        with database.unit_of_work() as uow:
            return rounds.record_stop_outcome(
                uow,
                planned["id"],
                stop["id"],
                load(StopOutcomeInput(), {"outcome": outcome, "note": note}),
                [bourg],
                now=NOW,
            )

    missed = record("missed", "Personne à la maison, avis laissé")
    assert missed["stops"][0]["status"] == "missed" and missed["stops"][0]["status_label"] == (
        "Manqué"
    )
    assert missed["stops"][0]["note"] == "Personne à la maison, avis laissé"
    assert missed["status"] == "completed", "no stop is left to do"
    with database.unit_of_work() as uow:
        assert uow.session.get(Order, orders["bourg"]).status == "ready", "not delivered"
    assert outbox(database, "order.delivered") == []
    with pytest.raises(Conflict) as twice:
        record("missed", "Encore absente")
    assert twice.value.reason == "round_stop_missed"

    done = record("done")
    assert done["stops"][0]["status"] == "done"
    assert done["stops"][0]["note"] == "Personne à la maison, avis laissé", "kept"
    with database.unit_of_work() as uow:
        assert uow.session.get(Order, orders["bourg"]).status == "delivered"
    with pytest.raises(Conflict) as again:
        record("missed", "trop tard")
    assert again.value.reason == "round_stop_done"
    with database.unit_of_work() as uow, pytest.raises(NotFound):  # another village's concierge
        rounds.record_stop_outcome(
            uow, planned["id"], stop["id"], {"outcome": "done", "note": None}, [_aubin]
        )


def test_vehicles_need_a_capacity_and_one_licensed_driver(world):
    database, bourg, _aubin, _truck, _orders, _purchase, van, member = world
    no_licence = driver(database, bourg, licence=False)
    base = {
        "name": "Camionnette",
        "depot_village_id": bourg,
        "capacity": 10,
        "driver_member_id": member,
    }
    cases = [
        ({**base, "capacity": 0}, "capacity"),
        ({**base, "capacity": -3}, "capacity"),
        ({**base, "capacity": "10"}, "capacity"),
        ({**base, "driver_partner_id": "p1"}, "driver_member_id"),
        ({**base, "driver_member_id": None}, "driver_member_id"),
        ({**base, "depot_village_id": str(uuid.uuid4())}, "depot_village_id"),
        ({**base, "driver_member_id": str(uuid.uuid4())}, "driver_member_id"),
        ({**base, "driver_member_id": no_licence}, "driver_member_id"),
    ]
    for data, field in cases:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
            vehicles.create_vehicle(uow, load(VehicleInput(), data))
        assert field in bad.value.errors, (field, bad.value.errors)
    with database.unit_of_work() as uow, pytest.raises(Conflict) as taken:
        vehicles.create_vehicle(uow, load(VehicleInput(), {**base, "name": van["name"]}))
    assert taken.value.reason == "vehicle_name_taken" and taken.value.field == "name"
    with database.unit_of_work() as uow:
        assert [v["name"] for v in vehicles.list_vehicles(uow)] == ["Kangoo du Bourg"]


def test_village_coordinates_come_with_village_opened(service_db):
    database = service_db("orders")
    with_place, without = str(uuid.uuid4()), str(uuid.uuid4())
    for village_id, extra in (
        (with_place, {"latitude": 45.6231, "longitude": 2.0412}),
        (without, {}),
    ):
        envelope = parse_envelope(
            build_envelope(
                "village.opened",
                {
                    "village_id": village_id,
                    "slug": village_id[:8],
                    "name": "Village",
                    "commune": "Commune",
                    "insee_code": "19164",
                    "kind": "fixed",
                    "population": 800,
                    **extra,
                },
                village_id=village_id,
                source="members",
            )
        )
        with database.unit_of_work() as uow:
            assert claim_and_handle(
                uow, "orders.on_village_opened", read_models.record_village, envelope
            )
    with database.unit_of_work() as uow:
        placed = uow.session.get(KnownVillage, with_place)
        assert (placed.latitude, placed.longitude) == (45.6231, 2.0412)
        assert uow.session.get(KnownVillage, without).latitude is None, (
            "an event from before coordinates"
        )


@pytest.mark.parametrize(
    "schema, data",
    [
        (
            VehicleInput(),
            {
                "name": "",
                "depot_village_id": "",
                "capacity": 0,
                "driver_member_id": "m",
                "driver_partner_id": "p",
                "extra": 1,
            },
        ),
        (VehicleInput(), {"name": "Van", "depot_village_id": "v", "capacity": "10"}),
        (
            RoundInput(),
            {
                "date": "demain",
                "vehicle_id": "",
                "village_ids": ["a", "a"],
                "supplier_pickups": "peut-être",
            },
        ),
        (RoundInput(), {}),
    ],
)
def test_every_message_of_these_schemas_reads_in_french(schema, data):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError) as err:
        schema.load(data)

    assert without_code(err.value.messages) == []


def test_a_vehicle_changes_kind_and_capacity_and_is_retired_once_its_rounds_are_done(world):
    database, bourg, aubin, truck, orders, purchase_id, van, member = world
    assert van["kind"] == "van" and van["kind_label"] == "Fourgon" and van["retired_at"] is None
    with database.unit_of_work() as uow:
        changed = vehicles.change_vehicle(
            uow, van["id"], load(VehicleChangeInput(), {"capacity": 20, "kind": "truck"})
        )
    assert (changed["capacity"], changed["kind_label"]) == (20, "Camion")
    with pytest.raises(InvalidInput) as bad:
        load(VehicleChangeInput(), {"capacity": 0, "kind": "rocket"})
    assert set(bad.value.errors) == {"capacity", "kind"}
    with database.unit_of_work() as uow:
        rounds.plan_round(
            uow,
            bourg,
            load(RoundInput(), {"date": DAY.isoformat(), "vehicle_id": van["id"]}),
            None,
            now=NOW,
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as busy:
        vehicles.retire_vehicle(uow, van["id"], now=NOW)
    assert busy.value.reason == "vehicle_has_rounds"
    assert busy.value.details["date"] == DAY.isoformat()
    after_the_round = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    with database.unit_of_work() as uow:
        retired = vehicles.retire_vehicle(uow, van["id"], now=after_the_round)
    assert retired["active"] is False and retired["retired_at"]
    for step in (
        lambda uow: vehicles.retire_vehicle(uow, van["id"], now=after_the_round),
        lambda uow: vehicles.change_vehicle(uow, van["id"], {"capacity": 5, "kind": "car"}),
    ):
        with database.unit_of_work() as uow, pytest.raises(Conflict) as again:
            step(uow)
        assert again.value.reason == "vehicle_retired"
    with database.unit_of_work() as uow:
        assert vehicles.get_vehicle(uow, van["id"])["capacity"] == 20
        with pytest.raises(NotFound):
            vehicles.get_vehicle(uow, str(uuid.uuid4()))


def test_a_home_delivery_stops_at_the_home_when_its_position_is_known_else_at_the_village(world):
    database, bourg, aubin, _truck, orders, _purchase, van, _member = world
    with database.unit_of_work() as uow:  # Germaine's home, told by member.updated
        germaine = uow.session.get(Order, orders["aubin"]).member_id
        uow.session.get(KnownMember, germaine).latitude = 45.95
        uow.session.get(KnownMember, germaine).longitude = 2.11
        uow.commit()
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {
                    "date": DAY.isoformat(),
                    "vehicle_id": van["id"],
                    "village_ids": [bourg, aubin],
                    "supplier_pickups": False,
                },
            ),
            None,
            now=NOW,
        )
    homes = {s["village_id"]: s for s in planned["stops"] if s["kind"] == "home_delivery"}
    assert (homes[aubin]["latitude"], homes[aubin]["longitude"]) == (45.95, 2.11)
    assert homes[aubin]["located"] == "address"
    assert homes[bourg]["located"] == "village" and homes[bourg]["latitude"] == 45.6231
    with database.unit_of_work() as uow:  # the Bourg's concierge does not see where she lives
        [seen] = rounds.list_rounds(uow, [bourg], DAY)
    hers = next(s for s in seen["stops"] if s["village_id"] == aubin)
    assert hers["latitude"] is None and hers["address"] is None


def _stops_told(database, village_id, stops, occurred_at=NOW):
    envelope = parse_envelope(
        build_envelope(
            "village.stops_changed",
            {"village_id": village_id, "stops": stops},
            village_id=village_id,
            source="members",
            occurred_at=occurred_at,
        )
    )
    with database.unit_of_work() as uow:
        return claim_and_handle(
            uow, "orders.on_village_stops_changed", truck_stops.record_village_stops, envelope
        )


def _place(name, latitude=None, longitude=None, commune="Montcalvel"):
    return {
        "stop_id": str(uuid.uuid4()),
        "name": name,
        "commune": commune,
        "latitude": latitude,
        "longitude": longitude,
    }


def test_the_trucks_stop_is_at_a_known_place_of_its_village_with_its_time(world):
    database, bourg, aubin, truck, _orders, _purchase, van, _member = world
    church = _place("Place de l'église", 45.5031, 1.9402)
    hall = _place("Parking de la salle des fêtes")
    elsewhere = _place("Halle du marché", commune="Le Bourg")
    old = _place("Ancien arrêt")
    _stops_told(database, truck, [old], occurred_at=NOW - timedelta(hours=2))
    assert _stops_told(database, truck, [church, hall])
    # a duplicate, and an older list arriving late, change nothing
    _stops_told(database, truck, [old], occurred_at=NOW - timedelta(hours=1))
    _stops_told(database, bourg, [elsewhere])
    with database.unit_of_work() as uow:
        assert [s["name"] for s in truck_stops.village_stops(uow, [truck])[truck]] == [
            "Place de l'église",
            "Parking de la salle des fêtes",
        ]
    base = {"date": DAY.isoformat(), "vehicle_id": van["id"], "village_ids": [bourg, truck]}

    def stop(place_id, village_id=truck, arrives_at="10:30"):
        return {
            "village_id": village_id,
            "place_id": place_id,
            "arrives_at": arrives_at,
            "duration_minutes": 45,
        }

    cases = [
        ({}, "truck_stops", "Choisissez le lieu et l'heure de l'arrêt du camion à Montcalvel."),
        ({"truck_stops": [stop(str(uuid.uuid4()))]}, "place_id", "n'est pas un arrêt connu"),
        (
            {"truck_stops": [stop(elsewhere["stop_id"])]},
            "place_id",
            "Ce lieu est un arrêt de Bourg, pas de Montcalvel.",
        ),
        (
            {"truck_stops": [stop(old["stop_id"])]},  # no longer one of its stops
            "place_id",
            "n'est pas un arrêt connu",
        ),
        ({"truck_stops": [stop(church["stop_id"], village_id=aubin)]}, "village_id", "desservi"),
        ({"truck_stops": [stop(church["stop_id"], arrives_at="25:00")]}, "arrives_at", "HH:MM"),
    ]
    for extra, field, french in cases:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as bad:
            rounds.plan_round(uow, bourg, load(RoundInput(), {**base, **extra}), None, now=NOW)
        errors = bad.value.errors_fr["truck_stops"]
        said = errors if field == "truck_stops" else errors[0][field]
        assert french in " ".join(said), (field, bad.value.errors_fr)
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Round)) == 0
    with database.unit_of_work() as uow:
        planned = rounds.plan_round(
            uow,
            bourg,
            load(RoundInput(), {**base, "truck_stops": [stop(church["stop_id"])]}),
            None,
            now=NOW,
        )
    [at_truck] = [s for s in planned["stops"] if s["kind"] == "truck_stop"]
    assert at_truck["place_id"] == church["stop_id"]
    assert (at_truck["place_name"], at_truck["place_commune"]) == (
        "Place de l'église",
        "Montcalvel",
    )
    assert (at_truck["arrives_at"], at_truck["duration_minutes"]) == ("10:30", 45)
    assert (at_truck["latitude"], at_truck["longitude"], at_truck["located"]) == (
        45.5031,
        1.9402,
        "place",
    )
    # the driver (a volunteer, or a logistics partner's feed) is told where and when
    [event] = outbox(database, "round.planned")
    [told] = [s for s in event["payload"]["stops"] if s["kind"] == "truck_stop"]
    assert (told["place_name"], told["arrives_at"], told["duration_minutes"]) == (
        "Place de l'église",
        "10:30",
        45,
    )
    # the concierge of another village sees the truck's public place and time too
    with database.unit_of_work() as uow:
        seen = rounds.get_round(uow, planned["id"], [bourg])
    [seen_truck] = [s for s in seen["stops"] if s["kind"] == "truck_stop"]
    assert seen_truck["place_name"] == "Place de l'église" and seen_truck["arrives_at"] == "10:30"


def test_a_truck_stop_at_a_place_without_coordinates_is_at_the_village_and_old_stops_read(world):
    database, bourg, _aubin, truck, _orders, _purchase, van, _member = world
    with database.unit_of_work() as uow:  # a round planned before places: no place, no time
        before = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {
                    "date": DAY.isoformat(),
                    "vehicle_id": van["id"],
                    "village_ids": [truck],
                    "supplier_pickups": False,
                },
            ),
            None,
            now=NOW,
        )
    [old] = [s for s in before["stops"] if s["kind"] == "truck_stop"]
    assert old["place_id"] is None and old["arrives_at"] is None and old["located"] == "village"
    hall = _place("Parking de la salle des fêtes")
    _stops_told(database, truck, [hall])
    with database.unit_of_work() as uow:
        other = vehicles.create_vehicle(
            uow,
            load(
                VehicleInput(),
                {
                    "name": "Camion",
                    "depot_village_id": bourg,
                    "capacity": 5,
                    "driver_member_id": _member,
                },
            ),
        )
        planned = rounds.plan_round(
            uow,
            bourg,
            load(
                RoundInput(),
                {
                    "date": (DAY + timedelta(days=1)).isoformat(),
                    "vehicle_id": other["id"],
                    "village_ids": [truck],
                    "supplier_pickups": False,
                    "truck_stops": [
                        {
                            "village_id": truck,
                            "place_id": hall["stop_id"],
                            "arrives_at": "14:00",
                            "duration_minutes": 90,
                        }
                    ],
                },
            ),
            None,
            now=NOW,
        )
    [at_truck] = [s for s in planned["stops"] if s["kind"] == "truck_stop"]
    assert at_truck["place_name"] == "Parking de la salle des fêtes"
    assert (at_truck["latitude"], at_truck["located"]) == (45.5127, "village")
    with database.unit_of_work() as uow:
        assert rounds.get_round(uow, before["id"])["stops"][0]["place_name"] is None
