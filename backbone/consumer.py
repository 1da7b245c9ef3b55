"""`@consume_event(...)`: the nameko entrypoint every event handler uses.

For each handler it declares a durable quorum queue `<service>.<method>` bound to the event types,
with a delivery limit and the dead-letter exchange. Handlers of one service may share a queue
(`queue="events"`: `<service>.events`, bound to all their types), so that an event several of them
handle is delivered, parsed and acknowledged once (issue #30): each message is handed to every
handler of the queue whose types include it, each runs as it would alone (its own claim, unit of
work and batches), and the message is acknowledged once all are done; when one failed, it is
requeued or dead-lettered as below, and on redelivery the inbox of each handler skips what it had
done. `maillage topology` moves what a handler's own queue from before still holds into the shared
one and deletes it (backbone/topology.py `retire_queue`). For each message it:

- parses and validates the envelope against the contract registry; a message that is not JSON
  or does not match its contract is dead-lettered at once with the reason, never retried;
- runs the handler in a worker, with the event's correlation id in the worker context;
- acks on success; on failure requeues after a growing pause (MAILLAGE_RETRY_DELAY, doubled each
  attempt), and on the last allowed attempt (MAILLAGE_DELIVERY_LIMIT) dead-letters the
  message itself with the error as reason (the queue's own delivery limit is the safety net if
  the process dies on every attempt).

The inbox is part of consuming: before calling the handler, `consume_event` opens a unit of work
through the service's `db` dependency and claims `(consumer, event_id)` in it, the consumer being
the handler's name `<service>.<method>` (its own queue's name); the handler is called as
`handler(self, uow, event)` and the unit of work is committed when it returns. A duplicate is
acknowledged without calling the handler; a handler that raises commits nothing, its claim included
(`claim_and_handle`). The handler runs inside the transaction holding its claim: it should not wait
on the network meanwhile (on SQLite that transaction holds the database's write lock).

`@consume_event(..., batch=N)` hands the handler a list of events instead of one, the new ones of
the batch only (`uow.claim_many`), so that it writes them in one transaction: one commit for many
events is what lets a busy consumer keep up. Batches form only under load: a message that arrives
while fewer than BATCHES_IN_FLIGHT batches of this handler are running starts one at once, with the
messages read in the same go (an order's events come together; no waiting for company); those
arriving meanwhile wait, and the next batch takes up to N of them. A batch that fails is not retried
as a whole: each of its events is run again alone, with the retries and dead-lettering above, so
one poison event never holds back the others.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial, wraps

import eventlet
from kombu import Connection
from kombu.pools import producers
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from backbone import config, metrics, topology
from backbone.broker import SafeQueueConsumer
from backbone.contracts import ContractError, parse_envelope
from backbone.dependencies import DatabaseProvider

log = logging.getLogger(__name__)


def _consume_with_prefetch(consume, consumer, prefetch: int, *args, **kwargs):
    """Each consumer's own prefetch: the channel's qos holds for the consumers started after it, so
    it is set just before each starts (a batching handler wants room for a batch waiting while
    another runs; the others keep the container's `max_workers`)."""
    consumer.qos(prefetch_count=prefetch)
    return consume(*args, **kwargs)


class RawQueueConsumer(SafeQueueConsumer):
    """Hands raw messages to the entrypoint: decoding is the entrypoint's job, so a body that is
    not JSON becomes a dead letter instead of an exception in the consumer loop."""

    _dead_letter_connection = None

    def get_consumers(self, consumer_cls, channel):
        topology.dead_letter_queue()(channel).declare()
        topology.events_exchange()(channel).declare()
        for provider in self._providers:
            consumer = consumer_cls(
                queues=[provider.queue], on_message=partial(self.handle_message, provider, None)
            )
            prefetch = max(self.prefetch_count, getattr(provider, "prefetch_count", 0))
            consumer.consume = partial(_consume_with_prefetch, consumer.consume, consumer, prefetch)
            self._consumers[provider] = consumer
        return self._consumers.values()

    def stop(self):
        super().stop()
        self._close_dead_letter_connection()

    def kill(self):
        super().kill()
        self._close_dead_letter_connection()

    def _close_dead_letter_connection(self):
        if self._dead_letter_connection is not None:
            self._dead_letter_connection.release()
            self._dead_letter_connection = None

    def dead_letter(self, message, queue_name: str, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-maillage-reason": reason[:4000],
                "x-maillage-queue": queue_name,
                "x-maillage-dead-at": datetime.now(UTC).isoformat(),
                "x-maillage-attempts": attempts,
            }
        )
        if self._dead_letter_connection is None:
            self._dead_letter_connection = Connection(
                self.amqp_uri, transport_options={"confirm_publish": True}
            )
        with producers[self._dead_letter_connection].acquire(block=True) as producer:
            producer.publish(
                message.body,
                exchange=config.DEAD_LETTER_EXCHANGE,
                routing_key=queue_name,
                headers=headers,
                delivery_mode=2,
                retry=True,
                retry_policy={"max_retries": 3},
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                message_id=message.properties.get("message_id"),
                type=message.properties.get("type"),
            )


class _Delivery:
    """One message and the handlers it was handed to (several when they share its queue): it is
    acknowledged once each is done with it; when one failed, the first failure decides (requeued
    after a pause, or dead-lettered), and each handler's inbox skips on redelivery what it had
    done. Settled once: a later word about it is ignored."""

    __slots__ = ("message", "pending", "exc_info", "settled")

    def __init__(self, message, handlers: int):
        self.message, self.pending, self.exc_info, self.settled = message, handlers, None, False


class EventConsumer(Consumer):
    queue_consumer = RawQueueConsumer()
    BATCHES_IN_FLIGHT = 2
    GATHER_SECONDS = (
        0.005  # when no batch runs, how long the first event waits for the ones behind it
    )

    def __init__(self, *event_types: str, batch: int = 0, queue: str | None = None, **kwargs):
        if not event_types:
            raise ValueError("consume_event needs at least one event type")
        if batch < 0:
            raise ValueError("batch is a number of events (0: one event per call)")
        self.event_types = event_types
        self.batch = batch
        self.shared_queue = queue
        self.prefetch_count = batch * (self.BATCHES_IN_FLIGHT + 1)
        self._waiting: list[tuple[dict, _Delivery]] = []
        self._batches_running = 0
        self._start_scheduled = False
        self._sharing: list[EventConsumer] = [self]  # the handlers this one hands messages to
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    @property
    def queue_name(self) -> str:
        return topology.handler_queue_name(
            self.container.service_name, self.shared_queue or self.method_name
        )

    @property
    def leads(self) -> bool:
        """Whether this handler consumes its queue (for the others sharing it, if any)."""
        return self._sharing[0] is self

    def setup(self):
        self._check_inbox_names()
        sharing = sorted(
            (
                entrypoint
                for entrypoint in self.container.entrypoints
                if isinstance(entrypoint, EventConsumer)
                and entrypoint.queue_name == self.queue_name
            ),
            key=lambda entrypoint: entrypoint.method_name,
        )
        if sharing[0] is not self:  # the first by name consumes the queue and hands over
            self._sharing = [sharing[0]]
            return
        self._sharing = sharing
        self.prefetch_count = max(handler.prefetch_count for handler in sharing)
        self.queue = topology.handler_queue(
            self.container.service_name,
            self.shared_queue or self.method_name,
            sorted({t for handler in sharing for t in handler.event_types}),
        )
        super().setup()

    def _check_inbox_names(self) -> None:
        """The handler's wrapper claims under `<service name>.<function name>` and through `db`:
        both must be this handler's and the service's (checked once, at start, not on each
        event)."""
        service_cls = self.container.service_cls
        if not isinstance(getattr(service_cls, "db", None), DatabaseProvider):
            raise TypeError(
                f"{service_cls.__name__}.{self.method_name}: @consume_event claims events in "
                f"the service's database, declared as `db = DatabaseProvider(...)`"
            )
        handler_name = getattr(service_cls, self.method_name).__name__
        if handler_name != self.method_name:
            raise TypeError(
                f"{service_cls.__name__}.{self.method_name} is the handler {handler_name}: "
                f"its events would be claimed under another name than its own"
            )

    def stop(self):
        waiting, self._waiting = self._waiting, []
        for _envelope, delivery in waiting:  # taken from the queue but not started: back to it
            self._requeue(delivery)
        if self.leads:
            super().stop()

    def handle_message(self, _body, message):
        try:
            raw = json.loads(message.body)
        except ValueError as exc:  # includes bodies that are not UTF-8
            log.error(
                "invalid event on %s, dead-lettered: the body is not JSON: %s", self.queue_name, exc
            )
            self._dead_letter_and_ack(
                message, f"invalid event: the body is not JSON ({exc})", kind="invalid"
            )
            return
        try:
            envelope = parse_envelope(raw)
            handlers = [h for h in self._sharing if envelope["type"] in h.event_types]
            if not handlers:
                raise ContractError(
                    {"type": [f"{self.queue_name} does not consume {envelope['type']}."]}
                )
        except (ValueError, ContractError) as exc:
            log.error("invalid event on %s, dead-lettered: %s", self.queue_name, exc)
            self._dead_letter_and_ack(message, f"invalid event: {exc}", kind="invalid")
            return
        delivery = _Delivery(message, len(handlers))
        for handler in handlers:
            handler.take(envelope, delivery)

    def take(self, envelope: dict, delivery: _Delivery) -> None:
        """Run this handler on one event of its queue (its part of `delivery`)."""
        if self.batch:
            self._waiting.append((envelope, delivery))
            if (
                not self._start_scheduled
            ):  # after the messages already read with this one: one batch
                self._start_scheduled = True
                eventlet.spawn_n(self._start_batches_soon)
            return
        self._spawn(envelope, envelope, partial(self._alone_done, delivery), [delivery])

    def _spawn(self, argument, envelope: dict, handle_result, deliveries) -> None:
        context_data = {
            "correlation_id": envelope["correlation_id"] or envelope["event_id"],
            "event_id": envelope["event_id"],
        }
        if envelope.get("village_id"):
            context_data["village_id"] = envelope["village_id"]
        try:
            self.container.spawn_worker(
                self, (argument,), {}, context_data=context_data, handle_result=handle_result
            )
        except ContainerBeingKilled:
            for delivery in deliveries:
                self._requeue(delivery)

    # --- batches ---------------------------------------------------------------------------------

    def _start_batches_soon(self) -> None:
        if not self._batches_running and len(self._waiting) < self.batch:
            # Nothing runs to hold the events back: the broker pushes the ones behind this one in
            # separate reads when the machine is busy, and each would become a batch of its own.
            eventlet.sleep(self.GATHER_SECONDS)
        self._start_scheduled = False
        self._start_batches()

    def _start_batches(self) -> None:
        while self._waiting and self._batches_running < self.BATCHES_IN_FLIGHT:
            taken, self._waiting = self._waiting[: self.batch], self._waiting[self.batch :]
            self._batches_running += 1
            self._spawn(
                [envelope for envelope, _delivery in taken],
                taken[0][0],
                partial(self._batch_done, taken),
                [delivery for _envelope, delivery in taken],
            )

    def _batch_done(self, taken, worker_ctx, result, exc_info):
        self._batches_running -= 1
        if exc_info is None:
            for _envelope, delivery in taken:
                self._done(delivery, None)
        self._start_batches()  # before a failure's pause below: the waiting events go on meanwhile
        if exc_info is None:
            return result, exc_info
        if len(taken) == 1:
            self._done(taken[0][1], exc_info)
        else:
            log.warning(
                "a batch of %d events failed on %s (%s); each is run again alone",
                len(taken),
                self.queue_name,
                exc_info[1],
            )
            for envelope, delivery in taken:
                self._spawn([envelope], envelope, partial(self._alone_done, delivery), [delivery])
        return result, exc_info

    def _alone_done(self, delivery, worker_ctx, result, exc_info):
        self._done(delivery, exc_info)
        return result, exc_info

    # --- settling a message: acknowledged, requeued or dead-lettered, by the queue's consumer ----

    def _done(self, delivery: _Delivery, exc_info) -> None:
        """This handler is done with its part of `delivery`; the last one settles it."""
        if delivery.exc_info is None:
            delivery.exc_info = exc_info
        delivery.pending -= 1
        if delivery.pending or delivery.settled:
            return
        delivery.settled = True
        self._sharing[0].handle_message_processed(delivery.message, None, delivery.exc_info)

    def _requeue(self, delivery: _Delivery) -> None:
        if not delivery.settled:
            delivery.settled = True
            self.queue_consumer.requeue_message(delivery.message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = int((message.headers or {}).get("x-delivery-count", 0)) + 1
        if attempts >= config.delivery_limit():
            reason = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
            log.error("%s failed %d times, dead-lettered: %s", self.queue_name, attempts, reason)
            self._dead_letter_and_ack(
                message, f"handler failed {attempts} times: {reason}", attempts, kind="failed"
            )
        else:
            delay = min(config.retry_delay() * 2 ** (attempts - 1), 30.0)
            log.warning(
                "%s failed (attempt %d), requeued in %.1fs", self.queue_name, attempts, delay
            )
            metrics.EVENTS_RETRIED.labels(self.queue_name, _type_of(message)).inc()
            eventlet.sleep(delay)  # ride out a short outage (a database restarting) before retrying
            self.queue_consumer.requeue_message(message)

    def _dead_letter_and_ack(self, message, reason: str, attempts: int = 1, *, kind: str):
        try:
            self.queue_consumer.dead_letter(message, self.queue_name, reason, attempts)
        except Exception:  # the broker went away: leave it to redelivery
            log.exception("could not dead-letter a message from %s; requeued", self.queue_name)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        metrics.EVENTS_DEAD_LETTERED.labels(self.queue_name, _type_of(message), kind).inc()


def _type_of(message) -> str:
    """The event type of a message as a metric label: its `type` property (the relay sets it), else
    the envelope's; `unknown` when neither names a known contract."""
    type_ = (message.properties or {}).get("type")
    if type_ is None:
        try:
            type_ = json.loads(message.body).get("type")
        except (ValueError, AttributeError):
            type_ = None
    return metrics.event_type_label(type_)


def claim_and_handle(uow, consumer: str, handle: Callable, event: dict | list[dict]) -> bool:
    """The inbox around a handler: claim `event` (a batch: the list of events) for `consumer` in
    `uow`, call `handle(uow, what is new)` and commit. Returns whether `handle` ran: False for a
    duplicate (a batch: nothing new), which is left alone. When `handle` raises, nothing is
    committed, the claim included, so that the redelivered event is handled again."""
    events = event if isinstance(event, list) else [event]
    if isinstance(event, list):
        new = uow.claim_many(consumer, event)
        handled = new
    elif uow.claim(consumer, event):
        new, handled = event, [event]
    else:
        new, handled = None, []
    if handled:
        handle(uow, new)
        uow.commit()
    _count_consumed(consumer, events, handled)
    return bool(handled)


def _count_consumed(consumer: str, events: list[dict], handled: list[dict]) -> None:
    """Once committed: the handled events as consumed, the others as inbox duplicates."""
    handled_ids = {e["event_id"] for e in handled}
    for envelope in events:
        if envelope["event_id"] in handled_ids:
            handled_ids.discard(envelope["event_id"])  # a batch naming it twice handled it once
            metrics.EVENTS_CONSUMED.labels(consumer, envelope["type"]).inc()
        else:
            metrics.INBOX_DUPLICATES.labels(consumer, envelope["type"]).inc()


def consume_event(*event_types: str, batch: int = 0, queue: str | None = None):
    """`@consume_event("village.opened")` on `def on_village_opened(self, uow, event)`: the method
    consumes its queue and is called once per event, in the unit of work holding the event's claim
    (see the module's docstring; `batch=N`: `(self, uow, events)` with the new events only;
    `queue="events"`: handlers of a service naming the same share the queue `<service>.events`)."""

    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        def consume(service, event):
            consumer = topology.handler_queue_name(service.name, handler.__name__)
            ids = (
                ", ".join(e["event_id"] for e in event)
                if isinstance(event, list)
                else event["event_id"]
            )
            with service.db.unit_of_work() as uow:
                if not claim_and_handle(uow, consumer, partial(handler, service), event):
                    log.info("%s: %s already handled, ignored", consumer, ids)
                    return
            # one line per event handled, as the gateway's access line per request: its context
            # (correlation id, event id, village) comes with it (backbone/logs.py)
            kinds = (
                sorted({e["type"] for e in event}) if isinstance(event, list) else [event["type"]]
            )
            log.info("%s: %s %s handled", consumer, "/".join(kinds), ids)

        return EventConsumer.decorator(*event_types, batch=batch, queue=queue)(consume)

    return decorate
