"""The outbox relay: publishes a service's pending outbox rows to RabbitMQ.

- pika's asynchronous connection with publisher confirms; rows are marked published only once
  the broker confirmed them (batched, `multiple` acks), so a crash anywhere re-sends, never loses;
  the marking runs in a thread of its own (`_Marker`), so publishing never waits for that UPDATE;
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

Run it with `maillage relay SERVICE` (one process per service, as compose does), or several services'
relays in one process, a thread each (`maillage relay members partners orders events`: the
compact shape of a small machine, `run_relays`).
"""
from __future__ import annotations

import logging
import signal
import threading
import time
import zlib
from collections import deque
from datetime import datetime, timezone

import pika
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from backbone import config, failpoints, topology
from backbone.db import make_engine
from backbone.tables import OutboxEvent

log = logging.getLogger("maillage.relay")

LOCK_CHECK_INTERVAL = 5.0   # seconds between checks that this relay still holds its lock
REFUSED_PAUSE = 1.0         # seconds to wait after the broker refused events
DATABASE_RETRY = 2.0        # seconds to wait when the database does not answer
RECENT_IDS = 20_000         # ids published on a connection remembered, so a handed row is not sent twice
MARK_GATHER = 0.05          # seconds the marker gathers confirms before marking them in one transaction
MAX_HANDED = 5_000          # commits' rows waiting in memory for the relay, beyond which the poll finds them
IDLE_POLL_INTERVAL = 1.0    # seconds: the longest wait between two polls, reached by polls that find nothing


class OutboxRelay:
    def __init__(self, service: str, *, database_url: str | None = None, amqp_uri: str | None = None,
                 batch_size: int = 500, max_in_flight: int = 2000, poll_interval: float = 0.1):
        self.service = service
        self.engine = make_engine(database_url or config.database_url(service))
        self.amqp_uri = amqp_uri or config.amqp_uri()
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        self._stopping = False
        self._lock = None
        self._lock_checked_at = 0.0
        self._paused_until = 0.0
        self._backoff = 0.5
        self._connection = None
        self._channel = None
        self._marker = _Marker(self.engine, service)
        self._reset_flight()

    # --- lifecycle -------------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> None:
        if handle_signals:  # only the main thread may; `run_relays` handles them for its threads
            signal.signal(signal.SIGTERM, lambda *_: self.stop())
            signal.signal(signal.SIGINT, lambda *_: self.stop())
        self._marker.start()
        try:
            while not self._stopping:
                with self._single_active_relay() as lock:  # waits while another relay is active
                    self._lock = lock
                    while not self._stopping and lock.held():
                        self._publish_until_disconnected()
        finally:
            self._marker.stop()  # marks what the broker confirmed before going
            self.engine.dispose()

    def _publish_until_disconnected(self) -> None:
        self._connection = _OneWritePerMessage(
            pika.URLParameters(self.amqp_uri),
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_error,
            on_close_callback=self._on_connection_closed,
        )
        self._connection.ioloop.start()
        if not self._stopping:
            log.warning("%s relay: broker unreachable at %s; %s events waiting; retrying in %.1fs",
                        self.service, _safe(self.amqp_uri), self._pending_or_unknown(), self._backoff)
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
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(OutboxEvent)
                                .where(OutboxEvent.published_at.is_(None))).scalar_one()

    # --- connection ------------------------------------------------------------------------

    def _on_connection_open(self, connection):
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_error(self, connection, error):
        log.debug("connection failed: %s", error)
        connection.ioloop.stop()

    def _on_connection_closed(self, connection, reason):
        self._channel = None
        self._reset_flight()
        if not self._stopping:
            log.warning("%s relay: connection closed: %s", self.service, reason)
        connection.ioloop.stop()

    def _on_channel_open(self, channel):
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        topology.declare_pika_async(channel, on_done=self._on_topology_ready)

    def _on_topology_ready(self):
        self._channel.confirm_delivery(ack_nack_callback=self._on_confirm,
                                       callback=lambda _frame: self._start_publishing())

    def _start_publishing(self):
        self._backoff = 0.5
        log.info("%s relay: publishing to %s", self.service, _safe(self.amqp_uri))
        self._schedule_poll(0)

    def _on_channel_closed(self, channel, reason):
        if not self._stopping:
            log.warning("%s relay: channel closed: %s", self.service, reason)
        self._channel = None
        if self._connection.is_open:
            self._connection.close()

    # --- publishing ------------------------------------------------------------------------

    def _reset_flight(self):
        self._in_flight: dict[int, int] = {}   # delivery tag -> outbox row id
        self._delivery_tag = 0
        self._cursor = 0                       # highest outbox id selected and handed to the broker
        self._poll_scheduled = False
        self._poll_timer = None
        self._wait = self.poll_interval        # until the next poll: doubled by each poll finding nothing
        self._nudged = False
        self._handed: deque[list[tuple]] = deque()  # rows workers committed, not yet published (nudge)
        self._handed_in_flight: set[int] = set()  # ids of handed rows sent and not yet confirmed
        self._backlog = True                   # the last SELECT found more than one batch: rely on it
        self._selected_at = 0.0                # monotonic time of the last SELECT
        self._recent: deque[int] = deque(maxlen=RECENT_IDS)  # ids published on this connection
        self._recent_ids: set[int] = set()

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
        if rows and len(self._handed) < MAX_HANDED:
            self._handed.append(rows)
        elif rows:  # the broker holds us back (no confirms): the SELECT will find them, memory stays flat
            self._backlog = True
        if not self._nudged:
            self._nudged = True
            connection.ioloop.add_callback_threadsafe(self._poll_now)

    def _poll_now(self):
        self._nudged = False
        if self._poll_timer is not None and self._connection is not None:  # a poll waits its turn: now
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
            log.warning("%s relay: database unavailable (%s); retrying in %.0fs", self.service,
                        type(exc).__name__, DATABASE_RETRY)
            self._schedule_poll(DATABASE_RETRY)

    def _publish_pending(self):
        room = self.max_in_flight - len(self._in_flight)
        if room <= 0:
            return  # confirms will call us again
        if self._handed and not self._backlog and time.monotonic() - self._selected_at < self.poll_interval:
            self._publish_handed(room)
            self._wait = self.poll_interval
            self._schedule_poll(0 if self._handed else self._wait)
            return
        # a backlog, or the poll's turn (rows written elsewhere): the SELECT finds the handed rows too
        self._handed.clear()
        self._selected_at = time.monotonic()
        limit = min(self.batch_size, room)
        if len(self._in_flight) == len(self._handed_in_flight):
            # every selected row sent is confirmed: scan from the start again, or a row that
            # committed after a row with a larger id (concurrent writers, PostgreSQL sequences)
            # would stay below the cursor and never be published
            self._cursor = 0
        # before the SELECT: a mark committed after it is in here; handed rows in flight are not
        # below the cursor
        confirmed = self._marker.unmarked() | self._handed_in_flight
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(OutboxEvent.id, OutboxEvent.event_id, OutboxEvent.type, OutboxEvent.village_id,
                       OutboxEvent.body)
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.id > self._cursor)
                .order_by(OutboxEvent.id).limit(limit + len(confirmed))
            ).all()
        full = len(rows) == limit + len(confirmed)
        self._backlog = full
        found = [row for row in rows if row.id not in confirmed][:limit]
        for row in found:
            self._publish(row.id, row.event_id, row.type, row.village_id, row.body)
            self._cursor = row.id
        self._wait = self.poll_interval if found or self._in_flight else \
            min(self._wait * 2, max(IDLE_POLL_INTERVAL, self.poll_interval))
        self._schedule_poll(0 if full else self._wait)

    def _publish_handed(self, room: int):
        """The rows workers handed over, up to `room`, but those already sent on this connection
        (found by a poll between their commit and their handing over; what was handed before a
        reconnection is dropped with the flight, for the poll)."""
        rows = []
        while self._handed and len(rows) < room:
            rows.extend(self._handed.popleft())
        if len(rows) > room:
            self._handed.appendleft(rows[room:])
            rows = rows[:room]
        for row in sorted(rows):
            if row[0] not in self._recent_ids:
                self._publish(*row)
                self._handed_in_flight.add(row[0])

    def _publish(self, row_id: int, event_id: str, type_: str, village_id: str | None, body: str):
        failpoints.hit("relay.before_publish")
        self._channel.basic_publish(
            config.EVENTS_EXCHANGE, type_, body.encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=event_id,
                                 type=type_, headers={"village_id": village_id, "source": self.service}),
        )
        self._delivery_tag += 1
        self._in_flight[self._delivery_tag] = row_id
        if len(self._recent) == self._recent.maxlen:
            self._recent_ids.discard(self._recent[0])
        self._recent.append(row_id)
        self._recent_ids.add(row_id)

    def _on_confirm(self, frame):
        method = frame.method
        tag = method.delivery_tag
        tags = [t for t in self._in_flight if t <= tag] if method.multiple else [tag]
        row_ids = [self._in_flight.pop(t) for t in tags if t in self._in_flight]
        self._handed_in_flight.difference_update(row_ids)
        if isinstance(method, pika.spec.Basic.Nack):
            # a queue refused them (full, or unavailable): they stay pending and go out again once
            # nothing is in flight; pause a little rather than hammer the broker
            log.error("%s relay: broker refused %d events; they stay pending and will be re-sent",
                      self.service, len(row_ids))
            self._paused_until = time.monotonic() + REFUSED_PAUSE
            self._schedule_poll(REFUSED_PAUSE)
            return
        failpoints.hit("relay.after_confirm")
        self._marker.add(row_ids)
        # a backlog, or handed rows waiting for room: at once; else the poll's turn is soon enough
        self._schedule_poll(0 if self._backlog or self._handed else self._wait)

    # --- helpers ---------------------------------------------------------------------------

    def _sleep(self, seconds: float):
        end = time.monotonic() + seconds
        while not self._stopping and time.monotonic() < end:
            time.sleep(0.1)

    def _single_active_relay(self):
        return _AdvisoryLock(self.engine, self.service, self) if self.engine.dialect.name == "postgresql" \
            else _NoLock()


class _OneWritePerMessage(pika.SelectConnection):
    """pika writes each frame of a message (method, header, body) with a send() of its own; joined,
    a message is one send(): a third of the system calls, the most expensive part of publishing on a
    loopback connection."""

    def _output_marshaled_frames(self, marshaled_frames):
        super()._output_marshaled_frames([b"".join(marshaled_frames)])


class _Marker:
    """Marks the rows the broker confirmed as published, in a thread of its own (a green thread in
    a nameko process): the publishing loop hands it their ids and goes on at once, instead of
    waiting for an UPDATE and a commit at every confirm. The ids handed over and not yet marked are
    `unmarked()`: the loop does not select them again meanwhile. A mark that fails leaves them
    pending: they are sent again later, and the consumers' inboxes absorb the copy."""

    def __init__(self, engine, service: str):
        self.engine, self.service = engine, service
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._waiting: list[int] = []
        self._unmarked: set[int] = set()
        self._stopping = False
        self._thread = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"{self.service}-relay-marker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Marks what was handed over, then ends."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def add(self, row_ids: list[int]) -> None:
        with self._lock:
            self._waiting.extend(row_ids)
            self._unmarked.update(row_ids)
        self._wake.set()

    def unmarked(self) -> set[int]:
        with self._lock:
            return set(self._unmarked)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if not self._stopping:  # gather the confirms of a moment: one UPDATE for them, not one each
                time.sleep(MARK_GATHER)
            self._wake.clear()
            with self._lock:
                row_ids, self._waiting = self._waiting, []
            if row_ids:
                try:
                    self._mark_published(row_ids)
                except SQLAlchemyError as exc:
                    log.warning("%s relay: could not mark %d events published (%s); they will be re-sent",
                                self.service, len(row_ids), type(exc).__name__)
                except Exception:  # noqa: BLE001  never a dead marker: the rows stay pending, re-sent
                    log.exception("%s relay: could not mark %d events published; they will be re-sent",
                                  self.service, len(row_ids))
                with self._lock:
                    self._unmarked.difference_update(row_ids)
            if self._stopping and not self._waiting:
                return

    def _mark_published(self, row_ids: list[int]) -> None:
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # a mark lost in a crash only sends the rows again
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            for start in range(0, len(row_ids), 500):
                conn.execute(update(OutboxEvent).where(OutboxEvent.id.in_(row_ids[start:start + 500]))
                             .values(published_at=now))


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def held(self) -> bool:
        return True


class _AdvisoryLock:
    """A PostgreSQL session advisory lock held on its own connection: one active relay per database."""

    def __init__(self, engine, service, relay):
        self.engine, self.key, self.relay = engine, zlib.crc32(f"outbox-relay:{service}".encode()), relay
        self.conn = None

    def __enter__(self):
        while not self.relay._stopping:
            try:
                self.conn = self.engine.connect()
                if self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
                    self.conn.commit()
                    return self
                self.conn.rollback()
                log.info("another relay is active for this database; standing by")
            except SQLAlchemyError as exc:
                log.warning("cannot take the relay lock (%s); retrying", type(exc).__name__)
            self._close()
            self.relay._sleep(5)
        return self

    def held(self) -> bool:
        """False once the lock's connection is gone (the database restarted): the lock went with it."""
        if self.conn is None:
            return False
        try:
            self.conn.execute(text("SELECT 1"))
            self.conn.commit()
            return True
        except SQLAlchemyError:
            log.error("lost the relay lock (its database connection dropped); publishing stops until "
                      "the lock is taken again")
            return False

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except SQLAlchemyError:
                pass
            self.conn = None


def run_relays(services: list[str]) -> int:
    """The relays of `services` in this process, one thread each, until SIGTERM/SIGINT. A relay that
    dies stops the others and the process exits with 1, so whoever supervises it restarts it
    (never a process where one service's events silently stopped flowing)."""
    relays = [OutboxRelay(service) for service in services]
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
    threads = [threading.Thread(target=run_one, args=(relay,), name=f"{relay.service}-relay", daemon=True)
               for relay in relays]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)
    return 1 if failed else 0


def _safe(uri: str) -> str:
    return pika.URLParameters(uri).host + ":" + str(pika.URLParameters(uri).port)
