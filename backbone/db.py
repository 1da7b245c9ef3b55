"""One database per service: its engine and its units of work (nameko's side: backbone/dependencies.py)."""
from __future__ import annotations

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from backbone.unit_of_work import UnitOfWork

_green_patched = False


def make_engine(url: str, *, pre_ping: bool = True) -> Engine:
    global _green_patched
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg2://" + url.split("://", 1)[1]  # psycopg2: green under eventlet
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
    return create_engine(url, pool_pre_ping=pre_ping, pool_size=10, max_overflow=10)


class Database:
    """A service's database: hands out units of work."""

    def __init__(self, url: str, source: str):
        self.url = url
        self.source = source
        self.engine = make_engine(url)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)

    def unit_of_work(self, correlation_id: str | None = None, after_events_committed=None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, source=self.source, correlation_id=correlation_id,
                          after_events_committed=after_events_committed)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
