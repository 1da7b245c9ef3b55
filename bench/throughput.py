"""How many events per second the backbone carries, on this machine's RabbitMQ (and databases).

    .venv/bin/python bench/throughput.py              # N=2000, SQLite
    .venv/bin/python bench/throughput.py --postgres   # SQLite, then PostgreSQL
    .venv/bin/python bench/throughput.py -n 5000 --sync-n 500

(a) the raw limit: plain pika publishing persistent messages into a quorum queue, with publisher
    confirms handled the way the relay does (asynchronous, many in flight, `multiple` acks) and
    with one synchronous confirm per message;
(b) the full path: N `village.opened` events written through the members service layer
    (`villages.open_village`: the village row and its outbox row in one transaction), then
    `maillage relay members` publishing them and the orders service (`nameko run`) consuming them
    into its read model and inbox; events/s from the relay's first publish until the orders
    database holds N villages.

Everything happens in a private vhost (created and deleted through the management API) and in
temporary databases; the subprocesses are stopped at the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path

import pika
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RABBIT_HOST = os.environ.get("BENCH_RABBIT_HOST", "127.0.0.1")
RABBIT_PORT = int(os.environ.get("BENCH_RABBIT_PORT", "5672"))
RABBIT_MANAGEMENT = os.environ.get("BENCH_RABBIT_MANAGEMENT", f"http://{RABBIT_HOST}:15672/api")
RABBIT_AUTH = (
    os.environ.get("BENCH_RABBIT_USER", "guest"),
    os.environ.get("BENCH_RABBIT_PASSWORD", "guest"),
)
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
ORDERS_QUEUE = "orders.on_village_opened"


# --- broker and databases --------------------------------------------------------------------


class Vhost:
    def __init__(self):
        self.name = f"bench-{uuid.uuid4().hex[:10]}"
        user, password = RABBIT_AUTH
        self.uri = f"amqp://{user}:{password}@{RABBIT_HOST}:{RABBIT_PORT}/{self.name}"

    def __enter__(self):
        requests.put(
            f"{RABBIT_MANAGEMENT}/vhosts/{self.name}", auth=RABBIT_AUTH, timeout=10
        ).raise_for_status()
        requests.put(
            f"{RABBIT_MANAGEMENT}/permissions/{self.name}/{RABBIT_AUTH[0]}",
            auth=RABBIT_AUTH,
            timeout=10,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
        return self

    def __exit__(self, *exc):
        requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{self.name}", auth=RABBIT_AUTH, timeout=60)
        return False

    def queue(self, name: str) -> dict | None:
        response = requests.get(
            f"{RABBIT_MANAGEMENT}/queues/{self.name}/{name}", auth=RABBIT_AUTH, timeout=10
        )
        return response.json() if response.status_code == 200 else None


def create_pg_database(prefix: str) -> str:
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    conn.close()


# --- (a) raw confirmed publishing ------------------------------------------------------------

RAW_QUEUE_ARGS = {"x-queue-type": "quorum"}


def _body(i: int) -> bytes:
    # about the size of a village.opened envelope
    return (
        (
            b'{"event_id":"%s","type":"bench.raw","version":1,"seq":%d,"payload":"'
            % (str(uuid.uuid4()).encode(), i)
        )
        + b"x" * 300
        + b'"}'
    )


def raw_batched(uri: str, n: int, max_in_flight: int = 2000) -> float:
    """Asynchronous confirms as the relay does them: up to `max_in_flight` unconfirmed messages,
    the broker acks many at once. Returns confirmed messages per second."""
    state = {
        "published": 0,
        "confirmed": 0,
        "nacked": 0,
        "start": None,
        "end": None,
        "outstanding": set(),
    }
    connection = None

    def publish_more(channel):
        while state["published"] < n and len(state["outstanding"]) < max_in_flight:
            channel.basic_publish(
                "",
                "bench.raw.batched",
                _body(state["published"]),
                pika.BasicProperties(delivery_mode=2, content_type="application/json"),
            )
            state["published"] += 1
            state["outstanding"].add(state["published"])

    def on_confirm(frame):
        method = frame.method
        done = (
            {t for t in state["outstanding"] if t <= method.delivery_tag}
            if method.multiple
            else {method.delivery_tag}
        )
        state["outstanding"] -= done
        state["confirmed"] += len(done)
        if isinstance(method, pika.spec.Basic.Nack):
            state["nacked"] += len(done)
        if state["confirmed"] >= n:
            state["end"] = time.perf_counter()
            connection.close()
        else:
            publish_more(channel_ref[0])

    channel_ref = []

    def on_declared(_frame):
        channel = channel_ref[0]
        channel.confirm_delivery(ack_nack_callback=on_confirm, callback=lambda _f: start(channel))

    def start(channel):
        state["start"] = time.perf_counter()
        publish_more(channel)

    def on_channel(channel):
        channel_ref.append(channel)
        channel.queue_declare(
            "bench.raw.batched", durable=True, arguments=RAW_QUEUE_ARGS, callback=on_declared
        )

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_error(conn, error):
        conn.ioloop.stop()
        raise SystemExit(f"cannot reach RabbitMQ: {error}")

    connection = pika.SelectConnection(
        pika.URLParameters(uri),
        on_open_callback=on_open,
        on_open_error_callback=on_error,
        on_close_callback=lambda conn, _reason: conn.ioloop.stop(),
    )
    connection.ioloop.start()
    if state["end"] is None:
        raise RuntimeError(f"batched publishing stopped after {state['confirmed']} confirms")
    if state["nacked"]:
        print(f"  warning: the broker refused {state['nacked']} messages", file=sys.stderr)
    return n / (state["end"] - state["start"])


def raw_sync(uri: str, n: int) -> float:
    """One synchronous confirm per message (BlockingConnection in confirm mode)."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.queue_declare("bench.raw.sync", durable=True, arguments=RAW_QUEUE_ARGS)
        channel.confirm_delivery()
        start = time.perf_counter()
        for i in range(n):
            channel.basic_publish(
                "",
                "bench.raw.sync",
                _body(i),
                pika.BasicProperties(delivery_mode=2, content_type="application/json"),
            )
        elapsed = time.perf_counter() - start
        channel.queue_delete("bench.raw.sync")
        channel.queue_delete("bench.raw.batched")
    finally:
        connection.close()
    return n / elapsed


# --- (b) outbox -> relay -> consumer ---------------------------------------------------------


class Proc:
    """A subprocess whose output is kept (and scanned for a line) by a reader thread."""

    def __init__(
        self, name: str, argv: list[str], env: dict, log_path: Path, watch_for: str | None = None
    ):
        self.name = name
        self.seen_at: float | None = None
        self._watch_for = watch_for
        self._log = open(log_path, "w")
        self.log_path = log_path
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.popen.stdout:
            if self._watch_for and self.seen_at is None and self._watch_for in line:
                self.seen_at = time.perf_counter()
            self._log.write(line)
        self._log.flush()

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def check_alive(self):
        if self.popen.poll() is not None:
            self._reader.join(2)
            tail = self.log_path.read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError(
                f"{self.name} exited with {self.popen.returncode}:\n  " + "\n  ".join(tail)
            )

    def stop(self, grace: float = 10.0):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._reader.join(5)
        self._log.close()


def _wait(predicate, timeout: float, what: str, procs=(), interval: float = 0.05):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for proc in procs:
            proc.check_alive()
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def write_villages(members_url: str, n: int) -> float:
    """N villages opened through the members service layer; returns writes per second."""
    from backbone.db import Database
    from backbone.schemas import load
    from services.members import villages
    from services.members.schemas import VillageInput

    database = Database(members_url, source="members")
    schema = VillageInput()
    kinds = ("fixed", "itinerant", "locker")
    run = uuid.uuid4().hex[:6]
    start = time.perf_counter()
    try:
        for i in range(n):
            data = load(
                schema,
                {
                    "slug": f"bench-{run}-{i}",
                    "name": f"Village {i}",
                    "commune": f"Commune {i}",
                    "insee_code": f"{19000 + i % 999:05d}",
                    "postcode": "19290",
                    "kind": kinds[i % 3],
                    "population": 300 + i % 900,
                },
            )
            with database.unit_of_work() as uow:
                villages.open_village(uow, data)
        return n / (time.perf_counter() - start)
    finally:
        database.dispose()


def full_path(vhost: Vhost, n: int, database: str, workdir: Path, timeout: float) -> dict:
    from sqlalchemy import func, select

    from backbone import migrations
    from backbone.db import make_engine
    from backbone.tables import InboxEntry, OutboxEvent
    from services.orders.models import KnownVillage

    workdir.mkdir(parents=True, exist_ok=True)
    created = []
    if database == "postgresql":
        members_url, orders_url = (
            create_pg_database("bench_members"),
            create_pg_database("bench_orders"),
        )
        created = [members_url, orders_url]
    else:
        members_url, orders_url = (
            f"sqlite:///{workdir / 'members.db'}",
            f"sqlite:///{workdir / 'orders.db'}",
        )
    procs = []
    engines = []
    try:
        migrations.upgrade("members", members_url)
        migrations.upgrade("orders", orders_url)
        env = {
            **os.environ,
            "AMQP_URI": vhost.uri,
            "MEMBERS_DATABASE_URL": members_url,
            "ORDERS_DATABASE_URL": orders_url,
            "MAILLAGE_DATA_DIR": str(workdir / "data"),
            "MAILLAGE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("MAILLAGE_FAILPOINTS", None)

        # the subscriber first: its queue must exist before anything is published
        orders = Proc(
            "orders service",
            [
                str(BIN / "nameko"),
                "run",
                "--config",
                "deploy/nameko.yaml",
                "services.orders.service:OrdersService",
            ],
            env,
            workdir / "orders.log",
        )
        procs.append(orders)
        _wait(
            lambda: (vhost.queue(ORDERS_QUEUE) or {}).get("consumers", 0) >= 1,
            60,
            f"the orders service to consume {ORDERS_QUEUE}",
            procs,
            interval=0.2,
        )

        write_rate = write_villages(members_url, n)

        members_engine, orders_engine = make_engine(members_url), make_engine(orders_url)
        engines = [members_engine, orders_engine]

        def count(engine, query):
            with engine.connect() as conn:
                return conn.execute(query).scalar_one()

        pending_q = (
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )
        villages_q = select(func.count()).select_from(KnownVillage)
        inbox_q = select(func.count()).select_from(InboxEntry)
        assert count(members_engine, pending_q) == n

        orders_cpu_before = orders.cpu_seconds()
        relay = Proc(
            "members relay",
            [str(BIN / "maillage"), "relay", "members"],
            env,
            workdir / "relay.log",
            watch_for="relay: publishing to",
        )
        procs.append(relay)
        _wait(lambda: relay.seen_at, 60, "the relay to connect", procs, interval=0.01)

        published_at = None
        deadline = time.perf_counter() + timeout
        while True:
            for proc in procs:
                proc.check_alive()
            if published_at is None and count(members_engine, pending_q) == 0:
                published_at = time.perf_counter()
            done = count(orders_engine, villages_q)
            if done >= n:
                consumed_at = time.perf_counter()
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"only {done}/{n} villages reached orders in {timeout:.0f}s; logs in {workdir}"
                )
            time.sleep(0.02)
        if published_at is None:
            published_at = consumed_at  # the last confirms were marked while we polled orders
        orders_cpu = orders.cpu_seconds() - orders_cpu_before
        relay_cpu = relay.cpu_seconds()
        inbox = count(orders_engine, inbox_q)
        return {
            "database": database,
            "n": n,
            "write_rate": write_rate,
            "relay_rate": n / (published_at - relay.seen_at),
            "end_to_end_rate": n / (consumed_at - relay.seen_at),
            "seconds": consumed_at - relay.seen_at,
            "inbox_rows": inbox,
            "consumer_cpu_ms": 1000 * orders_cpu / n,
            "relay_cpu_ms": 1000 * relay_cpu / n,
        }
    finally:
        for proc in reversed(procs):
            proc.stop()
        for engine in engines:
            engine.dispose()
        for url in created:
            drop_pg_database(url)


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="events per measure (default 2000)")
    parser.add_argument(
        "--sync-n",
        type=int,
        default=None,
        help="messages for the synchronous-confirm measure (default: N)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also run the full path on PostgreSQL"
    )
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds allowed for one full-path run"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (logs, SQLite files)"
    )
    args = parser.parse_args(argv)
    sync_n = args.sync_n or args.n

    workdir = Path(tempfile.mkdtemp(prefix="maillage-bench-"))
    rows = []
    try:
        with Vhost() as vhost:
            print(f"RabbitMQ {RABBIT_HOST}:{RABBIT_PORT}, private vhost {vhost.name}", flush=True)
            if not args.skip_raw:
                batched = raw_batched(vhost.uri, args.n)
                rows.append(
                    ("raw publish, async batched confirms", args.n, "-", f"{batched:,.0f} msg/s")
                )
                print(f"  raw batched: {batched:,.0f} msg/s", flush=True)
                sync = raw_sync(vhost.uri, sync_n)
                rows.append(
                    ("raw publish, sync confirm per message", sync_n, "-", f"{sync:,.0f} msg/s")
                )
                print(f"  raw sync: {sync:,.0f} msg/s", flush=True)
            if not args.skip_full:
                for database in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
                    result = full_path(vhost, args.n, database, workdir / database, args.timeout)
                    print(
                        f"  full path on {database}: {result['end_to_end_rate']:,.0f} events/s "
                        f"({result['seconds']:.2f}s, {result['inbox_rows']} inbox rows; CPU per "
                        f"event: consumer {result['consumer_cpu_ms']:.2f} ms, relay "
                        f"{result['relay_cpu_ms']:.2f} ms incl. its start)",
                        flush=True,
                    )
                    rows += [
                        (
                            "service layer writes (village + outbox row)",
                            args.n,
                            database,
                            f"{result['write_rate']:,.0f} events/s",
                        ),
                        (
                            "outbox -> relay (all confirmed)",
                            args.n,
                            database,
                            f"{result['relay_rate']:,.0f} events/s",
                        ),
                        (
                            "outbox -> relay -> orders consumer",
                            args.n,
                            database,
                            f"{result['end_to_end_rate']:,.0f} events/s",
                        ),
                    ]
    finally:
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    width = max(len(r[0]) for r in rows) if rows else 10
    print()
    print(f"{'measure':<{width}}  {'N':>6}  {'database':<10}  figure")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 10}  {'-' * 16}")
    for measure, n, database, figure in rows:
        print(f"{measure:<{width}}  {n:>6}  {database:<10}  {figure}")
    return 0


if __name__ == "__main__":
    signal.signal(
        signal.SIGTERM, lambda *_: sys.exit(1)
    )  # stop the subprocesses, drop the databases
    sys.exit(main())
