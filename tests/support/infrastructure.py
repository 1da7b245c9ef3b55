"""The machine's RabbitMQ and PostgreSQL as the tests reach them (TEST_RABBIT_HOST,
TEST_RABBIT_MANAGEMENT, TEST_PG_ADMIN_DSN): a vhost or a database of one's own, and a free port."""

import atexit
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import requests

from maillage.runner import free_port  # noqa: F401  (one way to find a port, for the tests too)

RABBIT_HOST = os.environ.get("TEST_RABBIT_HOST", "127.0.0.1")
RABBIT_MANAGEMENT = os.environ.get("TEST_RABBIT_MANAGEMENT", f"http://{RABBIT_HOST}:15672/api")
RABBIT_AUTH = ("guest", "guest")
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def make_vhost() -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    requests.put(
        f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10
    ).raise_for_status()
    requests.put(
        f"{RABBIT_MANAGEMENT}/permissions/{name}/guest",
        auth=RABBIT_AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    return name


def drop_vhost(name: str) -> None:
    requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=30)


_dropper: subprocess.Popen | None = None


def drop_later(kind: str, name: str) -> None:
    """Drop a database (`pg`, its name) or a vhost (`vhost`) that nothing uses any more, beside the
    tests (tests/support/dropper.py): a teardown need not wait for it. `finish_drops` waits for
    all of them (the end of the session)."""
    global _dropper
    if _dropper is None or _dropper.poll() is not None:
        _dropper = subprocess.Popen(
            [sys.executable, "-m", "tests.support.dropper"],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            text=True,
        )
        atexit.register(finish_drops)
    _dropper.stdin.write(f"{kind} {name}\n")
    _dropper.stdin.flush()


def finish_drops() -> None:
    """Wait until everything handed to `drop_later` is dropped."""
    global _dropper
    if _dropper is not None:
        _dropper.stdin.close()
        _dropper.wait()
        _dropper = None


def create_pg_database(template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`, a database nobody is connected to)."""
    name = f"mlg_test_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
    conn.close()
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
