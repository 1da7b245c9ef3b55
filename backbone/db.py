"""One database per service: its engine and its units of work (nameko's side:
backbone/dependencies.py)."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from backbone import config
from backbone.unit_of_work import UnitOfWork

_green_patched = False
# a pooled connection idle longer than this is checked (SELECT 1) before it is handed out
PING_AFTER_IDLE = 2.0


def make_engine(url: str) -> Engine:
    global _green_patched
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg2://" + url.split("://", 1)[1]  # psycopg2: green under eventlet
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's error (logged, dead-lettered) never quotes the
        # values it wrote, names and phones included (backbone/log_privacy.py)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql") and not _green_patched:
        import eventlet.patcher

        if eventlet.patcher.is_monkey_patched("socket"):
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()
        _green_patched = True
    # each process holds at most MAILLAGE_DB_POOL_SIZE idle connections: PostgreSQL's own limit
    # (max_connections, 100 by default) is shared by every process of every service and replica
    engine = create_engine(
        url,
        pool_size=config.value("MAILLAGE_DB_POOL_SIZE"),
        max_overflow=config.value("MAILLAGE_DB_POOL_OVERFLOW"),
        hide_parameters=True,
    )
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, only for a connection that sat in the pool a while: under load
    each unit of work would otherwise pay a round trip to the database for nothing (a connection
    used a moment ago is alive). A dead one is replaced before use (the pool tries a fresh one); one
    that died in the last seconds fails its first statement, which invalidates the whole pool, and
    the caller's retry (an event's redelivery, the next request) gets a fresh connection."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _fresh(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("checked_in_at", 0.0) <= PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(
                dbapi_connection
            )  # what pool_pre_ping runs (no transaction left open)
        except Exception as error:  # noqa: BLE001  any failure: this connection is not to be used
            raise exc.DisconnectionError(f"connection dead before use: {error}") from error


class Database:
    """A service's database: hands out units of work."""

    def __init__(self, url: str, source: str):
        self.url = url
        self.source = source
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    def unit_of_work(
        self,
        correlation_id: str | None = None,
        after_events_committed=None,
        deadline: float | None = None,
    ) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            source=self.source,
            correlation_id=correlation_id,
            after_events_committed=after_events_committed,
            deadline=deadline,
        )

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
