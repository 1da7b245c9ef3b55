"""`@woken_timer` (backbone/woken_timer.py) in a running container: a commit of the rows it names
wakes it once, a rollback or a commit of nothing does not; wakes while it runs make it run once
again, after a short gap; the seconds it returns bring its next run forward; it stops at once,
however long its interval."""

import time

import eventlet
import pytest

from backbone.contracts import parse_envelope
from backbone.dependencies import DatabaseProvider
from backbone.woken_timer import woken_timer
from services.orders.models import KnownVillage
from services.orders.read_models import facts
from tests.support.reliability import village_envelope, wait_until

pytestmark = pytest.mark.broker

RUNS: list[float] = []
GAP = 0.2  # the least time between two runs
PLAN: dict = {"next_in": [], "pause": 0.0}


class Sweeper:
    """Sweeps when a village is written (its interval, a minute, is never reached here)."""

    name = "sweeper"
    db = DatabaseProvider("orders")

    @woken_timer(interval=60, woken_by=KnownVillage, min_gap=GAP)
    def sweep(self):
        RUNS.append(time.monotonic())
        eventlet.sleep(PLAN["pause"])
        return PLAN["next_in"].pop(0) if PLAN["next_in"] else None


@pytest.fixture
def sweeper(nameko_config, service_db, start_container, monkeypatch):
    service_db("orders")
    RUNS.clear()
    monkeypatch.setitem(PLAN, "next_in", [])
    monkeypatch.setitem(PLAN, "pause", 0.0)
    container, _workers = start_container(Sweeper, nameko_config)
    database = next(d for d in container.dependencies if isinstance(d, DatabaseProvider)).database
    return container, database


def _add_village(database, *, commit: bool) -> None:
    with database.unit_of_work() as uow:
        uow.session.add(KnownVillage(**facts.village_row(parse_envelope(village_envelope()))))
        uow.session.flush()
        if commit:
            uow.commit()
        else:
            uow.rollback()


def _quiet(seconds: float = 0.5) -> int:
    eventlet.sleep(seconds)
    return len(RUNS)


def test_a_commit_of_its_rows_wakes_it_once_and_nothing_else_does(sweeper):
    _container, database = sweeper
    assert _quiet() == 0, "not eager: no run at start"

    _add_village(database, commit=False)
    with database.unit_of_work() as uow:
        uow.commit()  # a commit that wrote nothing
    assert _quiet() == 0, "a rollback and an empty commit wake nothing"

    _add_village(database, commit=True)
    wait_until(lambda: len(RUNS) == 1, timeout=5, message="woken by the commit")
    assert _quiet() == 1, "once"


def test_a_wake_while_it_runs_makes_it_run_again_after(sweeper):
    _container, database = sweeper
    PLAN["pause"] = 1.5  # the two commits below land during it, even on a busy CI
    _add_village(database, commit=True)
    wait_until(lambda: len(RUNS) == 1, timeout=5, message="the first run")
    _add_village(database, commit=True)  # during the first run's pause
    _add_village(database, commit=True)
    wait_until(lambda: len(RUNS) == 2, timeout=5, message="run again for what came meanwhile")
    assert RUNS[1] - RUNS[0] >= PLAN["pause"] + GAP, "after the first run and a gap"
    assert _quiet(2.0) == 2, "the two wakes meanwhile make one run"


def test_the_seconds_it_returns_bring_its_next_run_forward_and_it_stops_at_once(sweeper):
    container, database = sweeper
    PLAN["next_in"] = [0.3, 0.2]
    _add_village(database, commit=True)
    wait_until(lambda: len(RUNS) == 3, timeout=5, message="two runs it asked for")
    assert 0.25 <= RUNS[1] - RUNS[0] < 1.5 and 0.15 <= RUNS[2] - RUNS[1] < 1.5
    assert _quiet() == 3, "then back to its interval"

    started = time.monotonic()
    container.stop()
    assert time.monotonic() - started < 5, "stopped without waiting out its interval"
