"""Faults under load, on the whole network running as processes (what `maillage run` starts):
a steady stream of inhabitants registered over HTTP at the counter while

- each service process (with the outbox relay it runs) and the gateway in turn is killed
  (SIGKILL: no goodbye, messages in flight unacknowledged, outbox rows published but not
  yet marked) and restarted;
- (PostgreSQL) the database of one service is stopped for a few seconds (no new connection
  allowed, every open one terminated), first a consumer's (orders), then the writer's (members).

Half of the stream are orders at the counter (retried with the same idempotency key when the
answer is lost, as the counter's form does).

After recovery: every registration the gateway accepted (201) is in the members database and,
exactly once, in the read models of orders and events (as many inbox claims as members: no
second effect); every accepted order is in `orders` once (one per idempotency key, retries
included) and its `order.placed` claimed by the partners' consumer; the outboxes are empty; and the
dead-letter queue holds nothing but the one poisoned event this test sends on purpose (a
`member.registered` that breaks its contract).

Bounded (a few seconds of load around each fault, about a minute in all) so that it runs in
`make test`; deselect with `-m "not faults"`.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from sqlalchemy import text

from backbone import config, migrations
from backbone.contracts import build_envelope
from backbone.db import Database
from backbone.dead_letters import DeadLetterQueue
from maillage.network import declare_topology
from maillage.runner import Network
from tests.support.infrastructure import (
    PG_ADMIN_DSN,
    RABBIT_HOST,
    create_pg_database,
    drop_pg_database,
    drop_vhost,
    make_vhost,
)
from tests.support.reliability import Broker, wait_until
from tests.support.supervised import ORDER_EVERY, CounterSession

# alone: a network killed piece by piece under a load of its own would slow the parallel pass;
# beside: it bounds no duration, and runs on a worker of its own in the alone pass while the
# self-healing test runs (the tests with a bound of a second or two come after: tests/conftest.py)
pytestmark = [
    pytest.mark.faults,
    pytest.mark.alone,
    pytest.mark.alone_beside,
    pytest.mark.stack,
    pytest.mark.broker,
]

REPO = Path(__file__).resolve().parents[2]
KILLED_IN_TURN = [
    "members",
    "orders",
    "events",
    "partners",
    "gateway",
]  # each service with its outbox relay


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningNetwork:
    """The network's processes, each of which can be killed and started again."""

    def __init__(self, base: Path):
        self.base = base
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.network = Network(base / "log")

    def start(self) -> None:
        self.network.start()
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 90) -> None:
        self.network.wait_healthy(self.base_url + "/health", timeout)

    def process(self, name: str):
        return next(p for p in self.network.processes if p.name == name)

    def kill(self, name: str) -> None:
        process = self.process(name)
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait(timeout=10)

    def restart(self, name: str) -> None:
        process = self.process(name)
        with open(process.log_path, "ab") as log:
            process.popen = subprocess.Popen(
                process.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                cwd=config.REPO_ROOT,
                start_new_session=True,
            )

    def stop(self) -> None:
        self.network.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + "\n".join(p.log_path.read_text(errors="replace").splitlines()[-20:])
            for p in self.network.processes
            if p.log_path and p.log_path.exists()
        )


@pytest.fixture
def running_network(backend, tmp_path, monkeypatch):
    vhost = make_vhost()
    amqp_uri = f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}"
    monkeypatch.setenv("AMQP_URI", amqp_uri)
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GATEWAY_SECRET", "faults-" + vhost)
    monkeypatch.setenv("MAILLAGE_LOG_LEVEL", "INFO")
    created = []
    if backend == "postgresql":
        for service in config.SERVICES:
            url = create_pg_database()
            created.append(url)
            monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
    (tmp_path / "data").mkdir()
    network = RunningNetwork(tmp_path)
    monkeypatch.setenv("GATEWAY_ADDRESS", f"127.0.0.1:{network.port}")
    try:
        for service in config.SERVICES:
            migrations.upgrade(service)
        declare_topology()
        network.start()
        seeded = subprocess.run(
            [str(Path(sys.executable).parent / "maillage"), "seed"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        yield network
    finally:
        network.stop()
        for url in created:
            drop_pg_database(url)
        drop_vhost(vhost)


class CounterLoad:
    """Concierges registering inhabitants over HTTP, each at most one every ORDER_EVERY seconds,
    until stopped."""

    def __init__(self, base_url: str, workers: int = 3):
        self.base_url, self.workers = base_url, workers
        counter = CounterSession(base_url)
        self.headers, self.village_id = counter.headers, counter.village_id
        self.accepted: list[str] = []
        self.orders: list[str] = []  # ids of the orders accepted
        self.keys_sent: set[str] = set()
        self.refused: dict[str, int] = {}
        self.order_stuff = (
            (counter.members, counter.items) if counter.members and counter.items else None
        )
        self._numbers = itertools.count(1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _order(self, n: int) -> None:
        """An order at the counter; when the answer is lost, sent again with the same idempotency
        key (as the counter's form does), so that a retry never makes a second order."""
        members, items = self.order_stuff
        item = items[n % len(items)]
        body = {
            "idempotency_key": f"faults-{uuid.uuid4()}",
            "member_id": members[n % len(members)],
            "delivery_date": item["next_delivery_date"],
            "fulfilment": "counter",
            "lines": [{"item_id": item["item_id"], "quantity": 1}],
        }
        self.keys_sent.add(body["idempotency_key"])
        for _attempt in range(5):
            try:
                response = requests.post(
                    f"{self.base_url}/api/villages/{self.village_id}/orders",
                    json=body,
                    headers=self.headers,
                    timeout=15,
                )
            except requests.RequestException as exc:
                self.refused["order " + type(exc).__name__] = (
                    self.refused.get("order " + type(exc).__name__, 0) + 1
                )
                time.sleep(0.5)
                continue
            if response.status_code in (200, 201):
                self.orders.append(response.json()["id"])
                return
            self.refused[f"order {response.status_code}"] = (
                self.refused.get(f"order {response.status_code}", 0) + 1
            )
            if response.status_code < 500:
                return
            time.sleep(0.5)

    def _one(self) -> None:
        n = next(self._numbers)
        if self.order_stuff and n % 2:
            self._order(n)
            return
        body = {
            "first_name": "Charge",
            "last_name": f"Panne{n:05d}",
            "phone": f"06 38 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}",
            "preferred_channel": "phone",
            "confirm_duplicate": True,
        }
        try:
            response = requests.post(
                f"{self.base_url}/api/villages/{self.village_id}/members",
                json=body,
                headers=self.headers,
                timeout=15,
            )
        except requests.RequestException as exc:
            self.refused[type(exc).__name__] = self.refused.get(type(exc).__name__, 0) + 1
            time.sleep(0.1)
            return
        if response.status_code == 201:
            self.accepted.append(response.json()["id"])
        else:
            self.refused[str(response.status_code)] = (
                self.refused.get(str(response.status_code), 0) + 1
            )
            time.sleep(0.1)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            self._one()
            self._stop.wait(ORDER_EVERY - (time.monotonic() - began))

    def start(self) -> None:
        for _ in range(self.workers):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def more_than(self, n: int, timeout: float = 60, why: str = "") -> None:
        wait_until(
            lambda: len(self.accepted) > n,
            timeout,
            interval=0.1,
            message=f"the counter to register people again {why} (refused so far: {self.refused})",
        )


def _rows(service: str, query: str) -> list:
    database = Database(config.database_url(service), source="faults-test")
    try:
        with database.engine.connect() as conn:
            return [row[0] for row in conn.execute(text(query))]
    finally:
        database.dispose()


def _ids(service: str, query: str) -> list[str]:
    return _rows(service, query)


def _scalar(service: str, query: str) -> int:
    return _rows(service, query)[0]


def _check_orders(load: CounterLoad) -> None:
    """Each accepted order once in `orders` (a retried request gave back the same order), its
    `order.placed` published and claimed once by the partners' consumer."""
    orders = set(load.orders)
    assert orders, f"no order was accepted (refused: {load.refused})"
    assert orders <= set(_ids("orders", "SELECT id FROM orders")), "accepted means written"
    keys = _ids(
        "orders", "SELECT idempotency_key FROM orders WHERE idempotency_key LIKE 'faults-%'"
    )
    assert len(keys) == len(set(keys)), "one order per idempotency key, retries included"
    assert (
        set(keys) <= load.keys_sent
    )  # (an order whose every answer was lost is there, unknown to the counter)
    wait_until(
        lambda: _scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
        timeout=90,
        message="the orders outbox to be empty",
    )
    placed = {}
    database = Database(config.database_url("orders"), source="faults-test")
    try:
        with database.engine.connect() as conn:
            for event_id, body in conn.execute(
                text("SELECT event_id, body FROM outbox WHERE type = 'order.placed'")
            ):
                placed[json.loads(body)["payload"]["order_id"]] = event_id
    finally:
        database.dispose()
    assert orders <= set(placed), "every accepted order announced"
    wanted = {placed[o] for o in orders}
    wait_until(
        lambda: (
            wanted
            <= set(
                _ids(
                    "partners",
                    "SELECT event_id FROM inbox WHERE consumer = 'partners.on_partner_event'",
                )
            )
        ),
        timeout=90,
        message="every order.placed claimed by the partners' consumer",
    )


def _send_poison(amqp_uri: str) -> str:
    """A `member.registered` that breaks its contract (no display name): real poison."""
    envelope = build_envelope(
        "member.registered",
        {
            "member_id": str(uuid.uuid4()),
            "village_id": str(uuid.uuid4()),
            "display_name": "x",
            "tags": [],
        },
        village_id=str(uuid.uuid4()),
        source="members",
    )
    del envelope["payload"]["display_name"]
    broker = Broker(amqp_uri)
    try:
        broker.publish_envelope(envelope)
    finally:
        broker.close()
    return envelope["event_id"]


def _check_nothing_lost(load: CounterLoad, poison_id: str) -> None:
    print(f"accepted {len(load.accepted)} registrations; refused or failed: {load.refused}")
    accepted = set(load.accepted)
    assert len(accepted) == len(load.accepted), "the gateway never gives one id twice"
    assert accepted <= set(_ids("members", "SELECT id FROM members")), "accepted means written"
    wait_until(
        lambda: _scalar("members", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
        timeout=90,
        message="the members outbox to be empty",
    )
    for service in ("orders", "events"):
        wait_until(
            lambda s=service: accepted <= set(_ids(s, "SELECT id FROM known_members")),
            timeout=90,
            message=f"every accepted member in the {service} read model",
        )
    members = set(_ids("members", "SELECT id FROM members"))
    for service in ("orders", "events"):
        known = _ids(service, "SELECT id FROM known_members")
        assert len(known) == len(set(known)) and set(known) == members, (
            f"{service}: exactly the members, once"
        )
        claims = _scalar(
            service, f"SELECT count(*) FROM inbox WHERE consumer = '{service}.on_member_registered'"
        )
        assert claims == len(members), (
            f"{service}: one inbox claim per member ({claims} for {len(members)})"
        )
    if load.order_stuff:
        _check_orders(load)
    letters = DeadLetterQueue().list()
    assert letters and {letter.event_id for letter in letters} == {poison_id}, [
        letter.as_dict() for letter in letters if letter.event_id != poison_id
    ]


def test_killing_each_process_in_turn_loses_nothing(running_network):
    load = CounterLoad(running_network.base_url)
    poison_id = _send_poison(os.environ["AMQP_URI"])
    load.start()
    try:
        load.more_than(5, why="before any fault")
        for name in KILLED_IN_TURN:
            before = len(load.accepted)
            running_network.kill(name)
            time.sleep(
                1.0
            )  # the counter goes on (or fails, when the gateway or members is the one down)
            running_network.restart(name)
            try:
                running_network.wait_healthy()
            except RuntimeError as exc:
                raise AssertionError(
                    f"after killing {name}: {exc}\n{running_network.logs()}"
                ) from None
            load.more_than(before + 5, why=f"after {name} was killed and restarted")
    finally:
        load.stop()
    _check_nothing_lost(load, poison_id)


def _database_down(url: str, seconds: float) -> None:
    """No new connection to that database (ALLOW_CONNECTIONS false binds superusers too, unlike a
    connection limit), every open one terminated; back after `seconds`."""
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid()",
                (name,),
            )
            time.sleep(seconds)
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    finally:
        admin.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_service_database_going_away_loses_nothing(running_network):
    load = CounterLoad(running_network.base_url)
    poison_id = _send_poison(os.environ["AMQP_URI"])
    load.start()
    try:
        load.more_than(5, why="before any fault")
        for service in ("orders", "members"):  # a consumer's database, then the writer's
            before = len(load.accepted)
            _database_down(config.database_url(service), seconds=3)
            load.more_than(before + 5, why=f"after the {service} database came back")
    finally:
        load.stop()
    assert not running_network.network.dead(), running_network.logs()
    _check_nothing_lost(load, poison_id)
