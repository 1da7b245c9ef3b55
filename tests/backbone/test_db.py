"""The connection pool on PostgreSQL: a connection that sat idle is checked before use (a dead one
is replaced, the caller sees nothing); one used a moment ago is handed out without a round trip;
a process keeps at most MAILLAGE_DB_POOL_SIZE connections open, and opens at most
MAILLAGE_DB_POOL_OVERFLOW more while busy."""

import psycopg2
import pytest
from sqlalchemy import exc, text

from backbone import db as db_module
from backbone.db import make_engine
from tests.support.infrastructure import PG_ADMIN_DSN

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _terminate_backends(url: str) -> int:
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (url.rsplit("/", 1)[1],),
        )
        killed = cursor.fetchone()[0]
    admin.close()
    return killed


def _open_connections(url: str) -> int:
    admin = psycopg2.connect(PG_ADMIN_DSN)
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (url.rsplit("/", 1)[1],)
        )
        count = cursor.fetchone()[0]
    admin.close()
    return count


def test_a_process_keeps_its_pool_size_open_and_opens_its_overflow_only_while_busy(
    db_url, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DB_POOL_SIZE", "2")
    monkeypatch.setenv("MAILLAGE_DB_POOL_OVERFLOW", "1")
    engine = make_engine(db_url)
    try:
        engine.pool._timeout = 0.5  # a fourth connection at once waits this long, then fails
        busy = [engine.connect() for _ in range(3)]
        for conn in busy:
            conn.execute(text("SELECT 1"))
        assert _open_connections(db_url) == 3
        with pytest.raises(exc.TimeoutError):
            engine.connect()
        for conn in busy:
            conn.close()
        assert _open_connections(db_url) == 2, "the one beyond the pool's size is closed"
    finally:
        engine.dispose()


def _pings(engine, monkeypatch) -> list:
    """What each ping found: "alive" or "dead"."""
    found = []
    original = engine.dialect.do_ping

    def ping(dbapi_connection):
        try:
            result = original(dbapi_connection)
        except Exception:
            found.append("dead")
            raise
        found.append("alive")
        return result

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return found


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(db_url, monkeypatch):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            backend_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _terminate_backends(db_url) == 1  # the pooled connection is now dead
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)  # it has been idle "long enough"
        pings = _pings(engine, monkeypatch)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend_pid
        assert pings[0] == "dead", (
            "the dead connection was found by the ping, not by the caller's query"
        )
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(db_url, monkeypatch):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        pings = _pings(engine, monkeypatch)
        for _ in range(5):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert pings == []
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert pings == ["alive"], "an idle connection is checked"
    finally:
        engine.dispose()


def test_a_connection_that_died_unseen_fails_once_then_the_pool_is_fresh(db_url):
    """Killed within the idle window: its first statement fails (the caller retries, as an event's
    redelivery or the next request does) and the pool replaces every connection it held."""
    from sqlalchemy.exc import OperationalError

    engine = make_engine(db_url)
    try:
        with engine.connect() as first, engine.connect() as second:
            first.execute(text("SELECT 1"))
            second.execute(text("SELECT 1"))
        assert _terminate_backends(db_url) == 2
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
