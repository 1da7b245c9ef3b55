"""The composition root: every service of the network, where its code lives, and the RPC client
operators' commands use."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from backbone import config

SERVICE_MODULES = {
    "members": "services.members.service:MembersService",
    "partners": "services.partners.service:PartnersService",
    "orders": "services.orders.service:OrdersService",
    "events": "services.events.service:EventsService",
}
GATEWAY_MODULE = "gateway.service:GatewayService"
# Only partners reaches hosts by name at run time (partners' webhooks): it keeps eventlet's green
# DNS so that a slow resolver never stalls it. The other processes reach only the broker and their
# database, once per connection, and skip it (EVENTLET_NO_GREENDNS=yes: dnspython is ~10 MiB of
# memory per process); docker-compose.yml says the same per container.
GREEN_DNS = {"partners"}


def service_class(name: str):
    module, cls = SERVICE_MODULES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def all_subscriptions() -> list[tuple[str, tuple[str, ...]]]:
    from backbone.topology import subscriptions_of

    return [sub for name in SERVICE_MODULES for sub in subscriptions_of(service_class(name))]


def all_retired_queues() -> list[tuple[str, str, tuple[str, ...]]]:
    from backbone.topology import retired_queues_of

    return [pair for name in SERVICE_MODULES for pair in retired_queues_of(service_class(name))]


def consumers_by_event_type() -> dict[str, list[str]]:
    """{event type: the handlers consuming it, by the name their inbox claims under}."""
    from backbone.topology import handlers_of

    consumers: dict[str, list[str]] = {}
    for name in SERVICE_MODULES:
        for handler, event_types in handlers_of(service_class(name)):
            for event_type in event_types:
                consumers.setdefault(event_type, []).append(handler)
    return consumers


BROKER_HELP = """RabbitMQ is not reachable at {uri} ({error}).
Maillage needs a RabbitMQ broker. Start one, then run this again:
  - with Docker:            docker compose up -d rabbitmq
                            then AMQP_URI=amqp://maillage:maillage@127.0.0.1:5672/
                            (compose's broker user)
  - with Debian/Ubuntu:     sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached
  - elsewhere:              set AMQP_URI=amqp://user:password@host:5672/ to an existing broker"""


class BrokerUnreachable(Exception):
    pass


def check_broker(uri: str) -> None:
    import pika

    every = config.pika_parameters(
        uri, socket_timeout=3, blocked_connection_timeout=3, connection_attempts=1
    )
    params = every[0]
    try:
        pika.BlockingConnection(every).close()  # one node answering is enough
    except Exception as exc:  # noqa: BLE001
        safe_uri = f"{params.host}:{params.port}{params.virtual_host and '/' + params.virtual_host}"
        raise BrokerUnreachable(
            BROKER_HELP.format(uri=safe_uri, error=type(exc).__name__)
        ) from None


def declare_topology(amqp_uri: str | None = None, retired: dict | None = None) -> list[str]:
    """Declare exchanges, the dead-letter queue and every service's queues (subscribers before
    publishers), then retire the queues of handlers that share one now (their messages moved into
    it: backbone/topology.py `retire_queue`; `retired`, when given, gets {queue: messages moved}).
    Returns the queue names."""
    import pika

    from backbone.topology import declare_pika, retire_queue

    subscriptions = all_subscriptions()
    connection = pika.BlockingConnection(config.pika_parameters(amqp_uri or config.amqp_uri()))
    try:
        declare_pika(connection.channel(), subscriptions)
        for old, successor, event_types in all_retired_queues():
            moved = retire_queue(connection, old, successor, event_types)
            if moved is not None and retired is not None:
                retired[old] = moved
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 406:
            raise TopologyMismatch(
                "the broker already has a queue or exchange declared differently: "
                f"{exc.reply_text}\nA quorum queue's arguments cannot change. Once its "
                "messages are handled (or moved), delete it (`rabbitmqctl delete_queue "
                "NAME`) and run `maillage topology` again."
            ) from None
        raise
    finally:
        if connection.is_open:
            connection.close()
    return [queue for queue, _types in subscriptions]


class TopologyMismatch(Exception):
    pass


@contextmanager
def rpc_client(timeout: float | None = None):
    """A standalone nameko RPC client; typed errors come back as backbone.errors classes."""
    from nameko.standalone.rpc import ClusterRpcProxy

    import backbone.errors  # noqa: F401  (registers the typed errors for deserialisation)
    from backbone.rpc import StandaloneReplyListener

    with ClusterRpcProxy(
        {"AMQP_URI": config.kombu_amqp_uri(), "serializer": "json"},
        timeout=timeout or config.rpc_timeout(),
        reply_listener_cls=StandaloneReplyListener,
    ) as proxy:
        yield proxy
