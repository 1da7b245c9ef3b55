"""A test run killed half-way leaves its vhosts and databases behind; the next run drops them, and
never those of a run still going (tests/support/infrastructure.py: sweep_leftovers)."""

import os
import subprocess
import sys

import psycopg2
import pytest
import requests

from tests.support.infrastructure import (
    DROPPING,
    PG_ADMIN_DSN,
    RABBIT_AUTH,
    RABBIT_MANAGEMENT,
    drop_later,
    finish_drops,
    sweep_leftovers,
    vhost_names,
)

pytestmark = pytest.mark.broker


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _vhosts() -> set[str]:
    return set(vhost_names())


def _databases() -> set[str]:
    conn = psycopg2.connect(PG_ADMIN_DSN)
    with conn.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        names = {name for (name,) in cursor.fetchall()}
    conn.close()
    return names


def _create_database(name: str) -> None:
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def test_what_a_killed_run_left_is_dropped_and_a_running_run_keeps_its_own():
    dead = _dead_pid()
    left = {f"test-{dead}-0123456789ab", "test-0123456789ab"}  # this version's name, and older
    alive = f"test-{os.getpid()}-0123456789ab"
    other = "test_not_ours"  # not made by the tests' naming
    for name in (*left, alive, other):
        requests.put(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)
    left_database, alive_database = f"mlg_test_{dead}_0123456789", f"mlg_test_{os.getpid()}_01234"
    for name in (left_database, alive_database):
        _create_database(name)
    try:
        swept = set(sweep_leftovers())
        finish_drops()
        assert {*left, left_database} <= swept
        assert not {alive, other, alive_database} & swept
        assert not {*left, left_database} & (_vhosts() | _databases())
        assert {alive, other} <= _vhosts() and alive_database in _databases()
    finally:
        for name in (alive, other, *left):
            drop_later("vhost", name)
        drop_later("pg", alive_database)
        drop_later("pg", left_database)
        finish_drops()


def test_a_broker_other_machines_share_is_never_swept(monkeypatch):
    """A process number tells a finished run only on this machine."""
    from tests.support import infrastructure

    dead = _dead_pid()
    name = f"test-{dead}-0123456789ab"
    requests.put(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)
    try:
        monkeypatch.setattr(infrastructure, "PG_ADMIN_DSN", "postgresql://postgres@db.lan/postgres")
        assert sweep_leftovers() == []
        assert name in _vhosts()
    finally:
        drop_later("vhost", name)
        finish_drops()


def test_what_a_finished_run_still_drops_is_left_to_its_dropper():
    """A test process does not wait for its dropper: the next run's sweep, which may start before
    the dropper is done, leaves it what it was handed, and takes what a dropper that died held."""
    name = f"test-{_dead_pid()}-0123456789ab"
    requests.put(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10)
    dropper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    DROPPING.mkdir(exist_ok=True)
    listing = DROPPING / str(dropper.pid)
    listing.write_text(f"mlg_test_1_0123456789\n{name}\n")
    try:
        assert name not in sweep_leftovers()
        assert name in _vhosts()
        dropper.kill()
        dropper.wait()
        assert name in sweep_leftovers()  # its dropper died without dropping it
        finish_drops()
        assert name not in _vhosts()
        assert not listing.exists()
    finally:
        dropper.kill()
        listing.unlink(missing_ok=True)
        drop_later("vhost", name)
        finish_drops()
