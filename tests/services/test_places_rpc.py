"""Places over real RPC (SQLite and PostgreSQL): a village's details, its guarded status lifecycle
and its event, opening hours with exceptions, truck stops, and "open now / next opening"."""

import json

import pytest
from sqlalchemy import func, select

from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.tables import OutboxEvent
from services.members.models import OpeningException, OpeningSlot, VillageStop
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
TRUCK = {**VILLAGE, "slug": "montcalvel", "name": "Montcalvel (camion)", "kind": "itinerant"}
WEEK = [
    {"day": d, "opens": "09:00", "closes": "12:00"} for d in ("tuesday", "wednesday", "saturday")
] + [{"day": "tuesday", "opens": "14:00", "closes": "18:30"}]


@pytest.fixture
def members(members_alone):
    """The module's members service, its database as empty as its migrations left it."""
    world, proxy, database = members_alone
    world.reset()
    return proxy, database


def _count(database, model, *where):
    with database.unit_of_work() as uow:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return uow.session.scalar(query)


def _events(database, type_):
    return _count(database, OutboxEvent, OutboxEvent.type == type_)


def _payloads(database, type_):
    with database.unit_of_work() as uow:
        bodies = uow.session.scalars(
            select(OutboxEvent.body).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        )
        return [json.loads(body)["payload"] for body in bodies]


def test_a_village_has_an_address_coordinates_and_services(members):
    rpc, _db = members
    village = rpc.open_village(
        {
            **VILLAGE,
            "street": "2 place de l'Église",
            "coordinates": {"latitude": 45.61, "longitude": 2.04},
            "services": ["grocery", "cafe"],
        }
    )
    assert village["address"] == {
        "street": "2 place de l'Église",
        "postcode": "19290",
        "commune": "Peyrelevade",
    }
    assert village["coordinates"] == {"latitude": 45.61, "longitude": 2.04}
    assert village["services"] == [
        {"code": "grocery", "label": "Épicerie"},
        {"code": "cafe", "label": "Café"},
    ]
    updated = rpc.update_village(
        village["id"],
        {"services": ["parcel_relay", "bread_depot"], "population": 780, "coordinates": None},
    )
    assert [s["label"] for s in updated["services"]] == ["Point relais colis", "Dépôt de pain"]
    assert (
        updated["population"] == 780
        and updated["coordinates"] is None
        and updated["street"] == "2 place de l'Église"
    )
    assert rpc.get_village(village["id"])["services"] == updated["services"]


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"coordinates": {"latitude": 91, "longitude": 2}}, {"coordinates"}),
        ({"services": ["grocery", "spa"]}, {"services"}),
        ({"services": ["cafe", "cafe"]}, {"services"}),
        ({"slug": "other", "kind": "locker", "postcode": "1"}, {"slug", "kind", "postcode"}),
        ({"status": "closed"}, {"status"}),
    ],
)
def test_bad_village_changes_are_refused_naming_the_fields(members, data, fields):
    rpc, _db = members
    village = rpc.open_village(VILLAGE)
    with pytest.raises(InvalidInput) as err:
        rpc.update_village(village["id"], data)
    assert set(err.value.errors) == fields
    assert rpc.get_village(village["id"])["services"] == []


def test_status_lifecycle_is_guarded_and_published(members):
    rpc, database = members
    village = rpc.open_village({**VILLAGE, "status": "preparing"})
    assert village["status"] == "preparing" and _events(database, "village.status_changed") == 1
    with pytest.raises(Conflict) as err:
        rpc.change_village_status(village["id"], {"status": "paused"})
    assert err.value.reason == "village_status_transition"
    assert err.value.details == {
        "current": "preparing",
        "requested": "paused",
        "allowed": ["open", "closed"],
    }
    for status in ("open", "paused", "open", "closed"):
        village = rpc.change_village_status(
            village["id"], {"status": status, "reason": f"vers {status}"}
        )
    assert village["status"] == "closed" and village["status_reason"] == "vers closed"
    assert _events(database, "village.status_changed") == 5
    with pytest.raises(Conflict) as err:  # closed is final
        rpc.change_village_status(village["id"], {"status": "open"})
    assert err.value.details["allowed"] == []
    assert _events(database, "village.status_changed") == 5
    with pytest.raises(InvalidInput) as bad:
        rpc.change_village_status(village["id"], {"status": "asleep"})
    assert set(bad.value.errors) == {"status"}
    with pytest.raises(NotFound):
        rpc.change_village_status("nope", {"status": "open"})


def test_opening_hours_with_an_exception_and_the_opening_status(members):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    hours = rpc.set_opening_hours(
        village["id"],
        {
            "weekly": WEEK,
            "exceptions": [{"start": "2025-06-10", "closed": True, "label": "Formation"}],
        },
    )
    assert hours["timezone"] == "Europe/Paris" and len(hours["weekly"]) == 4
    assert hours["exceptions"][0]["end"] == "2025-06-10"
    status = rpc.opening_status(village["id"], "2025-06-03T10:00:00+02:00")  # a Tuesday morning
    assert status["open"] and status["until"] == "2025-06-03T12:00:00+02:00"
    assert status["next_opening"] == "2025-06-03T14:00:00+02:00"
    closed_day = rpc.opening_status(village["id"], "2025-06-10T10:00:00+02:00")
    assert not closed_day["open"] and closed_day["next_opening"] == "2025-06-11T09:00:00+02:00"

    added = rpc.add_opening_exception(
        village["id"], {"start": "2025-08-04", "end": "2025-08-17", "label": "Congés d'été"}
    )
    assert _count(database, OpeningException) == 2
    rpc.remove_opening_exception(village["id"], added["id"])
    assert _count(database, OpeningException) == 1
    # weekly only: the exceptions stay
    rpc.set_opening_hours(village["id"], {"weekly": WEEK[:1]})
    assert _count(database, OpeningException) == 1 and _count(database, OpeningSlot) == 1

    rpc.change_village_status(village["id"], {"status": "paused"})
    paused = rpc.opening_status(village["id"], "2025-06-03T10:00:00+02:00")
    assert paused["status"] == "paused" and not paused["open"] and paused["next_opening"] is None


@pytest.mark.parametrize(
    "data, fields",
    [
        ({"weekly": [{"day": "funday", "opens": "9h", "closes": "25:00"}]}, {"weekly"}),
        ({"weekly": [{"day": "monday", "opens": "12:00", "closes": "09:00"}]}, {"weekly"}),
        (
            {
                "weekly": [
                    {"day": "monday", "opens": "09:00", "closes": "12:00"},
                    {"day": "monday", "opens": "11:00", "closes": "13:00"},
                ]
            },
            {"weekly"},
        ),
        (
            {"weekly": [], "exceptions": [{"start": "2025-06-10", "end": "2025-06-01"}]},
            {"exceptions"},
        ),
        ({"weekly": [], "exceptions": [{"start": "2025-06-10", "closed": False}]}, {"exceptions"}),
        ({}, {"weekly"}),
    ],
)
def test_bad_opening_hours_are_refused_and_nothing_is_written(members, data, fields):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    with pytest.raises(InvalidInput) as err:
        rpc.set_opening_hours(village["id"], data)
    assert set(err.value.errors) == fields
    assert _count(database, OpeningSlot) == 0 and _count(database, OpeningException) == 0


def test_the_stops_of_a_truck_have_their_own_times_and_closures_apply(members):
    rpc, database = members
    fixed = rpc.open_village(VILLAGE)
    with pytest.raises(Conflict) as err:
        rpc.add_stop(fixed["id"], {"name": "Place", "commune": "Peyrelevade"})
    assert err.value.reason == "village_not_itinerant"

    truck = rpc.open_village(TRUCK)
    church = rpc.add_stop(
        truck["id"],
        {
            "name": "Place de l'église",
            "commune": "Montcalvel",
            "position": 1,
            "coordinates": {"latitude": 45.5, "longitude": 1.9},
            "weekly": [{"day": "tuesday", "opens": "09:00", "closes": "11:00"}],
        },
    )
    hamlet = rpc.add_stop(
        truck["id"],
        {
            "name": "Hameau des Bordes",
            "commune": "Montcalvel",
            "position": 2,
            "weekly": [{"day": "tuesday", "opens": "11:30", "closes": "12:30"}],
        },
    )
    status = rpc.opening_status(truck["id"], "2025-06-03T10:00:00+02:00")
    by_stop = {s["stop_id"]: s for s in status["stops"]}
    assert (
        by_stop[church["id"]]["open"]
        and by_stop[church["id"]]["until"] == "2025-06-03T11:00:00+02:00"
    )
    assert not by_stop[hamlet["id"]]["open"]
    assert by_stop[hamlet["id"]]["next_opening"] == "2025-06-03T11:30:00+02:00"
    assert status["open"] and status["until"] == "2025-06-03T11:00:00+02:00"  # the truck: any stop

    rpc.add_opening_exception(truck["id"], {"start": "2025-06-03", "label": "Camion au garage"})
    broken_down = rpc.opening_status(truck["id"], "2025-06-03T10:00:00+02:00")
    assert not broken_down["open"] and not any(s["open"] for s in broken_down["stops"])
    assert broken_down["stops"][0]["next_opening"] == "2025-06-10T09:00:00+02:00"

    moved = rpc.update_stop(
        truck["id"],
        hamlet["id"],
        {
            "name": "Hameau des Bordes",
            "commune": "Montcalvel",
            "position": 2,
            "weekly": [{"day": "friday", "opens": "15:00", "closes": "16:00"}],
        },
    )
    assert moved["weekly"] == [{"day": "friday", "opens": "15:00", "closes": "16:00"}]
    assert [s["name"] for s in rpc.list_stops(truck["id"])] == [
        "Place de l'église",
        "Hameau des Bordes",
    ]
    assert [s["name"] for s in rpc.get_opening_hours(truck["id"])["stops"]] == [
        "Place de l'église",
        "Hameau des Bordes",
    ]
    rpc.remove_stop(truck["id"], hamlet["id"])
    assert _count(database, VillageStop) == 1 and _count(database, OpeningSlot) == 1
    # each change told with every stop of the truck (orders plans its rounds' truck stops with them)
    told = _payloads(database, "village.stops_changed")
    assert [[s["name"] for s in p["stops"]] for p in told] == [
        ["Place de l'église"],
        ["Place de l'église", "Hameau des Bordes"],
        ["Place de l'église", "Hameau des Bordes"],
        ["Place de l'église"],
    ]
    assert told[-1] == {
        "village_id": truck["id"],
        "stops": [
            {
                "stop_id": church["id"],
                "name": "Place de l'église",
                "commune": "Montcalvel",
                "latitude": 45.5,
                "longitude": 1.9,
            }
        ],
    }
    with pytest.raises(NotFound):
        rpc.remove_stop(fixed["id"], church["id"])  # another village's stop
    with pytest.raises(InvalidInput) as err:
        rpc.add_stop(truck["id"], {"name": "X", "coordinates": {"latitude": 12}})
    assert set(err.value.errors) == {"name", "commune", "coordinates"}
    with pytest.raises(InvalidInput) as err:
        rpc.opening_status(truck["id"], "2025-06-03T10:00:00")  # naive
    assert set(err.value.errors) == {"at"}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_tellings_of_a_villages_stops_wait_for_each_other_and_never_deadlock(service_db):
    """Each telling of a village's stops locks its row first (FOR NO KEY UPDATE): two stops added
    at the same time do not deadlock (a stop inserted holds a KEY SHARE lock on its village,
    which FOR UPDATE would wait for), and the second telling waits for the first to commit, so
    the list told last is read last."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from backbone.schemas import load
    from services.members import villages
    from services.members.schemas import VillageInput

    database = service_db("members")
    with database.unit_of_work() as uow:
        truck = villages.open_village(uow, load(VillageInput(), TRUCK))
    with database.unit_of_work() as first, database.unit_of_work() as second:
        for uow, name in ((first, "Place de l'église"), (second, "Hameau des Bordes")):
            uow.session.add(VillageStop(village_id=truck["id"], name=name, commune="Montcalvel"))
            uow.session.flush()  # both inserted, each holding a KEY SHARE lock on the village
        first.session.execute(text("SET lock_timeout = '2s'"))
        villages._tell_stops(first, truck["id"])  # not held up by the other's insert
        second.session.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            villages._tell_stops(second, truck["id"])  # waits for the first telling's commit
        second.rollback()
        first.commit()
    assert [
        [s["name"] for s in p["stops"]] for p in _payloads(database, "village.stops_changed")
    ] == [["Place de l'église"]]
