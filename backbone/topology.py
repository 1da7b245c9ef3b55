"""The broker topology, declared identically by every client (kombu in services, pika in tools).

- `maillage.events` (topic): every event, routing key = event type. Its alternate exchange is the
  dead-letter exchange, so an event nobody subscribes to is kept, not silently dropped.
- `maillage.partners` (topic): partners' AMQP feed, routing key `<partner_id>.<event type>`
  (services/partners/feed.py); each partner's broker user may bind only to its own keys.
- One durable quorum queue per handler (`<service>.<method>`), with a delivery limit and the
  dead-letter exchange: a message that keeps failing lands in `maillage.dead-letters`.
"""

from __future__ import annotations

from kombu import Exchange, Queue, binding

from backbone import config

EVENTS_EXCHANGE_ARGS = {"alternate-exchange": config.DEAD_LETTER_EXCHANGE}


def handler_queue_name(service: str, method: str) -> str:
    return f"{service}.{method}"


# The broker's own limit, a safety net for a consumer that dies before it can decide (the consumer
# dead-letters after MAILLAGE_DELIVERY_LIMIT failures itself, with the reason). A constant: a quorum
# queue's arguments cannot change once declared, so a setting here would stop services restarting.
BROKER_DELIVERY_LIMIT = 20


def handler_queue_arguments(queue_name: str) -> dict:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": BROKER_DELIVERY_LIMIT,
        "x-dead-letter-exchange": config.DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue_name,
    }


DEAD_LETTER_QUEUE_ARGS = {"x-queue-type": "quorum"}


# --- kombu (inside nameko services) -------------------------------------------------------


def events_exchange() -> Exchange:
    return Exchange(
        config.EVENTS_EXCHANGE, type="topic", durable=True, arguments=EVENTS_EXCHANGE_ARGS
    )


def dead_letter_exchange() -> Exchange:
    return Exchange(config.DEAD_LETTER_EXCHANGE, type="topic", durable=True)


def dead_letter_queue() -> Queue:
    return Queue(
        config.DEAD_LETTER_QUEUE,
        exchange=dead_letter_exchange(),
        routing_key="#",
        durable=True,
        queue_arguments=DEAD_LETTER_QUEUE_ARGS,
    )


def handler_queue(service: str, method: str, event_types) -> Queue:
    name = handler_queue_name(service, method)
    exchange = events_exchange()
    return Queue(
        name,
        bindings=[binding(exchange, routing_key=t) for t in event_types],
        durable=True,
        queue_arguments=handler_queue_arguments(name),
    )


def declare_kombu(connection, queues=()) -> None:
    """Declare the shared exchanges, the dead-letter queue and `queues` on a kombu connection."""
    channel = connection.channel()
    try:
        dead_letter_queue()(channel).declare()
        events_exchange()(channel).declare()
        for queue in queues:
            queue(channel).declare()
    finally:
        channel.close()


# --- pika (relay, operators' CLI, benchmarks) ----------------------------------------------


def declare_pika(channel, subscriptions=()) -> None:
    """Same topology with pika. `subscriptions` is an iterable of (queue name, event types)."""
    channel.exchange_declare(config.DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(config.DEAD_LETTER_QUEUE, durable=True, arguments=DEAD_LETTER_QUEUE_ARGS)
    channel.queue_bind(config.DEAD_LETTER_QUEUE, config.DEAD_LETTER_EXCHANGE, routing_key="#")
    channel.exchange_declare(
        config.EVENTS_EXCHANGE, exchange_type="topic", durable=True, arguments=EVENTS_EXCHANGE_ARGS
    )
    channel.exchange_declare(config.PARTNERS_EXCHANGE, exchange_type="topic", durable=True)
    for queue_name, event_types in subscriptions:
        channel.queue_declare(
            queue_name, durable=True, arguments=handler_queue_arguments(queue_name)
        )
        for event_type in event_types:
            channel.queue_bind(queue_name, config.EVENTS_EXCHANGE, routing_key=event_type)


def declare_pika_async(channel, on_done, subscriptions=()) -> None:
    """`declare_pika` for pika's asynchronous channel: runs the declarations in
    order, then `on_done()`."""
    steps = [
        lambda cb: channel.exchange_declare(
            config.DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True, callback=cb
        ),
        lambda cb: channel.queue_declare(
            config.DEAD_LETTER_QUEUE, durable=True, arguments=DEAD_LETTER_QUEUE_ARGS, callback=cb
        ),
        lambda cb: channel.queue_bind(
            config.DEAD_LETTER_QUEUE, config.DEAD_LETTER_EXCHANGE, routing_key="#", callback=cb
        ),
        lambda cb: channel.exchange_declare(
            config.EVENTS_EXCHANGE,
            exchange_type="topic",
            durable=True,
            arguments=EVENTS_EXCHANGE_ARGS,
            callback=cb,
        ),
    ]

    def run(index, _frame=None):
        if index == len(steps):
            on_done()
        else:
            steps[index](lambda frame: run(index + 1, frame))

    run(0)


def _event_consumers(service_cls):
    """(method name, entrypoint) of every `@consume_event` handler of a nameko service class."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from backbone.consumer import EventConsumer

    for method_name in sorted(dir(service_cls)):
        method = getattr(service_cls, method_name, None)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventConsumer):
                yield method_name, entrypoint


def handlers_of(service_cls) -> list[tuple[str, tuple[str, ...]]]:
    """[(handler name, event types)] for every `@consume_event` handler of a nameko service class:
    `<service>.<method>`, the name its events are claimed under in the inbox."""
    return [
        (handler_queue_name(service_cls.name, method_name), entrypoint.event_types)
        for method_name, entrypoint in _event_consumers(service_cls)
    ]


def subscriptions_of(service_cls) -> list[tuple[str, tuple[str, ...]]]:
    """[(queue name, event types)] of a nameko service class: a queue per `@consume_event` handler,
    or one for the handlers sharing it (`queue=`), bound to all their types."""
    queues: dict[str, list[str]] = {}
    for method_name, entrypoint in _event_consumers(service_cls):
        name = handler_queue_name(service_cls.name, entrypoint.shared_queue or method_name)
        types = queues.setdefault(name, [])
        types.extend(t for t in entrypoint.event_types if t not in types)
    return [(name, tuple(types)) for name, types in queues.items()]


def retired_queues_of(service_cls) -> list[tuple[str, str, tuple[str, ...]]]:
    """[(a handler's own queue, the queue it shares now, the handler's event types)]: the queues of
    handlers that had one of their own before they shared one (`@consume_event(..., queue=...)`),
    to be emptied into the shared one and deleted (`retire_queue`)."""
    return [
        (
            handler_queue_name(service_cls.name, method_name),
            handler_queue_name(service_cls.name, entrypoint.shared_queue),
            entrypoint.event_types,
        )
        for method_name, entrypoint in _event_consumers(service_cls)
        if entrypoint.shared_queue
    ]


def retire_queue(connection, old: str, successor: str, event_types=()) -> int | None:
    """Move every message of the queue `old` into `successor` (declared already, bound to the
    types `old` was), then delete `old`; how many were moved, None when `old` does not exist or is
    still consumed (a process of the version before is running: `old` is left as it is, for the
    next `maillage topology`).

    `old` is first unbound from `event_types` on the events exchange, so that nothing more comes
    in while it is emptied (a quorum queue cannot be deleted "if empty"). Each message is published
    to `successor` with its body and properties and confirmed by the broker before it is
    acknowledged on `old`: a crash in between leaves it in both, which the handlers' inbox claims
    make harmless, never in neither. `connection`: a pika BlockingConnection."""
    import pika

    channel = connection.channel()
    try:
        consumers = channel.queue_declare(old, passive=True).method.consumer_count
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return None
        raise
    if consumers:
        channel.close()
        return None
    for event_type in event_types:
        channel.queue_unbind(old, config.EVENTS_EXCHANGE, routing_key=event_type)
    channel.confirm_delivery()
    moved = 0
    while True:
        method, properties, body = channel.basic_get(old)
        if method is None:
            break
        channel.basic_publish("", successor, body, properties, mandatory=True)
        channel.basic_ack(method.delivery_tag)
        moved += 1
    channel.queue_delete(old)
    channel.close()
    return moved
