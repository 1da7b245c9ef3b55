"""The guarded state machines under random sequences of requested moves (hypothesis):

- a village's status (members, `villages.TRANSITIONS`) and a suggestion's workflow (events,
  `suggestions.TRANSITIONS`), through their service layers on SQLite and PostgreSQL: an allowed move
  changes the state and records exactly one event naming it; a refused one is a Conflict naming the
  current and requested states, and changes nothing (no state, no event);
- an order's status (orders, `ordering.TRANSITIONS`) through `ordering._move`, the one place an
  order's status changes: same rule, plus the time stamps of the move.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backbone.errors import Conflict
from backbone.tables import OutboxEvent
from services.events import suggestions
from services.events.models import KnownVillage
from services.members import villages
from tests.reliability.support import open_village

DB_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _events(database, type_: str, key: str, value: str) -> list[dict]:
    with database.unit_of_work() as uow:
        bodies = [
            json.loads(r.body)
            for r in uow.session.scalars(select(OutboxEvent).where(OutboxEvent.type == type_))
        ]
    return [b for b in bodies if b["payload"].get(key) == value]


def _reachable(transitions: dict, start: str) -> set:
    seen, todo = {start}, [start]
    while todo:
        for nxt in transitions[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize(
    "transitions, start", [(villages.TRANSITIONS, "preparing"), (suggestions.TRANSITIONS, "new")]
)
def test_every_state_is_reachable_and_names_only_known_states(transitions, start):
    assert _reachable(transitions, start) == set(transitions)
    assert all(set(targets) <= set(transitions) for targets in transitions.values())


# --- a village's status --------------------------------------------------------------------------

VILLAGE_STATES = sorted(villages.TRANSITIONS)


@pytest.fixture
def members_db(service_db):
    return service_db("members")


@DB_SETTINGS
@given(moves=st.lists(st.sampled_from(VILLAGE_STATES), max_size=8))
def test_a_village_moves_only_along_its_transitions(members_db, moves):
    village = open_village(members_db)
    state, recorded = village["status"], 0
    for requested in moves:
        with members_db.unit_of_work() as uow:
            if requested in villages.TRANSITIONS[state]:
                assert (
                    villages.change_status(uow, village["id"], requested, "raison")["status"]
                    == requested
                )
                state, recorded = requested, recorded + 1
            else:
                with pytest.raises(Conflict) as refused:
                    villages.change_status(uow, village["id"], requested, "raison")
                assert refused.value.reason == "village_status_transition"
                assert refused.value.details["current"] == state
                assert refused.value.details["requested"] == requested
        with members_db.unit_of_work() as uow:
            assert villages.get_village(uow, village["id"])["status"] == state
    changes = _events(members_db, "village.status_changed", "village_id", village["id"])
    assert len(changes) == recorded
    assert all(c["payload"]["to"] in villages.TRANSITIONS[c["payload"]["from"]] for c in changes)


# --- a suggestion's workflow ---------------------------------------------------------------------

SUGGESTION_MOVES = ["under_study", "planned", "done", "declined"]


@pytest.fixture
def events_village(service_db):
    database = service_db("events")
    village_id = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(
                id=village_id,
                slug="v",
                name="Village",
                commune="C",
                opened_at=datetime.now(timezone.utc),
            )
        )
        uow.commit()
    return database, village_id


@DB_SETTINGS
@given(moves=st.lists(st.sampled_from(SUGGESTION_MOVES), max_size=6))
def test_a_suggestion_moves_only_along_its_workflow(events_village, moves):
    database, village_id = events_village
    with database.unit_of_work() as uow:
        made = suggestions.create_suggestion(
            uow, village_id, {"category": "mobilite", "text": "Un bus le mardi"}
        )
    state, recorded = made["status"], 0
    for requested in moves:
        data = {"status": requested, "reason": "Pas de budget" if requested == "declined" else None}
        with database.unit_of_work() as uow:
            if requested in suggestions.TRANSITIONS[state]:
                assert suggestions.change_status(uow, made["id"], data, None)["status"] == requested
                state, recorded = requested, recorded + 1
            else:
                with pytest.raises(Conflict) as refused:
                    suggestions.change_status(uow, made["id"], data, None)
                assert refused.value.details == {
                    "current": state,
                    "requested": requested,
                    "allowed": list(suggestions.TRANSITIONS[state]),
                }
        with database.unit_of_work() as uow:
            assert suggestions.get_suggestion(uow, made["id"], None)["status"] == state
    assert len(_events(database, "suggestion.answered", "suggestion_id", made["id"])) == recorded


# --- an order's status ---------------------------------------------------------------------------


def _orders():
    from services.orders import ordering

    return ordering


class _Recorder:
    """What `_move` needs of a unit of work: somewhere to record the event."""

    def __init__(self):
        self.events = []

    def record_event(self, type_, payload, village_id=None):
        self.events.append((type_, payload, village_id))


@settings(max_examples=200, deadline=None)
@given(
    moves=st.lists(
        st.sampled_from(
            ["placed", "confirmed", "ready", "collected", "delivered", "cancelled", "refused"]
        ),
        max_size=8,
    )
)
def test_an_order_moves_only_along_its_transitions(moves):
    ordering = _orders()
    assert _reachable(ordering.TRANSITIONS, "placed") == set(ordering.TRANSITIONS)
    order = SimpleNamespace(
        id="o1",
        village_id="v1",
        status="placed",
        fulfilment="counter",
        delivery_date=None,
        lines=[],
        total_cents=0,
        reason=None,
        confirmed_at=None,
        ready_at=None,
        closed_at=None,
        member_id="m1",
        locker_compartment=None,
        locker_code=None,
        truck_stop=None,
    )
    uow, expected = _Recorder(), []
    for n, requested in enumerate(moves):
        now = datetime(2026, 12, 1, 9, n, tzinfo=timezone.utc)
        before = order.status
        if requested in ordering.TRANSITIONS[before]:
            ordering._move(uow, order, requested, now)
            expected.append(f"order.{requested}")
            assert order.status == requested
            stamp = {"confirmed": "confirmed_at", "ready": "ready_at"}.get(requested, "closed_at")
            assert getattr(order, stamp) == now
        else:
            with pytest.raises(Conflict) as refused:
                ordering._move(uow, order, requested, now)
            assert refused.value.reason == "order_status_transition"
            assert order.status == before
    assert [type_ for type_, _payload, _village in uow.events] == expected
    if order.status in ("collected", "delivered", "cancelled", "refused"):
        assert ordering.TRANSITIONS[order.status] == ()
