"""Live figures: the gateway learns that events happened and tells the open
pages (server-sent events).

`LiveEvents` is a nameko DependencyProvider running one kombu consumer (a greenthread of the
gateway) on an exclusive, auto-delete, non-durable queue bound to `maillage.events` for the event
types the figures depend on only (`LIVE_TYPES`, never `#`): a type nobody else subscribes to still
falls to the alternate exchange, i.e. the dead letters. Each event becomes a small "changed" message
(type + village id) handed to the subscribed pages: the coordinator's gets every village's, a
concierge's only their own village's. The page then re-fetches its figures.

The queue exists only while a page listens (issue #30): the first stream opened makes the consumer
declare it, and it is dropped LINGER_SECONDS after the last one closed (a page left for the next one
opens a new stream at once). With no page open, as under a rush of orders through the API, the
gateway hears none of the network's events and the broker delivers them to nobody here. A stream
answers once the queue is bound, so that what happens after the page opened it is heard.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, Full, LightQueue
from kombu import Connection, Consumer, Queue, binding
from nameko.extensions import DependencyProvider

from backbone import config, topology
from backbone.contracts import registry

log = logging.getLogger("maillage.gateway.live")

# event families the coordinator's figures and the concierge's "today" are computed from
LIVE_FAMILIES = (
    "order",
    "parcel",
    "supplier_order",
    "help_request",
    "round",
    "delivery",
    "animation",
    "registration",
    "suggestion",
    "member",
    "volunteer",
    "campaign",
    "funding",
    "offer",
)
STREAM_SECONDS = 300  # a stream ends after this long; EventSource reconnects by itself
HEARTBEAT_SECONDS = 15
LINGER_SECONDS = 60.0  # the queue outlives the last stream this long (a page opening the next one)
BOUND_WAIT_SECONDS = 5.0  # a new stream waits this long at most for the queue to be bound


def live_types() -> list[str]:
    """The registered event types the pages depend on (a fixed list, never a wildcard)."""
    return sorted(t for t in registry.types() if t.split(".", 1)[0] in LIVE_FAMILIES)


class Subscription:
    def __init__(self, village_id: str | None):
        self.village_id = village_id  # None: every village (the coordinator)
        self.queue = LightQueue(maxsize=100)


class Hub:
    """The open pages; `publish` hands a "changed" message to those allowed to see it."""

    def __init__(self):
        self.subscriptions: set[Subscription] = set()
        self.closed = False
        self.received = 0
        self.wanted = Event()  # sent when a page subscribes while the feed is not listening
        self.bound = Event()  # sent once the feed's queue is bound; reset when it is dropped

    def subscribe(self, village_id: str | None) -> Subscription:
        subscription = Subscription(village_id)
        self.subscriptions.add(subscription)
        if not self.wanted.ready():
            self.wanted.send()
        return subscription

    def listening(self) -> None:
        """The feed's queue is bound: the streams waiting for it may start."""
        if not self.bound.ready():
            self.bound.send()

    def not_listening(self) -> None:
        """The feed's queue is going or gone: a stream opened from now on waits for the next one,
        and a page subscribing wakes the feed again. Called again, it changes nothing."""
        if self.bound.ready():
            self.bound = Event()
        if self.wanted.ready():
            self.wanted = Event()
        if self.subscriptions:  # a page came while the queue was being dropped
            self.wanted.send()

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def close(self) -> None:
        """The gateway stops: every open stream ends now (EventSource
        reconnects to the next one)."""
        self.closed = True
        if not self.wanted.ready():
            self.wanted.send()  # the feed waiting for a page wakes up to stop
        if not self.bound.ready():
            self.bound.send()  # and no stream waits for a queue any more
        for subscription in list(self.subscriptions):
            try:
                subscription.queue.put_nowait(None)
            except Full:
                pass

    def publish(self, change: dict) -> None:
        self.received += 1
        for subscription in list(self.subscriptions):
            if subscription.village_id is None or subscription.village_id == change.get(
                "village_id"
            ):
                try:
                    subscription.queue.put_nowait(change)
                except Full:  # a page that does not read: it will re-fetch anyway
                    pass

    def stream(self, village_id: str | None, seconds: float = STREAM_SECONDS):
        """The text/event-stream body for one page."""
        subscription = self.subscribe(village_id)

        def body():
            try:
                with eventlet.Timeout(BOUND_WAIT_SECONDS, False):
                    self.bound.wait()
                yield "retry: 3000\n: connecte\n\n"
                waited = 0.0
                while not self.closed and waited < seconds:
                    try:
                        change = subscription.queue.get(timeout=HEARTBEAT_SECONDS)
                    except Empty:
                        waited += HEARTBEAT_SECONDS
                        yield ": ping\n\n"
                        continue
                    if change is None:
                        break
                    yield f"event: changed\ndata: {json.dumps(change)}\n\n"
            finally:
                self.unsubscribe(subscription)

        return body()


def change_from(body) -> dict | None:
    """The small message a page gets: the event's type and village, nothing personal."""
    try:
        envelope = json.loads(body)
        return {"type": str(envelope["type"]), "village_id": envelope.get("village_id")}
    except (ValueError, KeyError, TypeError):
        return None


def live_queue(types) -> Queue:
    exchange = topology.events_exchange()
    return Queue(
        f"gateway.live.{uuid.uuid4().hex[:12]}",
        bindings=[binding(exchange, routing_key=t) for t in types],
        exclusive=True,
        auto_delete=True,
        durable=False,
    )


class LiveEvents(DependencyProvider):
    """The gateway's live feed: `self.live` is the Hub."""

    def setup(self):
        self.hub = Hub()
        self._running = False

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._consume, identifier="console.live")

    def stop(self):
        self._running = False
        self.hub.close()

    def kill(self):
        self.stop()

    def _consume(self):
        uri = self.container.config.get("AMQP_URI") or config.amqp_uri()
        types = live_types()
        while self._running:
            self.hub.wanted.wait()  # a page opened a stream (or the gateway stops)
            if not self._running:
                return
            try:
                self._listen(uri, types)
            except Exception:  # noqa: BLE001  the broker went away: try again shortly
                if self._running:
                    log.warning("live feed lost its broker connection; retrying", exc_info=True)
                    eventlet.sleep(2)
            finally:
                self.hub.not_listening()

    def _listen(self, uri: str, types: list[str]) -> None:
        """Consume while pages listen, and LINGER_SECONDS after the last one left."""
        with Connection(uri, heartbeat=0) as connection:
            queue = live_queue(types)
            topology.declare_kombu(connection)

            def on_message(message):
                change = change_from(message.body)
                if change:
                    self.hub.publish(change)

            with Consumer(connection, queues=[queue], on_message=on_message, no_ack=True):
                self.hub.listening()
                alone_since = None
                while self._running:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        pass
                    if self.hub.subscriptions:
                        alone_since = None
                    elif alone_since is None:
                        alone_since = time.monotonic()
                    elif time.monotonic() - alone_since >= LINGER_SECONDS:
                        # before the connection closes (the exclusive queue goes with it): a
                        # stream opened meanwhile waits for the next queue, not this one
                        self.hub.not_listening()
                        return

    def get_dependency(self, worker_ctx):
        return self.hub
