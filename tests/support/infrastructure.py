"""The machine's RabbitMQ and PostgreSQL as the tests reach them (TEST_RABBIT_HOST,
TEST_RABBIT_MANAGEMENT, TEST_PG_ADMIN_DSN): a vhost or a database of one's own, and a free port."""

import atexit
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import requests

from maillage.runner import free_port  # noqa: F401  (one way to find a port, for the tests too)

RABBIT_HOST = os.environ.get("TEST_RABBIT_HOST", "127.0.0.1")
RABBIT_MANAGEMENT = os.environ.get("TEST_RABBIT_MANAGEMENT", f"http://{RABBIT_HOST}:15672/api")
RABBIT_AUTH = ("guest", "guest")
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


# what a test makes is named after the process that made it: a run killed half-way (its vhosts'
# queues hold files open in the broker: enough of them and it runs out of descriptors) is swept by
# the next run (sweep_leftovers), never a run still going
VHOST_PREFIX, PG_PREFIX = "test-", "mlg_test_"
OWNER = re.compile(r"^(?:test-|mlg_test_)(?:(\d+)[-_])?")


def make_vhost() -> str:
    name = f"{VHOST_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
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
    name = f"{PG_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
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


def _left_behind(name: str) -> bool:
    """Made by a test process that is gone, or by an older version of the tests that did not say
    which process (dropped whatever their age: a run of such a checkout going on at the same
    moment on the same broker would lose its own; CI runs one at a time)."""
    owner = OWNER.match(name)
    if owner is None:
        return False
    if owner.group(1) is None:
        return True
    try:
        os.kill(int(owner.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def _on_this_machine(url: str) -> bool:
    """A process number says whether a run is gone only on the machine that ran it: a broker or a
    database other machines' tests may share is never swept."""
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def sweep_leftovers() -> list[str]:
    """Drop the vhosts and databases of test runs that were killed before they could (beside the
    tests, as drop_later does). Answers their names. A broker or database not reachable yet is
    the tests' own error to tell: nothing is swept then."""
    swept = []
    if not (_on_this_machine(RABBIT_MANAGEMENT) and _on_this_machine(PG_ADMIN_DSN)):
        return swept
    try:
        vhosts = requests.get(f"{RABBIT_MANAGEMENT}/vhosts", auth=RABBIT_AUTH, timeout=10)
        vhosts.raise_for_status()
        for vhost in vhosts.json():
            if vhost["name"].startswith(VHOST_PREFIX) and _left_behind(vhost["name"]):
                drop_later("vhost", vhost["name"])
                swept.append(vhost["name"])
    except (requests.RequestException, ValueError):
        pass
    try:
        conn = psycopg2.connect(PG_ADMIN_DSN, connect_timeout=5)
    except psycopg2.Error:
        return swept
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'mlg\\_test\\_%'")
            for (name,) in cursor.fetchall():
                if _left_behind(name):
                    drop_later("pg", name)
                    swept.append(name)
    finally:
        conn.close()
    return swept
