"""The stops of a truck over the real broker: each change in members (`add_stop`, `remove_stop`)
reaches orders through the members outbox as `village.stops_changed`, so that a round names one of
them; a redelivered list is applied once and an older list arriving late changes nothing."""

from datetime import timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import delete, select

from backbone.contracts import build_envelope
from services.members.service import MembersService
from services.orders import truck_stops
from services.orders.service import OrdersService
from tests.support.reliability import inbox_count, wait_until

pytestmark = pytest.mark.broker

TRUCK = {
    "slug": "montcalvel",
    "name": "Montcalvel",
    "commune": "Montcalvel",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "itinerant",
    "population": 300,
}


def _known(database, village_id):
    with database.unit_of_work() as uow:
        return [s["name"] for s in truck_stops.village_stops(uow, [village_id]).get(village_id, [])]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_trucks_stops_reach_orders_once_and_in_order(
    amqp_uri, nameko_config, service_db, start_container, relay, broker_client
):
    service_db("members")
    orders_db = service_db("orders")
    start_container(MembersService, nameko_config)
    _container, workers = start_container(OrdersService, nameko_config)
    relay("members")
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        truck = members.open_village(TRUCK)
        church = members.add_stop(
            truck["id"], {"name": "Place de l'église", "commune": "Montcalvel", "position": 1}
        )
        hamlet = members.add_stop(
            truck["id"], {"name": "Hameau des Bordes", "commune": "Montcalvel", "position": 2}
        )
        wait_until(
            lambda: _known(orders_db, truck["id"]) == ["Place de l'église", "Hameau des Bordes"],
            message="both stops known to orders",
        )
        members.remove_stop(truck["id"], hamlet["id"])
        wait_until(
            lambda: _known(orders_db, truck["id"]) == ["Place de l'église"],
            message="the stop removed in orders too",
        )
    handled = workers.runs("on_village_stops_changed", ok=True)
    with orders_db.unit_of_work() as uow:
        newest = uow.session.get(truck_stops.KnownVillageStops, truck["id"]).changed_at
    client = broker_client(amqp_uri)
    late = build_envelope(
        "village.stops_changed",
        {
            "village_id": truck["id"],
            "stops": [
                {
                    "stop_id": hamlet["id"],
                    "name": "Hameau des Bordes",
                    "commune": "Montcalvel",
                    "latitude": None,
                    "longitude": None,
                }
            ],
        },
        village_id=truck["id"],
        source="members",
        occurred_at=newest - timedelta(seconds=1),
    )
    client.publish_envelope(late)
    client.publish_envelope(late)  # redelivered
    wait_until(
        lambda: workers.runs("on_village_stops_changed", ok=True) == handled + 2,
        message="the late list and its copy handled",
    )
    assert _known(orders_db, truck["id"]) == ["Place de l'église"]
    assert inbox_count(orders_db, "orders.on_village_stops_changed") == 4  # 3 told + the late one
    with orders_db.unit_of_work() as uow:
        [kept] = truck_stops.village_stops(uow, [truck["id"]])[truck["id"]]
    assert kept["stop_id"] == church["id"]


def _stops_known(database, village_ids) -> dict:
    with database.unit_of_work() as uow:
        return truck_stops.village_stops(uow, village_ids)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_announce_stops_tells_orders_what_a_network_from_before_never_told(
    amqp_uri, nameko_config, service_db, start_container, relay
):
    """A network upgraded from before `village.stops_changed`: members has stops, orders knows
    none. `maillage announce-stops` tells every truck's stops through members' outbox; run twice,
    orders knows the same."""
    from click.testing import CliRunner

    from backbone.tables import OutboxEvent
    from maillage.cli import main
    from services.orders.models import KnownVillage

    members_db = service_db("members")
    orders_db = service_db("orders")
    start_container(MembersService, nameko_config)
    _container, workers = start_container(OrdersService, nameko_config)
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        truck = members.open_village(TRUCK)
        other = members.open_village(
            {**TRUCK, "slug": "saint-setiers", "name": "Saint-Setiers", "insee_code": "19233"}
        )
        hub = members.open_village(
            {**TRUCK, "slug": "peyrelevade", "name": "Peyrelevade", "kind": "fixed"}
        )
        for village, name in [
            (truck, "Place de l'église"),
            (truck, "Hameau des Bordes"),
            (other, "Parking de la mairie"),
        ]:
            members.add_stop(village["id"], {"name": name, "commune": village["commune"]})
        told_by_members = {
            v["id"]: [(s["id"], s["name"]) for s in members.list_stops(v["id"])]
            for v in (truck, other)
        }
    ids = [truck["id"], other["id"], hub["id"]]
    # before `village.stops_changed` existed, members wrote none of them
    with members_db.unit_of_work() as uow:
        uow.session.execute(delete(OutboxEvent).where(OutboxEvent.type == "village.stops_changed"))
        uow.commit()
    relay("members")

    def villages_known():
        with orders_db.unit_of_work() as uow:
            return uow.session.scalars(
                select(KnownVillage.id).where(KnownVillage.id.in_(ids))
            ).all()

    wait_until(lambda: len(villages_known()) == 3, message="the villages known to orders")
    assert _stops_known(orders_db, ids) == {}

    def known_now():
        return {
            village_id: [(s["stop_id"], s["name"]) for s in stops]
            for village_id, stops in _stops_known(orders_db, ids).items()
        }

    first = CliRunner().invoke(main, ["announce-stops"])
    assert first.exit_code == 0, first.output
    assert "2 villages" in first.output
    wait_until(lambda: known_now() == told_by_members, message="every truck's stops in orders")
    with orders_db.unit_of_work() as uow:
        stamps = {
            row.village_id: row.changed_at
            for row in uow.session.scalars(select(truck_stops.KnownVillageStops))
        }

    again = CliRunner().invoke(main, ["announce-stops"])
    assert again.exit_code == 0, again.output
    wait_until(
        lambda: workers.runs("on_village_stops_changed", ok=True) == 4,
        message="the second announcement handled",
    )
    assert known_now() == told_by_members  # the fixed hub has no truck: nothing told for it
    with orders_db.unit_of_work() as uow:
        for row in uow.session.scalars(select(truck_stops.KnownVillageStops)):
            assert row.changed_at > stamps[row.village_id]  # the newer list, the same stops
    assert inbox_count(orders_db, "orders.on_village_stops_changed") == 4
