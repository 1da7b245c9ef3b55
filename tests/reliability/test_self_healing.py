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

import os
import signal
import time
from collections import Counter

import pytest

from tests.support import supervised
from tests.support.reliability import wait_until
from tests.support.supervised import OrderLoad, Supervised, assert_each_order_once

pytestmark = [pytest.mark.faults, pytest.mark.alone, pytest.mark.stack, pytest.mark.broker]

KILLED_IN_TURN = ["members", "partners", "orders", "events", "gateway"]
RECOVERY_SECONDS = 15  # the bound: orders taken again this soon after a fault ends
BROKER_AWAY_SECONDS = 10  # how long the broker node stays stopped


@pytest.fixture
def supervised_network(backend, private_rabbit, tmp_path, monkeypatch):
    with supervised.supervised_network(
        backend, private_rabbit.amqp_uri, tmp_path, monkeypatch
    ) as network:
        yield network


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
            time.sleep(1)  # orders flow before each fault (~15 of them)
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
    figures = assert_each_order_once(load, "heal", private_rabbit.amqp_uri)
    print(f"{figures}; answers {dict(outcomes)}")
