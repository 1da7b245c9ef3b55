"""The outbox side of the relay (backbone/relay.py): the pending rows it reads, the rows workers
hand it right after their commit, and the marking of the rows the broker confirmed."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from backbone.tables import OutboxEvent

log = logging.getLogger("maillage.relay")

MARK_GATHER = 0.05  # seconds the marker gathers confirms before marking them in one transaction
MAX_HANDED = (
    5_000  # commits' rows waiting in memory for the relay, beyond which the poll finds them
)


class OutboxReader:
    """Pending rows in outbox order, read from a cursor (the highest id handed to the broker) so
    that a poll does not read again what is in flight."""

    def __init__(self, engine):
        self.engine = engine
        self.cursor = 0

    def rewind(self) -> None:
        """Read from the start again: a row that committed after a row with a larger id
        (concurrent writers, PostgreSQL sequences) would otherwise stay below the cursor."""
        self.cursor = 0

    def advance_to(self, row_id: int) -> None:
        self.cursor = row_id

    def read(self, limit: int, skip: set[int]) -> tuple[list, bool]:
        """Up to `limit` pending rows above the cursor (id, event_id, type, village_id, body), but
        those of `skip` (sent or confirmed, not marked yet); and whether more were left behind."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    OutboxEvent.id,
                    OutboxEvent.event_id,
                    OutboxEvent.type,
                    OutboxEvent.village_id,
                    OutboxEvent.body,
                )
                .where(OutboxEvent.published_at.is_(None), OutboxEvent.id > self.cursor)
                .order_by(OutboxEvent.id)
                .limit(limit + len(skip))
            ).all()
        full = len(rows) == limit + len(skip)
        return [row for row in rows if row.id not in skip][:limit], full

    def pending_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            ).scalar_one()


class HandedRows:
    """The rows workers committed and handed over (`OutboxRelay.nudge`, from their threads), to be
    published without being read back; bounded, beyond which the poll finds them."""

    def __init__(self, limit: int = MAX_HANDED):
        self._commits: deque[list[tuple]] = deque()
        self._limit = limit

    def hand(self, rows: list[tuple]) -> bool:
        """False when full: the rows are left to the poll."""
        if len(self._commits) >= self._limit:
            return False
        self._commits.append(rows)
        return True

    def take(self, room: int) -> list[tuple]:
        """Up to `room` rows, in outbox order; the rest stays for the next turn."""
        rows: list[tuple] = []
        while self._commits and len(rows) < room:
            rows.extend(self._commits.popleft())
        if len(rows) > room:
            self._commits.appendleft(rows[room:])
            rows = rows[:room]
        return sorted(rows)

    def clear(self) -> None:
        self._commits.clear()

    def __bool__(self) -> bool:
        return bool(self._commits)


class PublishedMarker:
    """Marks the rows the broker confirmed as published, in a thread of its own (a green thread in
    a nameko process): the publishing loop hands it their ids and goes on at once, instead of
    waiting for an UPDATE and a commit at every confirm. The ids handed over and not yet marked are
    `unmarked()`: the loop does not select them again meanwhile. A mark that fails leaves them
    pending: they are sent again later, and the consumers' inboxes absorb the copy."""

    def __init__(self, engine, service: str, *, gather: float = MARK_GATHER):
        self.engine, self.service, self._gather = engine, service, gather
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._waiting: list[int] = []
        self._unmarked: set[int] = set()
        self._stopping = False
        self._thread = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name=f"{self.service}-relay-marker", daemon=True
        )
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
            if (
                not self._stopping
            ):  # gather the confirms of a moment: one UPDATE for them, not one each
                time.sleep(self._gather)
            self._wake.clear()
            with self._lock:
                row_ids, self._waiting = self._waiting, []
            if row_ids:
                try:
                    self._mark_published(row_ids)
                except SQLAlchemyError as exc:
                    log.warning(
                        "%s relay: could not mark %d events published (%s); they will be re-sent",
                        self.service,
                        len(row_ids),
                        type(exc).__name__,
                    )
                except Exception:  # noqa: BLE001  never a dead marker: the rows stay pending, re-sent
                    log.exception(
                        "%s relay: could not mark %d events published; they will be re-sent",
                        self.service,
                        len(row_ids),
                    )
                with self._lock:
                    self._unmarked.difference_update(row_ids)
            if self._stopping and not self._waiting:
                return

    def _mark_published(self, row_ids: list[int]) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if (
                conn.dialect.name == "postgresql"
            ):  # a mark lost in a crash only sends the rows again
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            for start in range(0, len(row_ids), 500):
                conn.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(row_ids[start : start + 500]))
                    .values(published_at=now)
                )
