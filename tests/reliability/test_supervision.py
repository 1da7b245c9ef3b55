"""`maillage run` supervises its processes: one that exits is started again, with pauses that grow
while it keeps dying; the supervisor's status file says so, and `/health` shows it."""

from __future__ import annotations

import json
import sys
import time

import pytest

from maillage import runner
from tests.support.reliability import wait_until

DIES_AT_ONCE = (
    "import sys; print('RuntimeError: the database URL is wrong', flush=True); sys.exit(3)"
)
RUNS = "import time; time.sleep(120)"


@pytest.fixture
def network(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "RESTART_FIRST", 0.05)
    lines = []
    net = runner.Network(tmp_path / "log", report=lines.append)
    net.processes = [
        runner.Process("flaky", [sys.executable, "-c", DIES_AT_ONCE]),
        runner.Process("steady", [sys.executable, "-c", RUNS]),
    ]
    net.lines = lines
    net.start()
    yield net
    net.stop(grace=2)


def _supervise_until(net, predicate, timeout=20):
    def look():
        net.supervise()
        return predicate()

    return wait_until(look, timeout=timeout, interval=0.02)


def test_a_process_that_exits_is_started_again_and_the_others_go_on(network):
    flaky, steady = network.processes
    first_pid, steady_pid = flaky.popen.pid, steady.popen.pid
    _supervise_until(network, lambda: flaky.restarts >= 1 and flaky.restart_at is None)
    assert flaky.popen.pid != first_pid
    assert steady.popen.pid == steady_pid and steady.popen.poll() is None, (
        "one death stops nothing else"
    )
    assert flaky.last_exit == 3 and flaky.last_error == "RuntimeError: the database URL is wrong"
    assert any(
        "flaky exited with 3" in line and "the database URL is wrong" in line
        for line in network.lines
    )


def test_the_pause_grows_while_it_keeps_dying_and_the_status_file_says_so(network):
    flaky = network.processes[0]
    pauses = []
    while len(pauses) < 4:
        network.supervise()
        if flaky.restart_at is not None and (not pauses or pauses[-1][0] != flaky.exits_in_a_row):
            pauses.append((flaky.exits_in_a_row, flaky.restart_at - time.monotonic()))
        time.sleep(0.01)
    delays = [delay for _n, delay in pauses]
    assert delays == sorted(delays) and delays[-1] > 4 * delays[0], f"doubling pauses: {delays}"
    status = json.loads(network.status_path.read_text())["processes"]
    assert (
        status["flaky"]["keeps_dying"] and status["flaky"]["exits_in_a_row"] >= runner.KEEPS_DYING
    )
    assert status["flaky"]["last_error"] == "RuntimeError: the database URL is wrong"
    assert status["steady"] == {
        **status["steady"],
        "state": "running",
        "restarts": 0,
        "keeps_dying": False,
    }


def test_a_stop_by_the_operator_restarts_nothing(network):
    flaky, steady = network.processes
    _supervise_until(network, lambda: flaky.restart_at is not None)
    network.stop(grace=2)
    for _ in range(20):
        network.supervise()
        time.sleep(0.02)
    assert steady.popen.poll() is not None
    assert flaky.restart_at is None and flaky.popen.poll() is not None, "stopped means stopped"


def test_a_process_that_ran_long_enough_restarts_quickly_again(network, monkeypatch):
    flaky = network.processes[0]
    _supervise_until(network, lambda: flaky.exits_in_a_row >= 2 and flaky.restart_at is None)
    monkeypatch.setattr(
        runner, "STABLE_AFTER", 0.0
    )  # as if it had run a long while before this exit
    _supervise_until(network, lambda: flaky.restart_at is not None)
    assert flaky.exits_in_a_row == 1
    assert flaky.restart_at - time.monotonic() <= runner.RESTART_FIRST


def test_a_process_killed_by_a_signal_is_said_so(tmp_path):
    log = tmp_path / "orders.log"
    log.write_text("INFO maillage.relay: orders relay: publishing\n")
    assert runner.last_error(log, -9) == "killed by SIGKILL"
    log.write_text(
        "kombu.exceptions.OperationalError: [Errno 111] Connection refused\nINFO later\n"
    )
    assert (
        runner.last_error(log, -9)
        == "kombu.exceptions.OperationalError: [Errno 111] Connection refused"
    )
    assert runner.last_error(tmp_path / "missing.log", -15) == "killed by SIGTERM"
