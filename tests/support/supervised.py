"""A whole network under `maillage run` and concierges placing orders at its counter over HTTP:
what the reliability tests that stop a broker node or kill processes under load share
(tests/reliability/test_self_healing.py, test_broker_cluster.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import text

from backbone import config
from backbone.db import Database
from backbone.dead_letters import DeadLetterQueue
from maillage.runner import free_port
from tests.support.infrastructure import (
    create_pg_database,
    drop_pg_database,
    ends_with_this_process,
)
from tests.support.reliability import wait_until

REPO = Path(__file__).resolve().parents[2]
CONCIERGE = "lucie@maillage.test"
CLIENTS = int(os.environ.get("MAILLAGE_TEST_CLIENTS", "3"))  # concierges placing orders at once
# seconds from one of a client's orders to its next, at the least: 3 clients make ~15 orders a
# second (a village counter takes a few an hour). Back to back (0), each fault test's load takes
# about one core on its own, and the alone pass runs three such loads beside one another.
ORDER_EVERY = float(os.environ.get("MAILLAGE_TEST_ORDER_EVERY", "0.2"))


class Supervised:
    """`maillage run` as an operator starts it, and what its supervisor says of its processes."""

    def __init__(self, base: Path, env: dict):
        self.base, self.env = base, env
        self.base_url = "http://" + env["GATEWAY_ADDRESS"]
        self.log_path = base / "run.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "maillage"), "run", "--timeout", "120"],
            env=env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=ends_with_this_process,
        )
        self.status_path = Path(env["MAILLAGE_DATA_DIR"]).parent / "log" / "supervisor.json"

    def wait_up(self) -> None:
        deadline = time.monotonic() + 180
        while b"Maillage is up" not in self.log_path.read_bytes():
            assert self.process.poll() is None, f"maillage run exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"maillage run did not come up:\n{self.output()}"
            time.sleep(0.3)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def processes(self) -> dict:
        return json.loads(self.status_path.read_text())["processes"]

    def pid(self, name: str) -> int | None:
        return self.processes()[name]["pid"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


class CounterSession:
    """A concierge signed in at the counter of her first village: what a load of orders needs
    (the members she may order for, the items available with a next delivery date)."""

    def __init__(self, base_url: str, email: str = CONCIERGE):
        login = requests.post(
            base_url + "/api/auth/login",
            json={"email": email, "password": "maillage-demo"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}
        self.village_id = requests.get(
            base_url + "/api/villages", headers=self.headers, timeout=10
        ).json()[0]["id"]
        members = requests.get(
            f"{base_url}/api/villages/{self.village_id}/members", headers=self.headers, timeout=10
        )
        catalogue = requests.get(
            f"{base_url}/api/villages/{self.village_id}/counter/catalogue?available=1",
            headers=self.headers,
            timeout=10,
        )
        self.members = [m["id"] for m in members.json()] if members.status_code == 200 else []
        self.items = [
            item
            for item in (catalogue.json() if catalogue.status_code == 200 else [])
            if item.get("available") and item.get("next_delivery_date")
        ]


class OrderLoad:
    """Concierges taking orders at the counter; a request whose answer is not a 2xx is sent again
    with the same idempotency key (as the counter's form does) until it is, or RETRY_FOR passes."""

    RETRY_FOR = 120

    def __init__(self, base_url: str, key_prefix: str = "heal"):
        self.base_url = base_url
        self.key_prefix = key_prefix
        counter = CounterSession(base_url)
        self.headers, self.village_id = counter.headers, counter.village_id
        self.members, self.items = counter.members, counter.items
        assert self.members and self.items, "the demo village has members and a catalogue"
        self.asked: set[str] = set()
        self.placed: dict[str, str] = {}  # idempotency key -> order id
        self.waits: list[tuple[float, float]] = []  # (asked, taken): a concierge's wait, retries in
        self.answers: list[tuple[float, str]] = []  # (when, 2xx / 503 / 500 / ConnectionError…)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def _note(self, outcome: str) -> None:
        with self._lock:
            self.answers.append((time.monotonic(), outcome))

    def _order(self, n: int) -> None:
        item = self.items[n % len(self.items)]
        key = f"{self.key_prefix}-{uuid.uuid4()}"
        body = {
            "idempotency_key": key,
            "member_id": self.members[n % len(self.members)],
            "delivery_date": item["next_delivery_date"],
            "fulfilment": "counter",
            "lines": [{"item_id": item["item_id"], "quantity": 1}],
        }
        with self._lock:
            self.asked.add(key)
        asked = time.monotonic()
        give_up = asked + self.RETRY_FOR
        while time.monotonic() < give_up:
            try:
                response = requests.post(
                    f"{self.base_url}/api/villages/{self.village_id}/orders",
                    json=body,
                    headers=self.headers,
                    timeout=10,
                )
            except requests.RequestException as exc:
                self._note(type(exc).__name__)
                time.sleep(0.3)
                continue
            if response.status_code in (200, 201):
                self._note("2xx")
                with self._lock:
                    self.placed[key] = response.json()["id"]
                    self.waits.append((asked, time.monotonic()))
                return
            self._note(str(response.status_code))
            assert response.status_code >= 500 or response.status_code == 429, response.text
            time.sleep(0.3)

    def _run(self, client: int) -> None:
        n = client
        while not self._stop.is_set():
            began = time.monotonic()
            self._order(n)
            n += CLIENTS
            self._stop.wait(ORDER_EVERY - (time.monotonic() - began))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.RETRY_FOR + 20)

    def last_success(self) -> float:
        with self._lock:
            return max((t for t, outcome in self.answers if outcome == "2xx"), default=0.0)

    def wait_success_after(self, moment: float, why: str) -> float:
        """Seconds from `moment` to the first order taken after it."""

        def first():
            with self._lock:
                return min(
                    (t for t, outcome in self.answers if outcome == "2xx" and t > moment),
                    default=None,
                )

        return (
            wait_until(first, timeout=90, interval=0.1, message=f"an order taken after {why}")
            - moment
        )

    def outcomes_between(self, start: float, end: float) -> dict:
        with self._lock:
            return dict(
                Counter(
                    outcome for t, outcome in self.answers if start <= t <= end and outcome != "2xx"
                )
            )


def rows(service: str, query: str) -> list:
    database = Database(config.database_url(service), source="self-healing-test")
    try:
        with database.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        database.dispose()


@contextmanager
def supervised_network(backend: str, amqp_uri: str, tmp_path: Path, monkeypatch):
    """`maillage run` on `amqp_uri` (one node, or a cluster's, comma-separated), with its own
    data folder, and PostgreSQL databases of its own when `backend` is postgresql."""
    data = tmp_path / "data"
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "MAILLAGE_DATA_DIR": str(data),
        "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
        "GATEWAY_SECRET": "self-healing-" + uuid.uuid4().hex,
        "MAILLAGE_LOG_LEVEL": "INFO",
    }
    created = []
    if backend == "postgresql":
        for service in config.SERVICES:
            created.append(create_pg_database())
            env[f"{service.upper()}_DATABASE_URL"] = created[-1]
    for name in (
        "AMQP_URI",
        "MAILLAGE_DATA_DIR",
        *[f"{s.upper()}_DATABASE_URL" for s in config.SERVICES],
    ):
        if name in env:
            monkeypatch.setenv(name, env[name])  # for the checks made from this process
    network = Supervised(tmp_path, env)
    try:
        network.wait_up()
        yield network
    finally:
        network.stop()
        for url in created:
            drop_pg_database(url)


def assert_each_order_once(load, key_prefix: str, amqp_uri: str, diagnose=None) -> str:
    """After a fault under a load of orders: every order asked was stored once, its `order.placed`
    published once and claimed once by the partners service, and no dead letter. Returns the
    line of figures the test prints. `diagnose()`, if given, says what the test knows of the
    broker and the processes when events are missing (queue depths, consumers, log lines)."""
    stored = rows(
        "orders",
        f"SELECT idempotency_key, id FROM orders WHERE idempotency_key LIKE '{key_prefix}-%'",
    )
    keys = [key for key, _id in stored]
    assert len(keys) == len(set(keys)) and set(keys) == load.asked, "each order stored once"
    assert {order_id for _key, order_id in stored} == set(load.placed.values())
    pending = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    wait_until(
        lambda: rows("orders", pending)[0][0] == 0,
        timeout=90,
        message="the orders outbox published",
    )
    placed_events = {
        json.loads(body)["payload"]["order_id"]: event_id
        for event_id, body in rows(
            "orders", "SELECT event_id, body FROM outbox WHERE type = 'order.placed'"
        )
    }
    ours = {placed_events[order_id] for order_id in load.placed.values()}
    assert len(ours) == len(load.placed), "one order.placed per order"

    def claimed():
        return [
            row[0]
            for row in rows(
                "partners",
                "SELECT event_id FROM inbox WHERE consumer = 'partners.on_partner_event'",
            )
            if row[0] in ours
        ]

    try:
        wait_until(lambda: set(claimed()) == ours, timeout=90, message="every order.placed claimed")
    except AssertionError:
        got = claimed()
        raise AssertionError(
            f"{len(ours - set(got))} of {len(ours)} order.placed never claimed by partners in 90 s "
            f"({len(got) - len(set(got))} claimed twice)" + (f"\n{diagnose()}" if diagnose else "")
        ) from None
    assert len(claimed()) == len(ours), "each consumed once"
    letters = DeadLetterQueue(amqp_uri).list()
    assert not letters, [letter.as_dict() for letter in letters]
    return (
        f"asked {len(load.asked)} / stored {len(stored)} / published {len(ours)} / consumed "
        f"{len(claimed())} / lost {len(load.asked - set(keys))} / doubled "
        f"{len(keys) - len(set(keys))}"
    )
