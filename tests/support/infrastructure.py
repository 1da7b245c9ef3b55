"""The machine's RabbitMQ and PostgreSQL as the tests reach them (TEST_RABBIT_HOST,
TEST_RABBIT_MANAGEMENT, TEST_PG_ADMIN_DSN): a vhost or a database of one's own, and a free port."""

import atexit
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
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


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def ends_with_this_process() -> None:
    """A `preexec_fn` for what a test starts and stops itself (a network, a relay, a server): the
    child is sent SIGTERM if the test process dies first: a worker killed or crashed would
    otherwise leave its networks running, on the broker and the CPU, until the end of the run. Not
    for the dropper, which is meant to outlive it."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


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


def vhost_names() -> list[str]:
    """The broker's vhosts by name. One being deleted may be listed without its name for a moment
    (seen while the droppers delete others): skipped."""
    answer = requests.get(f"{RABBIT_MANAGEMENT}/vhosts", auth=RABBIT_AUTH, timeout=10)
    answer.raise_for_status()
    return [vhost["name"] for vhost in answer.json() if "name" in vhost]


def drop_vhost(name: str) -> None:
    requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=30)


_dropper: subprocess.Popen | None = None
_handed = None  # the file listing what _dropper was handed

# each dropper running on this machine has its list here, in a file named after its process, of
# what it was handed: the next run's sweep leaves those to it (a test process does not wait for
# its dropper at its end)
DROPPING = Path(tempfile.gettempdir()) / "maillage-tests-dropping"


def drop_later(kind: str, name: str) -> None:
    """Drop a database (`pg`, its name) or a vhost (`vhost`) that nothing uses any more, beside the
    tests (tests/support/dropper.py): a teardown need not wait for it, nor the end of the tests:
    `finish_drops` lets the dropper end once its list is done."""
    global _dropper, _handed
    if _dropper is None or _dropper.poll() is not None:
        _dropper = subprocess.Popen(
            [sys.executable, "-m", "tests.support.dropper"],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            text=True,
        )
        DROPPING.mkdir(exist_ok=True)
        _handed = (DROPPING / str(_dropper.pid)).open("a")
        atexit.register(finish_drops, wait=False)
    _handed.write(name + "\n")  # listed before it is handed: a sweep never finds it unlisted
    _handed.flush()
    _dropper.stdin.write(f"{kind} {name}\n")
    _dropper.stdin.flush()


def finish_drops(wait: bool = True) -> None:
    """Nothing more to drop: the dropper ends once what it was handed is dropped; `wait` until
    then (a test of the drops), or not (the end of a test process: its drops, a checkpoint each,
    finish beside whatever runs next instead of holding the pass's end)."""
    global _dropper, _handed
    if _dropper is not None:
        _handed.close()
        _dropper.stdin.close()
        if wait:
            _dropper.wait()
        _dropper = _handed = None


def being_dropped() -> set[str]:
    """What the droppers still running on this machine were handed (a dropper that died without
    ending leaves a list nobody reads: removed)."""
    names = set()
    for listing in DROPPING.glob("*") if DROPPING.is_dir() else ():
        if listing.name.isdigit() and running(int(listing.name)):
            names.update(listing.read_text().split())
        else:
            listing.unlink(missing_ok=True)
    return names


def create_pg_database(template: str | None = None) -> str:
    """A new, empty database (or a copy of `template`, a database nobody is connected to)."""
    name = f"{PG_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(
            f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        )
        # a commit returns once written, not once on disk: what other connections see is the
        # same, only a crash of PostgreSQL itself (no test makes one) could lose the last ones;
        # 1.7 ms a commit → 0.2 here, tests/services 82 s → 71 s (bench/README.md)
        cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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
    return owner.group(1) is None or not running(int(owner.group(1)))


def running(pid: int) -> bool:
    """Whether process `pid`, anyone's, exists and has not ended (an ended one its parent has not
    reaped yet is a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
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
    in_hand = being_dropped()  # the end of the run before this one, still being dropped
    try:
        for name in vhost_names():
            if name.startswith(VHOST_PREFIX) and _left_behind(name) and name not in in_hand:
                drop_later("vhost", name)
                swept.append(name)
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
                if _left_behind(name) and name not in in_hand:
                    drop_later("pg", name)
                    swept.append(name)
    finally:
        conn.close()
    return swept
