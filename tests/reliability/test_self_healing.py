"""The network heals itself: no one touches it while, under a load of orders from retrying clients,

- its RabbitMQ node restarts (a private node: own name, port and data folder; the machine's
  broker is untouched);
- each service process and then the gateway is SIGKILLed in turn, `maillage run` supervising.

Afterwards every order asked is there once, each `order.placed` published once and claimed once
by the partners' consumer, no dead letter, no 500; and after each fault the network takes orders
again within RECOVERY_SECONDS. The figures of each fault (seconds without a 2xx, what clients saw)
are printed: `pytest -s tests/reliability/test_self_healing.py`.
"""

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
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from backbone import config
from backbone.db import Database
from backbone.dead_letters import DeadLetterQueue
from tests.support.infrastructure import create_pg_database, drop_pg_database
from tests.support.reliability import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.alone, pytest.mark.stack, pytest.mark.broker]

REPO = Path(__file__).resolve().parents[2]
CONCIERGE = "lucie@maillage.test"
KILLED_IN_TURN = ["members", "partners", "orders", "events", "gateway"]
RECOVERY_SECONDS = 15  # the bound: orders taken again this soon after a fault ends
BROKER_AWAY_SECONDS = 10  # how long the broker node stays stopped
CLIENTS = 3


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class OrderLoad:
    """Concierges taking orders at the counter; a request whose answer is not a 2xx is sent again
    with the same idempotency key (as the counter's form does) until it is, or RETRY_FOR passes."""

    RETRY_FOR = 120

    def __init__(self, base_url: str):
        self.base_url = base_url
        login = requests.post(
            base_url + "/api/auth/login",
            json={"email": CONCIERGE, "password": "maillage-demo"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}
        self.village_id = requests.get(
            base_url + "/api/villages", headers=self.headers, timeout=10
        ).json()[0]["id"]
        members = requests.get(
            f"{base_url}/api/villages/{self.village_id}/members", headers=self.headers, timeout=10
        ).json()
        catalogue = requests.get(
            f"{base_url}/api/villages/{self.village_id}/counter/catalogue?available=1",
            headers=self.headers,
            timeout=10,
        ).json()
        self.members = [m["id"] for m in members]
        self.items = [i for i in catalogue if i.get("available") and i.get("next_delivery_date")]
        assert self.members and self.items, "the demo village has members and a catalogue"
        self.asked: set[str] = set()
        self.placed: dict[str, str] = {}  # idempotency key -> order id
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
        key = f"heal-{uuid.uuid4()}"
        body = {
            "idempotency_key": key,
            "member_id": self.members[n % len(self.members)],
            "delivery_date": item["next_delivery_date"],
            "fulfilment": "counter",
            "lines": [{"item_id": item["item_id"], "quantity": 1}],
        }
        with self._lock:
            self.asked.add(key)
        give_up = time.monotonic() + self.RETRY_FOR
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
                return
            self._note(str(response.status_code))
            assert response.status_code >= 500 or response.status_code == 429, response.text
            time.sleep(0.3)

    def _run(self, client: int) -> None:
        n = client
        while not self._stop.is_set():
            self._order(n)
            n += CLIENTS

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


def _rows(service: str, query: str) -> list:
    database = Database(config.database_url(service), source="self-healing-test")
    try:
        with database.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        database.dispose()


@pytest.fixture
def supervised_network(backend, private_rabbit, tmp_path, monkeypatch):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "AMQP_URI": private_rabbit.amqp_uri,
        "MAILLAGE_DATA_DIR": str(data),
        "GATEWAY_ADDRESS": f"127.0.0.1:{_free_port()}",
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


def _restart_broker(rabbit) -> float:
    rabbit.stop_app()
    time.sleep(BROKER_AWAY_SECONDS)
    rabbit.start_app()
    return time.monotonic()


def _kill(network: Supervised, name: str) -> float:
    pid = network.pid(name)
    assert pid, f"{name} is running: {network.processes()[name]}"
    os.kill(pid, signal.SIGKILL)
    moment = time.monotonic()
    wait_until(
        lambda: network.pid(name) not in (None, pid),
        timeout=30,
        interval=0.1,
        message=f"the supervisor to start {name} again",
    )
    return moment


# On PostgreSQL, as deployed (compose): the faults are the broker's and the processes', whose
# recovery (the supervisor, the relays, the consumers) is the same code on either engine, and each
# run takes a minute of the suite's `alone` pass
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_network_heals_itself_under_load(supervised_network, private_rabbit):
    network = supervised_network
    load = OrderLoad(network.base_url)
    load.start()
    figures = []
    try:
        load.wait_success_after(time.monotonic(), "the load started")
        faults = [("broker restart", lambda: _restart_broker(private_rabbit))]
        faults += [
            (f"SIGKILL {name}", lambda name=name: _kill(network, name)) for name in KILLED_IN_TURN
        ]
        for label, fault in faults:
            time.sleep(2)  # orders flow before each fault
            began = time.monotonic()
            last_before = load.last_success()
            fault_over = fault()
            recovered_in = load.wait_success_after(fault_over, label)
            back = fault_over + recovered_in
            figures.append(
                (label, back - last_before, recovered_in, load.outcomes_between(began, back))
            )
            assert recovered_in < RECOVERY_SECONDS, (label, recovered_in, network.output())
            if label == "broker restart":
                time.sleep(2)
                exited = {
                    name: p
                    for name, p in network.processes().items()
                    if p["restarts"] or p["last_exit"]
                }
                assert not exited, (
                    f"a broker restart kills no process: {exited}\n{network.output()}"
                )
        time.sleep(2)
    finally:
        load.stop()

    print(
        "\nfault | seconds without a 2xx | taken again after "
        "the fault ended | errors seen by clients"
    )
    for label, gap, recovered_in, errors in figures:
        print(f"{label} | {gap:.1f} | {recovered_in:.1f} | {errors or '-'}")

    outcomes = Counter(outcome for _t, outcome in load.answers)
    assert outcomes["500"] == 0, outcomes
    assert load.asked == set(load.placed), (
        f"every order asked was taken in the end ({len(load.asked)} asked)"
    )
    stored = _rows(
        "orders", "SELECT idempotency_key, id FROM orders WHERE idempotency_key LIKE 'heal-%'"
    )
    keys = [key for key, _id in stored]
    assert len(keys) == len(set(keys)) and set(keys) == load.asked, "each order stored once"
    assert {order_id for _key, order_id in stored} == set(load.placed.values())
    wait_until(
        lambda: (
            _rows("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
        ),
        timeout=90,
        message="the orders outbox published",
    )
    placed_events = {
        json.loads(body)["payload"]["order_id"]: event_id
        for event_id, body in _rows(
            "orders", "SELECT event_id, body FROM outbox WHERE type = 'order.placed'"
        )
    }
    ours = {placed_events[order_id] for order_id in load.placed.values()}
    assert len(ours) == len(load.placed), "one order.placed per order"

    def claimed():
        return [
            row[0]
            for row in _rows(
                "partners",
                "SELECT event_id FROM inbox WHERE consumer = 'partners.on_partner_event'",
            )
            if row[0] in ours
        ]

    wait_until(
        lambda: set(claimed()) == ours, timeout=90, message="every order.placed claimed by partners"
    )
    assert len(claimed()) == len(ours), "each consumed once"
    letters = DeadLetterQueue(private_rabbit.amqp_uri).list()
    assert not letters, [letter.as_dict() for letter in letters]
    print(
        f"asked {len(load.asked)} / stored {len(stored)} / published {len(ours)} / consumed "
        f"{len(claimed())} / lost {len(load.asked - set(keys))} / doubled "
        f"{len(keys) - len(set(keys))}; answers {dict(outcomes)}"
    )
