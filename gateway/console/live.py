"""Live figures: the gateway learns that events happened and tells the open
pages (server-sent events).

`LiveEvents` is a nameko DependencyProvider running one kombu consumer (a greenthread of the
gateway) on an exclusive, auto-delete, non-durable queue bound to `maillage.events` for the event
types the figures depend on only (`LIVE_TYPES`, never `#`): a type nobody else subscribes to still
falls to the alternate exchange, i.e. the dead letters. Each event becomes a small "changed" message
(type + village id) handed to the subscribed pages: the coordinator's gets every village's, a
concierge's only their own village's. The page then re-fetches its figures.
"""

from __future__ import annotations

import json
import logging
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

    def subscribe(self, village_id: str | None) -> Subscription:
        subscription = Subscription(village_id)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def close(self) -> None:
        """The gateway stops: every open stream ends now (EventSource
        reconnects to the next one)."""
        self.closed = True
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
        self.ready = Event()
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
            try:
                with Connection(uri, heartbeat=0) as connection:
                    queue = live_queue(types)
                    topology.declare_kombu(connection)

                    def on_message(message):
                        change = change_from(message.body)
                        if change:
                            self.hub.publish(change)

                    with Consumer(connection, queues=[queue], on_message=on_message, no_ack=True):
                        if not self.ready.ready():
                            self.ready.send(queue.name)
                        while self._running:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                continue
            except Exception:  # noqa: BLE001  the broker went away: try again shortly
                if self._running:
                    log.warning("live feed lost its broker connection; retrying", exc_info=True)
                    eventlet.sleep(2)

    def get_dependency(self, worker_ctx):
        return self.hub
