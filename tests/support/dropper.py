"""Drops what the tests made and no longer use, in a process of its own, one line a thing read from
standard input: `pg NAME` (a database, its connections ended) or `vhost NAME` (a RabbitMQ vhost),
until standard input closes. PostgreSQL 15 forces a checkpoint on each DROP DATABASE and RabbitMQ
takes a while to delete a vhost with its queues: done here, beside the tests, rather than in each
test's teardown, and past the end of the test process. What it is handed is listed in
DROPPING/<its process> (by drop_later) until it ends: the next run's sweep does not take it for a
killed run's. A thing that cannot be dropped is said on standard error and the others go on."""

import os
import sys

import psycopg2
import requests

from tests.support.infrastructure import DROPPING, PG_ADMIN_DSN, RABBIT_AUTH, RABBIT_MANAGEMENT


def main() -> None:
    try:
        _drop_each()
    finally:
        (DROPPING / str(os.getpid())).unlink(missing_ok=True)


def _drop_each() -> None:
    conn = None
    for line in sys.stdin:
        kind, _, name = line.strip().partition(" ")
        try:
            if kind == "pg":
                if conn is None or conn.closed:
                    conn = psycopg2.connect(PG_ADMIN_DSN)
                    conn.autocommit = True
                with conn.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif kind == "vhost":
                requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=30)
        except Exception as exc:  # noqa: BLE001  (one left behind must not stop the others)
            print(f"dropper: {kind} {name}: {exc}", file=sys.stderr, flush=True)
    if conn is not None:
        conn.close()


if __name__ == "__main__":
    main()
