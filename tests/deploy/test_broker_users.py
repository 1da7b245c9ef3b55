"""The broker's users, against the real RabbitMQ: the definitions compose applies
(maillage/broker_definitions.py) are imported on two fresh vhosts with users of unique names, and
each user is tried at what it must and must not do. Needs the shovel plugin
(tests/services_up.sh enables it)."""

from __future__ import annotations

import json
import secrets
import time
import uuid

import pika
import pytest
import requests

from backbone import config, topology
from maillage import broker_definitions
from services.partners import feed
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_HOST, RABBIT_MANAGEMENT

pytestmark = pytest.mark.broker


@pytest.fixture
def broker(monkeypatch):
    """Both vhosts and every user of the definitions, named for this test; all deleted after."""
    tag = uuid.uuid4().hex[:10]
    services_vhost, partners_vhost, prefix = f"test-svc-{tag}", f"test-prt-{tag}", f"t{tag}-"
    passwords = {role: secrets.token_urlsafe(12) for role in broker_definitions.ROLES}
    document = broker_definitions.definitions(
        passwords, services_vhost=services_vhost, partners_vhost=partners_vhost, prefix=prefix
    )
    broker_definitions.apply(document, RABBIT_MANAGEMENT, RABBIT_AUTH)
    partner_users = []

    def uri(role, vhost=services_vhost):
        return (
            f"amqp://{broker_definitions.username(role, prefix)}:{passwords[role]}"
            f"@{RABBIT_HOST}:5672/" + requests.utils.quote(vhost, safe="")
        )

    # the topology as `maillage topology` declares it in compose, as the operators' user
    with _channel(uri("operator")) as channel:
        topology.declare_pika(
            channel, [("members.on_help_request_completed", ["help_request.completed"])]
        )
        channel.exchange_declare(
            broker_definitions.RPC_EXCHANGE, exchange_type="topic", durable=True
        )
    monkeypatch.setenv(
        "MAILLAGE_RABBIT_MANAGEMENT_USER", broker_definitions.username("feeds", prefix)
    )
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_PASSWORD", passwords["feeds"])
    monkeypatch.setenv("MAILLAGE_PARTNERS_VHOST", partners_vhost)
    yield {
        "uri": uri,
        "services": services_vhost,
        "partners": partners_vhost,
        "prefix": prefix,
        "partner_users": partner_users,
    }
    for vhost in (services_vhost, partners_vhost):
        requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=30)
    for user in [u["name"] for u in document["users"]] + partner_users:
        requests.delete(
            f"{RABBIT_MANAGEMENT}/users/{requests.utils.quote(user, safe='')}",
            auth=RABBIT_AUTH,
            timeout=10,
        )


class _channel:
    def __init__(self, uri):
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))

    def __enter__(self):
        return self.connection.channel()

    def __exit__(self, *exc):
        if self.connection.is_open:
            self.connection.close()


def _refused(uri, action) -> bool:
    """Whether the broker refuses `action(channel)` with ACCESS_REFUSED (403)."""
    with _channel(uri) as channel:
        channel.confirm_delivery()
        try:
            action(channel)
        except pika.exceptions.ChannelClosedByBroker as exc:
            assert exc.reply_code == 403, exc
            return True
    return False


def _publish(exchange, key):
    return lambda channel: channel.basic_publish(
        exchange, key, b"{}", pika.BasicProperties(delivery_mode=2)
    )


def test_a_service_publishes_its_own_events_only(broker):
    orders = broker["uri"]("orders")
    assert not _refused(orders, _publish(config.EVENTS_EXCHANGE, "order.placed"))
    # a forged erasure, or any other service's event
    assert _refused(orders, _publish(config.EVENTS_EXCHANGE, "member.erased"))
    assert _refused(orders, _publish(config.EVENTS_EXCHANGE, "partner.joined"))
    # nor a message straight into another service's queue, nor on an exchange it does not own
    assert _refused(orders, _publish("", "members.on_help_request_completed"))
    assert _refused(orders, _publish("amq.topic", "member.erased"))


def test_a_service_calls_no_other_service_and_reads_no_other_queue(broker):
    orders = broker["uri"]("orders")
    # an RPC request to members (what the gateway alone sends), e.g. making a coordinator account
    assert _refused(
        orders, _publish(broker_definitions.RPC_EXCHANGE, "members.create_staff_account")
    )
    assert _refused(orders, lambda ch: ch.basic_get("members.on_help_request_completed"))
    assert _refused(orders, lambda ch: ch.basic_get(config.DEAD_LETTER_QUEUE))
    # nor declares a queue of another name, nor binds one of its own to members' RPC requests
    assert _refused(orders, lambda ch: ch.queue_declare("anything", durable=True))
    assert not _refused(orders, lambda ch: ch.queue_declare("orders.spare", durable=True))
    assert _refused(
        orders,
        lambda ch: ch.queue_bind(
            "orders.spare", broker_definitions.RPC_EXCHANGE, routing_key="members.*"
        ),
    )
    # nor deletes the queue of another service
    assert _refused(orders, lambda ch: ch.queue_delete("members.on_help_request_completed"))


def test_the_gateway_sends_requests_but_never_an_event(broker):
    gateway = broker["uri"]("gateway")
    assert not _refused(gateway, _publish(broker_definitions.RPC_EXCHANGE, "members.get_member"))
    assert _refused(gateway, _publish(config.EVENTS_EXCHANGE, "member.erased"))
    assert _refused(
        gateway, _publish(config.DEAD_LETTER_EXCHANGE, "members.on_help_request_completed")
    )
    assert _refused(gateway, lambda ch: ch.basic_get("members.on_help_request_completed"))
    # it may not take the requests meant for a service either
    assert _refused(gateway, lambda ch: ch.queue_declare("rpc-members", durable=True))


def test_each_service_and_the_gateway_can_still_do_their_work(broker):
    """What each really does at start and at work, as its own user: the RPC queue and the handler
    queues declared as nameko and backbone/consumer.py declare them, an event published, a reply
    sent to the gateway's reply queue, the gateway's live queue."""
    from kombu import Connection, Queue
    from nameko.rpc import get_rpc_exchange

    for service in config.SERVICES:
        with Connection(broker["uri"](service)) as connection:
            queues = [
                topology.handler_queue(service, "on_something", ["village.opened"]),
                Queue(
                    f"rpc-{service}",
                    exchange=get_rpc_exchange({}),
                    routing_key=f"{service}.*",
                    durable=True,
                ),
            ]
            topology.declare_kombu(connection, queues)
    with Connection(broker["uri"]("gateway")) as connection:
        channel = connection.channel()
        reply_key = str(uuid.uuid4())
        Queue(
            f"rpc.reply-gateway-{reply_key}",
            exchange=get_rpc_exchange({}),
            routing_key=reply_key,
            auto_delete=True,
            queue_arguments={"x-expires": 60000},
        )(channel).declare()
        from gateway.console.live import live_queue

        live_queue(["order.placed"])(channel).declare()
        channel.close()
    # the gateway's request reaches members; members' reply reaches the gateway's queue
    with _channel(broker["uri"]("gateway")) as gateway:
        gateway.confirm_delivery()
        gateway.basic_publish(
            broker_definitions.RPC_EXCHANGE,
            "members.get_member",
            b"{}",
            pika.BasicProperties(reply_to=reply_key),
            mandatory=True,
        )
    with _channel(broker["uri"]("members")) as members:
        method, properties, _body = members.basic_get("rpc-members", auto_ack=True)
        assert method is not None
        members.confirm_delivery()
        members.basic_publish(
            broker_definitions.RPC_EXCHANGE, properties.reply_to, b'{"result": 1}', mandatory=True
        )
        members.basic_publish(config.EVENTS_EXCHANGE, "village.opened", b"{}", mandatory=True)
        # members sweeps the dead letters (erasure): it reads them and puts scrubbed ones back
        members.basic_publish(
            config.DEAD_LETTER_EXCHANGE, "orders.on_something", b"{}", mandatory=True
        )
        assert members.basic_get(config.DEAD_LETTER_QUEUE, auto_ack=True)[0] is not None
    with _channel(broker["uri"]("gateway")) as gateway:
        assert (
            gateway.basic_get(f"rpc.reply-gateway-{reply_key}", auto_ack=True)[2]
            == b'{"result": 1}'
        )
    for service in ("orders", "partners", "events"):
        with _channel(broker["uri"](service)) as channel:
            assert channel.basic_get(f"{service}.on_something", auto_ack=True)[0] is not None


def _partner_account(broker):
    partner_id = str(uuid.uuid4())
    account = feed.create_account(partner_id, management_url=RABBIT_MANAGEMENT)
    broker["partner_users"].append(account.username)
    uri = (
        f"amqp://{account.username}:{account.password}@{RABBIT_HOST}:5672/"
        + requests.utils.quote(account.vhost, safe="")
    )
    return partner_id, account, uri


def test_a_partner_lives_on_the_partners_vhost_and_never_sees_the_services(broker):
    partner_id, account, uri = _partner_account(broker)
    assert account.vhost == broker["partners"]
    services_uri = uri.rsplit("/", 1)[0] + "/" + requests.utils.quote(broker["services"], safe="")
    with pytest.raises(pika.exceptions.ProbableAccessDeniedError):
        pika.BlockingConnection(pika.URLParameters(services_uri))
    # on its own vhost: its own keys only, no publishing, no other queue
    other_id = str(uuid.uuid4())
    queue = feed.feed_queue(partner_id)
    assert not _refused(
        uri, lambda ch: ch.queue_bind(queue, config.PARTNERS_EXCHANGE, f"{partner_id}.order.*")
    )
    assert _refused(uri, lambda ch: ch.queue_bind(queue, config.PARTNERS_EXCHANGE, f"{other_id}.#"))
    assert _refused(uri, lambda ch: ch.queue_bind(queue, config.PARTNERS_EXCHANGE, "#"))
    assert _refused(uri, _publish(config.PARTNERS_EXCHANGE, f"{partner_id}.order.placed"))
    assert _refused(uri, lambda ch: ch.queue_declare(f"partner-{other_id}.feed", durable=True))
    limits = requests.get(
        f"{RABBIT_MANAGEMENT}/user-limits/{account.username}", auth=RABBIT_AUTH, timeout=10
    ).json()
    assert limits[0]["value"] == {
        "max-connections": feed.FEED_MAX_CONNECTIONS,
        "max-channels": feed.FEED_MAX_CHANNELS,
    }


def test_the_shovel_carries_feed_messages_to_the_partners_vhost(broker):
    partner_id, account, uri = _partner_account(broker)
    assert account.vhost == broker["partners"] != broker["services"]
    publisher = feed.FeedPublisher(broker["uri"]("partners"))
    try:
        publisher.publish(
            partner_id, "order.placed", "e-1", json.dumps({"event_id": "e-1"}).encode()
        )
    finally:
        publisher.close()
    deadline = time.monotonic() + 15
    with _channel(uri) as channel:
        while (got := channel.basic_get(feed.feed_queue(partner_id), auto_ack=True))[0] is None:
            assert time.monotonic() < deadline, (
                "the shovel did not carry the message to the partners' vhost"
            )
            time.sleep(0.2)
    assert got[0].routing_key == f"{partner_id}.order.placed" and json.loads(got[2]) == {
        "event_id": "e-1"
    }


def test_a_dormant_partners_feed_drops_its_oldest_and_never_refuses(broker, monkeypatch):
    monkeypatch.setenv("MAILLAGE_FEED_MAX_LENGTH", "5")
    partner_id, _account, uri = _partner_account(broker)
    # the partner declares a queue of its own too: the limit holds for it as well
    with _channel(uri) as channel:
        channel.queue_declare(f"partner-{partner_id}.spare", durable=True)
        channel.queue_bind(
            f"partner-{partner_id}.spare", config.PARTNERS_EXCHANGE, f"{partner_id}.#"
        )
    with _channel(broker["uri"]("operator", broker["partners"])) as channel:
        channel.confirm_delivery()
        for number in range(12):  # every publish confirmed: nothing refused, nothing blocked
            channel.basic_publish(
                config.PARTNERS_EXCHANGE,
                f"{partner_id}.order.placed",
                str(number).encode(),
                pika.BasicProperties(delivery_mode=2),
                mandatory=True,
            )
    with _channel(uri) as channel:
        for queue in (feed.feed_queue(partner_id), f"partner-{partner_id}.spare"):
            kept = []
            while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
                kept.append(int(got[2]))
            assert kept == [7, 8, 9, 10, 11], queue


def test_the_permission_matrix_names_every_user():
    table = broker_definitions.matrix()
    for role in broker_definitions.ROLES:
        assert broker_definitions.username(role) in table
    assert "partner-&lt;id&gt;" in table
