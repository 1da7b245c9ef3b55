"""One active outbox relay per service database (backbone/relay.py): on PostgreSQL a session
advisory lock held on a connection of its own; a second replica's relay stands by and takes over
when the first dies or loses its database connection. SQLite has one process per database file:
no lock (`NoLock`)."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("maillage.relay")

STANDBY_RETRY = 5.0  # seconds between two attempts of a relay standing by


class AdvisoryLock:
    """`with AdvisoryLock(...) as lock:` waits until it holds the service's lock (or `stopping()`
    says to give up), and releases it at the end; `held()` tells whether it still does."""

    def __init__(
        self,
        engine,
        service: str,
        *,
        stopping: Callable[[], bool],
        sleep: Callable[[float], None],
        retry: float = STANDBY_RETRY,
    ):
        self.engine = engine
        self.key = zlib.crc32(f"outbox-relay:{service}".encode())
        self._stopping, self._sleep, self._retry = stopping, sleep, retry
        self._conn = None

    def __enter__(self) -> AdvisoryLock:
        while not self._stopping():
            try:
                self._conn = self.engine.connect()
                if self._conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}
                ).scalar():
                    self._conn.commit()
                    return self
                self._conn.rollback()
                log.info("another relay is active for this database; standing by")
            except SQLAlchemyError as exc:
                log.warning("cannot take the relay lock (%s); retrying", type(exc).__name__)
            self._close()
            self._sleep(self._retry)
        return self

    def held(self) -> bool:
        """False once the lock's connection is gone (the database restarted):
        the lock went with it."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except SQLAlchemyError:
            log.error(
                "lost the relay lock (its database connection dropped); publishing stops until "
                "the lock is taken again"
            )
            return False

    def __exit__(self, *exc) -> bool:
        self._close()
        return False

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None


class NoLock:
    def __enter__(self) -> NoLock:
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def held(self) -> bool:
        return True


def single_active_relay(
    engine, service: str, *, stopping: Callable[[], bool], sleep: Callable[[float], None]
):
    """The lock that keeps one relay active for `service`'s database (none needed on SQLite)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, service, stopping=stopping, sleep=sleep)
    return NoLock()
