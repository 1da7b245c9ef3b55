"""`village.status_changed` end to end over the real broker: the coordinator's change in members
goes through the outbox and the relay to the other services' read models; a duplicate or a late,
older event changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import build_envelope
from services.events.service import EventsService
from services.members.service import MembersService
from services.orders import read_models as orders_read_models  # noqa: F401  (the handler under test)
from services.orders.models import VillageStatus
from services.orders.service import OrdersService
from tests.support.reliability import (
    count,
    inbox_count,
    village_envelope,
    village_input,
    wait_until,
)

pytestmark = pytest.mark.broker

HANDLER = "on_village_status_changed"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_status_changes_reach_the_other_services_read_models(
    amqp_uri, nameko_config, service_db, start_container, relay
):
    service_db("members"), service_db("orders"), service_db("events")
    start_container(MembersService, nameko_config)
    start_container(OrdersService, nameko_config)
    start_container(EventsService, nameko_config)
    relay("members")
    with (
        ServiceRpcProxy("members", nameko_config, timeout=10) as members,
        ServiceRpcProxy("orders", nameko_config, timeout=10) as orders,
        ServiceRpcProxy("events", nameko_config, timeout=10) as events,
    ):
        village = members.open_village(village_input(status="preparing"))

        def status_everywhere(expected):
            def check():
                seen = [
                    {v["id"]: v["status"] for v in proxy.known_villages()}.get(village["id"])
                    for proxy in (orders, events)
                ]
                return seen == [expected, expected]

            return check

        wait_until(status_everywhere("preparing"), message="preparing in orders and events")
        members.change_village_status(village["id"], {"status": "open"})
        members.change_village_status(
            village["id"], {"status": "paused", "reason": "congés de la gérante"}
        )
        wait_until(status_everywhere("paused"), message="paused in orders and events")
        members.change_village_status(village["id"], {"status": "closed", "reason": "fin du bail"})
        wait_until(status_everywhere("closed"), message="closed in orders and events")


def _status_event(village_id, before, after, occurred_at):
    return build_envelope(
        "village.status_changed",
        {"village_id": village_id, "from": before, "to": after, "reason": None},
        village_id=village_id,
        source="members",
        occurred_at=occurred_at,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_duplicate_or_a_late_older_status_changes_nothing(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    opened = village_envelope()
    village_id = opened["village_id"]
    now = datetime.now(UTC)
    paused = _status_event(village_id, "open", "paused", now)
    reopened_earlier = _status_event(village_id, "paused", "open", now - timedelta(minutes=5))

    client.publish_envelope(paused)  # before village.opened: kept anyway
    client.publish_envelope(opened)
    client.publish_envelope(paused)  # a duplicate delivery
    client.publish_envelope(reopened_earlier)  # arrives late, happened before

    wait_until(
        lambda: workers.runs(HANDLER, ok=True) == 3, message="the three deliveries to be handled"
    )
    with ServiceRpcProxy("orders", nameko_config, timeout=10) as rpc:
        known = wait_until(lambda: rpc.known_villages(), message="the village to be known")
    assert [(v["id"], v["status"]) for v in known] == [(village_id, "paused")]
    assert count(orders, VillageStatus) == 1
    assert inbox_count(orders, "orders.on_village_status_changed") == 2
