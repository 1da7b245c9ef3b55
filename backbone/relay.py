"""The outbox relay: publishes a service's pending outbox rows to RabbitMQ.

- pika's asynchronous connection with publisher confirms; rows are marked published only once
  the broker confirmed them (batched, `multiple` acks), so a crash anywhere re-sends, never loses;
  the marking runs in a thread of its own (`PublishedMarker`), so publishing never waits
  for that UPDATE;
- rows go out in outbox order on one channel; in a service's own process (`OUTBOX_RELAY:
  in-process`) the workers hand over the rows they just committed (`nudge`), which go out as they
  are, without being read back, while nothing else waits; the poll remains the safety net and the
  way for rows written elsewhere (another replica, the command line) and for a backlog. Consumers
  never rely on the order of events (they keep the newest by `occurred_at`, and replicas consume in
  parallel);
- a poll that finds nothing doubles the wait before the next one, up to `IDLE_POLL_INTERVAL` (1 s):
  a relay at rest reads its outbox about once a second, not ten times; a row found or handed over
  brings the wait back to `poll_interval`. After a quiet time, a row no worker hands over (another
  replica's, the command line's; every row when relays run as processes of their own) waits up to
  that second;
- while the broker is away it retries with exponential backoff (0.5 s to 30 s) and says how many
  events wait; writes go on meanwhile, they only fill the outbox;
- events the broker refuses (a full queue) stay pending and are re-sent after a pause; a database
  that does not answer is retried, the relay does not die;
- on PostgreSQL a session advisory lock keeps one active relay per service database (a second
  replica stands by, and takes over if the first dies or loses its database connection), which is
  what keeps the order.

`OutboxRelay` runs the connection and decides what goes out when; its parts, each usable alone:
`OutboxReader`, `HandedRows` and `PublishedMarker` (backbone/relay_outbox.py: reading the outbox,
rows handed over after commit, marking), `ConfirmedPublisher` (backbone/relay_publisher.py: the
channel and its confirms) and the lock (backbone/relay_lock.py).

Run it with `maillage relay SERVICE` (one process per service, as compose does), or several
services' relays in one process, a thread each (`maillage relay members partners orders events`: the
compact shape of a small machine, `run_relays`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import pika
from sqlalchemy.exc import SQLAlchemyError

from backbone import config, failpoints, logs, metrics, operations, topology
from backbone.db import make_engine
from backbone.relay_lock import single_active_relay
from backbone.relay_outbox import HandedRows, OutboxReader, PublishedMarker
from backbone.relay_publisher import ConfirmedPublisher

log = logging.getLogger("maillage.relay")

LOCK_CHECK_INTERVAL = 5.0  # seconds between checks that this relay still holds its lock
REFUSED_PAUSE = 1.0  # seconds to wait after the broker refused events
DATABASE_RETRY = 2.0  # seconds to wait when the database does not answer
IDLE_POLL_INTERVAL = (
    1.0  # seconds: the longest wait between two polls, reached by polls that find nothing
)


class OutboxRelay:
    def __init__(
        self,
        service: str,
        *,
        database_url: str | None = None,
        amqp_uri: str | None = None,
        batch_size: int = 500,
        max_in_flight: int = 2000,
        poll_interval: float = 0.1,
    ):
        self.service = service
        self.engine = make_engine(database_url or config.database_url(service))
        self.amqp_uri = amqp_uri or config.amqp_uri()
        # a cluster's nodes (AMQP_URI lists them): each new connection goes to the next one, so a
        # node that stops leaves the relay on another at its first retry
        self._nodes = config.amqp_urls(self.amqp_uri)
        self._node = 0
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        self._stopping = False
        # starting, standby (waiting for the lock another replica holds), connecting (to the
        # broker) or publishing: what its readiness reads
        self.state = "starting"
        self._lock = None
        self._lock_checked_at = 0.0
        self._paused_until = 0.0
        self._backoff = 0.5
        self._connection = None
        self._channel = None
        self._reader = OutboxReader(self.engine)
        self._handed = HandedRows()
        self._marker = PublishedMarker(self.engine, service)
        self._reset_flight()

    # --- lifecycle -------------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> None:
        logs.bind(service=f"{self.service} relay")  # this thread's (green thread's) log lines
        if handle_signals:  # only the main thread may; `run_relays` handles them for its threads
            signal.signal(signal.SIGTERM, lambda *_: self.stop())
            signal.signal(signal.SIGINT, lambda *_: self.stop())
        self._marker.start()
        try:
            while not self._stopping:
                # waits while another relay is active
                self.state = "starting"
                with single_active_relay(
                    self.engine,
                    self.service,
                    stopping=lambda: self._stopping,
                    sleep=self._stand_by,
                ) as lock:
                    self._lock = lock
                    self.state = "connecting"
                    while not self._stopping and lock.held():
                        self._publish_until_disconnected()
        finally:
            self._marker.stop()  # marks what the broker confirmed before going
            self.engine.dispose()

    def _publish_until_disconnected(self) -> None:
        node = self._nodes[self._node % len(self._nodes)]
        self._connection = _OneWritePerMessage(
            pika.URLParameters(node),
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_error,
            on_close_callback=self._on_connection_closed,
        )
        self._connection.ioloop.start()
        self._node += 1  # the next connection goes to the next node, if there are several
        if not self._stopping:
            log.warning(
                "%s relay: broker unreachable at %s; %s events waiting; retrying in %.1fs",
                self.service,
                _safe(node),
                self._pending_or_unknown(),
                self._backoff,
            )
            self._sleep(self._backoff)
            self._backoff = min(self._backoff * 2, 30.0)

    def stop(self) -> None:
        self._stopping = True
        if self._connection is not None and self._connection.is_open:
            self._connection.ioloop.add_callback_threadsafe(self._connection.close)
        elif self._connection is not None:
            self._connection.ioloop.add_callback_threadsafe(self._connection.ioloop.stop)

    def _pending_or_unknown(self):
        try:
            return self.pending_count()
        except SQLAlchemyError:
            return "unknown (database unreachable)"

    def pending_count(self) -> int:
        return self._reader.pending_count()

    def not_ready(self) -> str | None:
        """None when it can do its work (publishing, or standing by behind another replica's
        lock), else why not: the broker it cannot reach, or its database."""
        if self.state == "starting":
            return "starting"
        if self.state == "connecting":
            return "broker: not connected (retrying)"
        try:
            metrics.ping(self.engine)
        except Exception as exc:  # noqa: BLE001  any failure: the database cannot serve
            return f"database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        return None

    # --- connection ------------------------------------------------------------------------

    def _on_connection_open(self, connection):
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, connection, error):
        log.debug("connection failed: %s", error)
        connection.ioloop.stop()

    def _on_connection_closed(self, connection, reason):
        self._channel = None
        self.state = "connecting"
        self._reset_flight()
        if not self._stopping:
            log.warning("%s relay: connection closed: %s", self.service, reason)
        connection.ioloop.stop()

    def _on_channel_open(self, channel):
        self._channel = channel
        self._publisher = ConfirmedPublisher(channel, self.service)
        channel.add_on_close_callback(self._on_channel_closed)
        topology.declare_pika_async(channel, on_done=self._on_topology_ready)

    def _on_topology_ready(self):
        self._channel.confirm_delivery(
            ack_nack_callback=self._on_confirm, callback=lambda _frame: self._start_publishing()
        )

    def _start_publishing(self):
        self._backoff = 0.5
        self.state = "publishing"
        log.info(
            "%s relay: publishing to %s",
            self.service,
            _safe(self._nodes[self._node % len(self._nodes)]),
        )
        self._schedule_poll(0)

    def _on_channel_closed(self, channel, reason):
        if not self._stopping:
            log.warning("%s relay: channel closed: %s", self.service, reason)
        self._channel = None
        if self._connection.is_open:
            self._connection.close()

    # --- publishing ------------------------------------------------------------------------

    def _reset_flight(self):
        """A new connection starts afresh: nothing in flight, the outbox read from its start, what
        workers handed over left to the poll."""
        self._publisher: ConfirmedPublisher | None = None
        self._reader.rewind()
        self._handed.clear()
        self._poll_scheduled = False
        self._poll_timer = None
        self._wait = self.poll_interval  # until the next poll: doubled by each poll finding nothing
        self._nudged = False
        self._backlog = True  # the last SELECT found more than one batch: rely on it
        self._selected_at = 0.0  # monotonic time of the last SELECT

    def _schedule_poll(self, delay: float):
        if not self._poll_scheduled and self._connection is not None:
            self._poll_scheduled = True
            self._poll_timer = self._connection.ioloop.call_later(delay, self._poll)

    def nudge(self, rows: list[tuple] | None = None) -> None:
        """Publish now rather than at the next poll: a worker of the same process calls it right
        after committing events (`OUTBOX_RELAY: in-process`), with the rows it committed (`id,
        event_id, type, village_id, body`), so an event neither waits up to `poll_interval` for its
        turn nor is read back from the database. Rows handed while the relay is not publishing are
        left to the poll. The only method other threads may call, with `stop`."""
        connection = self._connection
        if connection is None or self._channel is None:
            return
        if rows and not self._handed.hand(rows):
            self._backlog = (
                True  # the broker holds us back (no confirms): the SELECT will find them
            )
        if not self._nudged:
            self._nudged = True
            connection.ioloop.add_callback_threadsafe(self._poll_now)

    def _poll_now(self):
        self._nudged = False
        if (
            self._poll_timer is not None and self._connection is not None
        ):  # a poll waits its turn: now
            self._connection.ioloop.remove_timeout(self._poll_timer)
            self._poll_scheduled = False
            self._poll()
        # no poll waiting: one is running, or the window of unconfirmed messages is full and the
        # confirms will poll again

    def _poll(self):
        self._poll_scheduled = False
        self._poll_timer = None
        if self._stopping or self._channel is None or not self._channel.is_open:
            return
        now = time.monotonic()
        if now - self._lock_checked_at > LOCK_CHECK_INTERVAL:
            self._lock_checked_at = now
            if not self._lock.held():
                self._connection.close()  # stop publishing: another relay may take over
                return
        if now < self._paused_until:
            self._schedule_poll(self._paused_until - now)
            return
        try:
            self._publish_pending()
        except SQLAlchemyError as exc:
            log.warning(
                "%s relay: database unavailable (%s); retrying in %.0fs",
                self.service,
                type(exc).__name__,
                DATABASE_RETRY,
            )
            self._schedule_poll(DATABASE_RETRY)

    def _publish_pending(self):
        publisher = self._publisher
        room = self.max_in_flight - publisher.in_flight
        if room <= 0:
            return  # confirms will call us again
        if (
            self._handed
            and not self._backlog
            and time.monotonic() - self._selected_at < self.poll_interval
        ):
            self._publish_handed(room)
            self._wait = self.poll_interval
            self._schedule_poll(0 if self._handed else self._wait)
            return
        # a backlog, or the poll's turn (rows written elsewhere): the SELECT
        # finds the handed rows too
        self._handed.clear()
        self._selected_at = time.monotonic()
        limit = min(self.batch_size, room)
        if publisher.only_handed_in_flight():
            self._reader.rewind()
        # before the SELECT: a mark committed after it is in here; handed rows in flight are not
        # below the cursor
        found, full = self._reader.read(
            limit, self._marker.unmarked() | publisher.handed_in_flight()
        )
        self._backlog = full
        for row in found:
            publisher.publish(row.id, row.event_id, row.type, row.village_id, row.body)
            self._reader.advance_to(row.id)
        self._wait = (
            self.poll_interval
            if found or publisher.in_flight
            else min(self._wait * 2, max(IDLE_POLL_INTERVAL, self.poll_interval))
        )
        self._schedule_poll(0 if full else self._wait)

    def _publish_handed(self, room: int):
        """The rows workers handed over, up to `room`, but those already sent on this connection
        (found by a poll between their commit and their handing over; what was handed before a
        reconnection is dropped with the flight, for the poll)."""
        for row in self._handed.take(room):
            if not self._publisher.sent_lately(row[0]):
                self._publisher.publish(*row, handed=True)

    def _on_confirm(self, frame):
        method = frame.method
        row_ids = self._publisher.settle(method)
        if isinstance(method, pika.spec.Basic.Nack):
            # a queue refused them (full, or unavailable): they stay pending and go out again once
            # nothing is in flight; pause a little rather than hammer the broker
            log.error(
                "%s relay: broker refused %d events; they stay pending and will be re-sent",
                self.service,
                len(row_ids),
            )
            self._paused_until = time.monotonic() + REFUSED_PAUSE
            self._schedule_poll(REFUSED_PAUSE)
            return
        failpoints.hit("relay.after_confirm")
        self._marker.add(row_ids)
        # a backlog, or handed rows waiting for room: at once; else the poll's turn is soon enough
        self._schedule_poll(0 if self._backlog or self._handed else self._wait)

    # --- helpers ---------------------------------------------------------------------------

    def _stand_by(self, seconds: float):
        """The lock's pause while another replica's relay holds it (or its database is away)."""
        self.state = "standby"
        self._sleep(seconds)

    def _sleep(self, seconds: float):
        end = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < end:
            time.sleep(0.1)


class _OneWritePerMessage(pika.SelectConnection):
    """pika writes each frame of a message (method, header, body) with a send() of its own; joined,
    a message is one send(): a third of the system calls, the most expensive part of publishing on a
    loopback connection."""

    def _output_marshaled_frames(self, marshaled_frames):
        super()._output_marshaled_frames([b"".join(marshaled_frames)])


def run_relays(services: list[str]) -> int:
    """The relays of `services` in this process, one thread each, until SIGTERM/SIGINT. A relay that
    dies stops the others and the process exits with 1, so whoever supervises it restarts it
    (never a process where one service's events silently stopped flowing)."""
    relays = [OutboxRelay(service) for service in services]
    for relay in relays:  # /livez, /readyz, /metrics when MAILLAGE_OPS_PORT is set
        operations.attach(f"{relay.service}-relay", relay.not_ready)
        metrics.register_database(relay.service, relay.engine)
    try:
        return _run(relays)
    finally:
        for relay in relays:
            metrics.unregister_database(relay.service, relay.engine)
            operations.detach(f"{relay.service}-relay")


def _run(relays: list[OutboxRelay]) -> int:
    if len(relays) == 1:
        relays[0].run()
        return 0
    failed = []

    def stop(*_):
        for relay in relays:
            relay.stop()

    def run_one(relay):
        try:
            relay.run(handle_signals=False)
        except Exception:  # noqa: BLE001  reported, then the whole process goes down
            log.exception("%s relay died", relay.service)
            failed.append(relay.service)
            stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = [
        threading.Thread(target=run_one, args=(relay,), name=f"{relay.service}-relay", daemon=True)
        for relay in relays
    ]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)
    return 1 if failed else 0


def _safe(uri: str) -> str:
    return pika.URLParameters(uri).host + ":" + str(pika.URLParameters(uri).port)
