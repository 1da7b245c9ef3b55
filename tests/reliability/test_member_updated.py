"""`member.updated` end to end over the real broker: an inhabitant edited in members (now fragile,
an address entered) reaches the orders and events copies; a duplicate, an older description
arriving late, or an update sent while orders was down change nothing wrong."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.contracts import build_envelope
from services.events.models import KnownMember as EventsMember
from services.events.service import EventsService
from services.members.service import MembersService
from services.orders.models import KnownMember
from services.orders.service import OrdersService
from tests.support.reliability import inbox_count, village_input, wait_until

pytestmark = pytest.mark.broker

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _known(database, model, member_id):
    with database.unit_of_work() as uow:
        row = uow.session.get(model, member_id)
        return None if row is None else (row.display_name, row.tags, row.address)


@BOTH
def test_an_inhabitant_edited_in_members_is_edited_in_orders_and_events(
    nameko_config, service_db, start_container, relay
):
    orders_db, events_db = service_db("orders"), service_db("events")
    service_db("members")
    for service in (MembersService, OrdersService, EventsService):
        start_container(service, nameko_config)
    relay("members")
    with ServiceRpcProxy("members", nameko_config, timeout=10) as members:
        village = members.open_village(village_input(name="Faux-la-Montagne"))
        odette = members.register_member(
            {
                "village_id": village["id"],
                "first_name": "Odette",
                "last_name": "Vergne",
                "phone": "05 55 12 34 56",
            }
        )
        wait_until(
            lambda: _known(orders_db, KnownMember, odette["id"]) == ("Odette Vergne", "", None),
            message="the registration known to orders",
        )
        members.update_member(
            village["id"],
            odette["id"],
            {"tags": ["fragile"], "address": "Le Mas", "postcode": "23340", "city": "Faux"},
        )
    edited = ("Odette Vergne", "fragile", "Le Mas, 23340 Faux")
    wait_until(
        lambda: (
            _known(orders_db, KnownMember, odette["id"]) == edited
            and _known(events_db, EventsMember, odette["id"]) == edited
        ),
        message="the edit known to orders and events",
    )


def _envelope(type_, member_id, village_id, occurred_at, **payload):
    body = {"member_id": member_id, "village_id": village_id, "display_name": "Léon Faure"}
    body["tags"] = payload.pop("tags", [])
    if type_ == "member.updated":
        body |= {"address": None, "consents": []}
    return build_envelope(
        type_, body | payload, village_id=village_id, source="members", occurred_at=occurred_at
    )


@BOTH
def test_a_duplicate_or_an_older_description_arriving_late_changes_nothing(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    member, village, now = "m-" + "1" * 34, "v-" + "2" * 34, datetime.now(UTC)
    newer = _envelope("member.updated", member, village, now, tags=["fragile"], address="Le Mas")
    older = _envelope("member.updated", member, village, now - timedelta(minutes=5))
    registered = _envelope("member.registered", member, village, now - timedelta(minutes=10))

    client.publish_envelope(newer)  # before the registration: the member is known from it
    client.publish_envelope(newer)  # a duplicate delivery
    wait_until(
        lambda: workers.runs("on_member_updated", ok=True) == 2, message="both copies handled"
    )
    client.publish_envelope(older)
    client.publish_envelope(registered)
    wait_until(
        lambda: (
            workers.runs("on_member_updated", ok=True) == 3
            and workers.runs("on_member_registered", ok=True) == 1
        ),
        message="the late events handled",
    )
    assert _known(orders_db, KnownMember, member) == ("Léon Faure", "fragile", "Le Mas")
    assert inbox_count(orders_db, "orders.on_member_updated") == 2


def test_an_update_sent_while_orders_is_down_is_applied_when_it_comes_back(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders_db = service_db("orders")
    container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    member, village, now = "m-" + "3" * 34, "v-" + "4" * 34, datetime.now(UTC)
    client.publish_envelope(_envelope("member.registered", member, village, now))
    wait_until(lambda: workers.runs("on_member_registered", ok=True) == 1, message="registered")
    container.kill()
    later = now + timedelta(minutes=1)
    client.publish_envelope(
        _envelope("member.updated", member, village, later, tags=["no_car"], address="Le Bourg")
    )
    _again, workers = start_container(OrdersService, nameko_config)
    wait_until(
        lambda: _known(orders_db, KnownMember, member) == ("Léon Faure", "no_car", "Le Bourg"),
        message="the update applied after the restart",
    )
    assert workers.runs("on_member_updated", ok=True) == 1
