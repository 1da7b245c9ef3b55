"""Handlers sharing a queue (`@consume_event(..., queue="events")`), against the real broker: the
service gets each event once, each handler the events of its types once; when one handler fails,
the message comes back and the other's inbox skips what it had done; a handler's own queue from
before the sharing is emptied into the shared one and deleted (`maillage topology`)."""

import pika
import pytest
import requests

from backbone import topology
from backbone.consumer import consume_event
from backbone.contracts import build_envelope
from backbone.dependencies import DatabaseProvider
from maillage.network import declare_topology
from services.orders import read_models
from services.orders.models import KnownVillage
from services.partners.service import PartnersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT
from tests.support.reliability import count, inbox_count, village_envelope, wait_until

pytestmark = pytest.mark.broker

FAILING = {"on": False}
SEEN: dict[str, list[str]] = {"on_village_fact": [], "on_village_opened": []}


class SharingService:
    """Two handlers on one queue: one batching two types, one taking a single type one at a time
    and failing while FAILING is set."""

    name = "sharing"

    db = DatabaseProvider("orders")

    @consume_event("village.opened", "village.status_changed", batch=10, queue="events")
    def on_village_fact(self, uow, events):
        SEEN["on_village_fact"].extend(event["event_id"] for event in events)
        read_models.record_villages(uow, [e for e in events if e["type"] == "village.opened"])

    @consume_event("village.opened", queue="events")
    def on_village_opened(self, uow, event):
        SEEN["on_village_opened"].append(event["event_id"])
        if FAILING["on"]:
            raise RuntimeError("the second handler's supplier is away")


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setitem(FAILING, "on", False)
    for seen in SEEN.values():
        seen.clear()


def _status_changed() -> dict:
    village = village_envelope()["payload"]["village_id"]
    payload = {"village_id": village, "from": "preparing", "to": "open", "reason": "ouverture"}
    return build_envelope("village.status_changed", payload, village_id=village, source="members")


def _queues(amqp_uri) -> dict[str, dict]:
    vhost = amqp_uri.rsplit("/", 1)[1]
    found = requests.get(f"{RABBIT_MANAGEMENT}/queues/{vhost}", auth=RABBIT_AUTH, timeout=10)
    return {queue["name"]: queue for queue in found.json()}


def _bindings(amqp_uri, queue: str) -> set[str]:
    vhost = amqp_uri.rsplit("/", 1)[1]
    found = requests.get(
        f"{RABBIT_MANAGEMENT}/queues/{vhost}/{queue}/bindings", auth=RABBIT_AUTH, timeout=10
    )
    return {b["routing_key"] for b in found.json() if b["source"] == "maillage.events"}


def test_handlers_sharing_a_queue_each_get_their_events_once_from_one_delivery(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders = service_db("orders")
    _container, workers = start_container(SharingService, nameko_config)
    queues = {name for name in _queues(amqp_uri) if name.startswith("sharing.")}
    assert queues == {"sharing.events"}, "one queue for both handlers, none of their own"
    assert _bindings(amqp_uri, "sharing.events") == {"village.opened", "village.status_changed"}

    client = broker_client(amqp_uri)
    opened, changed = village_envelope(), _status_changed()
    for envelope in (opened, changed, opened):  # the last: a duplicate delivery
        client.publish_envelope(envelope)

    wait_until(
        lambda: (
            workers.events("on_village_fact", ok=True) == 3
            and workers.runs("on_village_opened", ok=True) == 2
        ),
        message="each handler done with the messages of its types",
    )
    assert SEEN["on_village_fact"] == [opened["event_id"], changed["event_id"]], "each once"
    assert SEEN["on_village_opened"] == [opened["event_id"]], "not the other type, not twice"
    assert inbox_count(orders, "sharing.on_village_fact") == 2
    assert inbox_count(orders, "sharing.on_village_opened") == 1, "claimed under its own name"
    assert count(orders, KnownVillage) == 1
    wait_until(
        lambda: _queues(amqp_uri)["sharing.events"].get("messages") == 0,
        message="every message acknowledged",
    )


def test_when_one_handler_fails_the_message_comes_back_and_the_other_skips_it(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "5")
    monkeypatch.setenv("MAILLAGE_RETRY_DELAY", "0.2")
    orders = service_db("orders")
    FAILING["on"] = True
    _container, workers = start_container(SharingService, nameko_config)
    opened = village_envelope()
    broker_client(amqp_uri).publish_envelope(opened)

    wait_until(
        lambda: workers.runs("on_village_opened", ok=False) >= 2,
        message="the failing handler tried twice (the message came back)",
    )
    FAILING["on"] = False
    wait_until(
        lambda: workers.runs("on_village_opened", ok=True) == 1, message="handled once it works"
    )
    assert SEEN["on_village_fact"] == [opened["event_id"]], (
        "the handler that succeeded got the redelivered message, and its inbox kept it away"
    )
    assert workers.events("on_village_fact", ok=True) >= 2, "it was redelivered to both"
    assert inbox_count(orders, "sharing.on_village_fact") == 1
    assert inbox_count(orders, "sharing.on_village_opened") == 1
    assert count(orders, KnownVillage) == 1


def _old_queue_with(client, name: str, types: tuple, envelopes: list[dict]) -> None:
    """A handler's own queue as the version before declared it, holding `envelopes` (published
    while nothing else is bound to their types)."""
    topology.declare_pika(client.channel, [(name, types)])
    for envelope in envelopes:
        client.publish_envelope(envelope)


def test_a_handlers_queue_from_before_is_emptied_into_the_shared_one_and_deleted(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders = service_db("orders")
    client = broker_client(amqp_uri)
    waiting = [village_envelope(name=f"Village {n}") for n in range(3)]
    _old_queue_with(client, "sharing.on_village_opened", ("village.opened",), waiting)
    topology.declare_pika(client.channel, topology.subscriptions_of(SharingService))

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        moved = topology.retire_queue(
            connection, "sharing.on_village_opened", "sharing.events", ("village.opened",)
        )
        assert moved == 3
        assert topology.retire_queue(connection, "sharing.on_village_opened", "x") is None, (
            "gone: nothing more to do"
        )
    finally:
        connection.close()
    assert "sharing.on_village_opened" not in _queues(amqp_uri)

    _container, workers = start_container(SharingService, nameko_config)
    wait_until(
        lambda: workers.runs("on_village_opened", ok=True) == 3,
        message="the moved events handled by the handler whose queue it was",
    )
    assert sorted(SEEN["on_village_opened"]) == sorted(e["event_id"] for e in waiting)
    assert inbox_count(orders, "sharing.on_village_opened") == 3


def test_a_queue_still_consumed_by_the_version_before_is_left_for_later(amqp_uri, broker_client):
    client = broker_client(amqp_uri)
    _old_queue_with(client, "sharing.on_village_opened", ("village.opened",), [village_envelope()])
    topology.declare_pika(client.channel, topology.subscriptions_of(SharingService))
    before = pika.BlockingConnection(pika.URLParameters(amqp_uri))  # a process of the old version
    before.channel().basic_consume("sharing.on_village_opened", lambda *_: None)
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        assert (
            topology.retire_queue(connection, "sharing.on_village_opened", "sharing.events") is None
        )
    finally:
        connection.close()
        before.close()
    assert "sharing.on_village_opened" in _queues(amqp_uri), "not deleted under its consumer"


def test_maillage_topology_retires_partners_two_queues_into_the_one_they_share(
    amqp_uri, broker_client
):
    """The upgrade of a network whose partners service had a queue per handler: what they still
    held reaches the shared queue, and they are gone."""
    client = broker_client(amqp_uri)
    money, feed = village_envelope(), village_envelope()
    _old_queue_with(client, "partners.on_money_event", ("sale.recorded",), [])
    _old_queue_with(client, "partners.on_partner_event", ("village.opened",), [money, feed])
    retired: dict[str, int] = {}

    queues = declare_topology(amqp_uri, retired=retired)

    assert retired == {"partners.on_money_event": 0, "partners.on_partner_event": 2}
    assert "partners.events" in queues
    present = _queues(amqp_uri)
    assert "partners.on_money_event" not in present and "partners.on_partner_event" not in present
    wait_until(
        lambda: _queues(amqp_uri)["partners.events"].get("messages") == 2,
        message="the two waiting events in the shared queue",
    )
    shared_types = dict(topology.subscriptions_of(PartnersService))["partners.events"]
    assert _bindings(amqp_uri, "partners.events") == set(shared_types)
