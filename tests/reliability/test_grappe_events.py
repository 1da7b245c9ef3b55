"""`grappe.created` and `grappe.updated` end to end over the real broker: a grappe made and changed
in members reaches orders' copy; a duplicate, a creation arriving after its update, or an update
sent while orders was down leave orders with the latest grappe."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import build_envelope
from services.members.service import MembersService
from services.orders.models import KnownGrappe
from services.orders.service import OrdersService
from tests.support.reliability import inbox_count, village_input, wait_until

pytestmark = pytest.mark.broker

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _known(orders_db, grappe_id):
    with orders_db.unit_of_work() as uow:
        row = uow.session.get(KnownGrappe, grappe_id)
        return None if row is None else (row.name, row.village_ids, row.supplier_partner_ids)


def _envelope(type_, grappe_id, occurred_at, name, village_ids=("v-a", "v-b"), suppliers=()):
    return build_envelope(
        type_,
        {
            "grappe_id": grappe_id,
            "name": name,
            "village_ids": list(village_ids),
            "supplier_partner_ids": list(suppliers),
            "depot_village_id": village_ids[0],
            "depot_place": None,
        },
        village_id=None,
        source="members",
        occurred_at=occurred_at,
    )


@BOTH
def test_a_grappe_made_and_changed_in_members_is_known_to_orders(
    nameko_config, service_db, start_container, relay
):
    orders_db = service_db("orders")
    service_db("members")
    for service in (MembersService, OrdersService):
        start_container(service, nameko_config)
    relay("members")
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        a, b, c = (members.open_village(village_input())["id"] for _ in range(3))
        grappe = members.create_grappe(
            {"name": "Haute-Corrèze", "village_ids": [a, b], "depot_village_id": a}
        )
        wait_until(
            lambda: _known(orders_db, grappe["id"]) == ("Haute-Corrèze", [a, b], []),
            message="the grappe known to orders",
        )
        members.update_grappe(
            grappe["id"],
            {
                "name": "Haute-Corrèze",
                "village_ids": [a, b, c],
                "supplier_partner_ids": ["p-1"],
                "depot_village_id": c,
            },
        )
        wait_until(
            lambda: _known(orders_db, grappe["id"]) == ("Haute-Corrèze", [a, b, c], ["p-1"]),
            message="the change known to orders",
        )


@BOTH
def test_a_duplicate_or_a_creation_arriving_after_its_update_changes_nothing(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    grappe, now = "g-" + "1" * 34, datetime.now(UTC)
    updated = _envelope("grappe.updated", grappe, now, "Nouveau nom", suppliers=["p-2"])
    created = _envelope("grappe.created", grappe, now - timedelta(minutes=5), "Premier nom")
    client.publish_envelope(updated)  # before its creation: recorded from it
    client.publish_envelope(updated)  # a duplicate delivery
    client.publish_envelope(created)  # the creation arrives late
    wait_until(
        lambda: (
            workers.runs("on_grappe_updated", ok=True) == 2
            and workers.runs("on_grappe_created", ok=True) == 1
        ),
        message="the three deliveries handled",
    )
    assert _known(orders_db, grappe) == ("Nouveau nom", ["v-a", "v-b"], ["p-2"])
    assert inbox_count(orders_db, "orders.on_grappe_updated") == 1


def test_a_change_sent_while_orders_is_down_is_applied_when_it_comes_back(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    grappe, now = "g-" + "2" * 34, datetime.now(UTC)
    client.publish_envelope(_envelope("grappe.created", grappe, now, "Avant"))
    wait_until(lambda: workers.runs("on_grappe_created", ok=True) == 1, message="created")
    container.kill()
    client.publish_envelope(_envelope("grappe.updated", grappe, now + timedelta(1), "Après"))
    _again, workers = start_container(OrdersService, nameko_config)
    wait_until(
        lambda: (_known(orders_db, grappe) or ("",))[0] == "Après",
        message="the change applied after the restart",
    )
