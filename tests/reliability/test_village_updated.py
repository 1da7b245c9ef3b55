"""`village.updated` end to end over the real broker: a village renamed or moved in members reaches
the other services' read models (orders' distances and rounds use its position); a duplicate, or an
older description arriving late (the opening itself included), changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.contracts import build_envelope
from services.events.service import EventsService
from services.members.service import MembersService
from services.orders.models import KnownVillage
from services.orders.service import OrdersService
from services.partners.service import PartnersService
from tests.support.reliability import inbox_count, village_envelope, village_input, wait_until

pytestmark = pytest.mark.broker


def _orders_village(orders_db, village_id):
    with orders_db.unit_of_work() as uow:
        row = uow.session.get(KnownVillage, village_id)
        return None if row is None else (row.name, row.latitude, row.longitude)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_village_renamed_and_moved_is_renamed_and_moved_everywhere(
    amqp_uri, nameko_config, service_db, start_container, relay
):
    members_db, orders_db = service_db("members"), service_db("orders")
    service_db("events"), service_db("partners")
    for service in (MembersService, OrdersService, EventsService, PartnersService):
        start_container(service, nameko_config)
    relay("members")
    with (
        ServiceRpcProxy("members", nameko_config, timeout=10) as members,
        ServiceRpcProxy("events", nameko_config, timeout=10) as events,
        ServiceRpcProxy("partners", nameko_config, timeout=10) as partners,
    ):
        village = members.open_village(
            village_input(name="Saint-Setiers", coordinates={"latitude": 45.7, "longitude": 2.1})
        )

        def names():
            return [
                {v["id"]: v["name"] for v in proxy.known_villages()}.get(village["id"])
                for proxy in (events, partners)
            ] + [(_orders_village(orders_db, village["id"]) or [None])[0]]

        wait_until(lambda: names() == ["Saint-Setiers"] * 3, message="the village known everywhere")
        members.update_village(
            village["id"], {"street": "2 place de l'Église"}
        )  # not in the description: no event
        members.update_village(
            village["id"],
            {
                "name": "Saint-Setiers-le-Bourg",
                "coordinates": {"latitude": 45.71, "longitude": 2.13},
            },
        )
        wait_until(
            lambda: names() == ["Saint-Setiers-le-Bourg"] * 3, message="the new name everywhere"
        )
    assert _orders_village(orders_db, village["id"]) == ("Saint-Setiers-le-Bourg", 45.71, 2.13)
    with members_db.unit_of_work() as uow:
        from backbone.tables import OutboxEvent

        updates = uow.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.type == "village.updated")
        ).all()
    assert updates == ["village.updated"], "one event for the one change the others keep"


def _updated(opened: dict, occurred_at, **changes) -> dict:
    payload = {
        **opened["payload"],
        "opened_at": datetime.fromisoformat(opened["occurred_at"]),
        **changes,
    }
    return build_envelope(
        "village.updated",
        payload,
        village_id=opened["village_id"],
        source="members",
        occurred_at=occurred_at,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_duplicate_or_an_older_description_arriving_late_changes_nothing(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    opened = village_envelope(name="Gentioux", latitude=45.78, longitude=1.99)
    now = datetime.now(UTC)
    moved = _updated(opened, now, name="Gentioux-Pigerolles", latitude=45.8, longitude=2.0)
    older = _updated(opened, now - timedelta(minutes=5), name="Gentioux (ancien nom)")

    client.publish_envelope(moved)  # before village.opened: the village is recorded from it
    client.publish_envelope(moved)  # a duplicate delivery
    wait_until(
        lambda: workers.runs("on_village_updated", ok=True) == 2, message="both copies handled"
    )
    client.publish_envelope(opened)  # the opening arrives late
    client.publish_envelope(older)  # an older change arrives late
    wait_until(
        lambda: (
            workers.runs("on_village_updated", ok=True) == 3
            and workers.runs("on_village_opened", ok=True)
        ),
        message="the late events handled",
    )
    assert _orders_village(orders_db, opened["village_id"]) == ("Gentioux-Pigerolles", 45.8, 2.0)
    assert inbox_count(orders_db, "orders.on_village_updated") == 2
    with orders_db.unit_of_work() as uow:
        row = uow.session.get(KnownVillage, opened["village_id"])
        assert row.opened_at == datetime.fromisoformat(opened["occurred_at"]), (
            "when it opened, from either event"
        )
