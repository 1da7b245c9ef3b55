"""The guarded state machines under random sequences of requested moves (hypothesis):

- a village's status (members, `Village.LIFECYCLE`) and a suggestion's workflow (events,
  `Suggestion.LIFECYCLE`), through their service layers on SQLite and PostgreSQL: an allowed move
  changes the state and records exactly one event naming it; a refused one is a Conflict naming the
  current and requested states, and changes nothing (no state, no event);
- an order's status (orders, `Order.LIFECYCLE`) through `Order.move_to`, the one place an order's
  status changes, without a database: same rule, plus the time stamps of the move.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backbone.errors import Conflict
from backbone.schemas import load
from backbone.state_machine import record_events
from backbone.tables import OutboxEvent
from backbone.testing import FakeUnitOfWork
from services.events import suggestions
from services.events.models import KnownVillage, Suggestion
from services.events.schemas import (
    SuggestionInput,
    SuggestionStatusInput,
)
from services.members import villages
from services.members.models import Village
from services.orders.models import Order
from tests.support.reliability import open_village

VILLAGE_TRANSITIONS = Village.LIFECYCLE.transitions
SUGGESTION_TRANSITIONS = Suggestion.LIFECYCLE.transitions
ORDER_TRANSITIONS = Order.LIFECYCLE.transitions

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
    "transitions, start",
    [
        (VILLAGE_TRANSITIONS, "preparing"),
        (SUGGESTION_TRANSITIONS, "new"),
        (ORDER_TRANSITIONS, "placed"),
    ],
)
def test_every_state_is_reachable_and_names_only_known_states(transitions, start):
    assert _reachable(transitions, start) == set(transitions)
    assert all(set(targets) <= set(transitions) for targets in transitions.values())


# --- a village's status --------------------------------------------------------------------------

VILLAGE_STATES = sorted(VILLAGE_TRANSITIONS)


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
            if requested in VILLAGE_TRANSITIONS[state]:
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
    assert all(c["payload"]["to"] in VILLAGE_TRANSITIONS[c["payload"]["from"]] for c in changes)


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
                opened_at=datetime.now(UTC),
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
            uow,
            village_id,
            load(SuggestionInput(), {"category": "mobilite", "text": "Un bus le mardi"}),
        )
    state, recorded = made["status"], 0
    for requested in moves:
        data = {"status": requested, "reason": "Pas de budget" if requested == "declined" else None}
        with database.unit_of_work() as uow:
            if requested in SUGGESTION_TRANSITIONS[state]:
                assert (
                    suggestions.change_status(
                        uow, made["id"], load(SuggestionStatusInput(), data), None
                    )["status"]
                    == requested
                )
                state, recorded = requested, recorded + 1
            else:
                with pytest.raises(Conflict) as refused:
                    suggestions.change_status(
                        uow, made["id"], load(SuggestionStatusInput(), data), None
                    )
                assert refused.value.details == {
                    "current": state,
                    "requested": requested,
                    "allowed": list(SUGGESTION_TRANSITIONS[state]),
                }
        with database.unit_of_work() as uow:
            assert suggestions.get_suggestion(uow, made["id"], None)["status"] == state
    assert len(_events(database, "suggestion.answered", "suggestion_id", made["id"])) == recorded


# --- an order's status ---------------------------------------------------------------------------


ORDER_STAMPS = {"confirmed": "confirmed_at", "ready": "ready_at"}  # any other move closes it


@settings(max_examples=200, deadline=None)
@given(moves=st.lists(st.sampled_from(sorted(ORDER_TRANSITIONS)), max_size=8))
def test_an_order_moves_only_along_its_transitions(moves):
    order = Order(
        id="o1",
        village_id=str(uuid.UUID(int=1)),
        member_id="m1",
        status="placed",
        fulfilment="counter",
        delivery_date=date(2026, 12, 2),
        total_cents=0,
    )
    uow, expected = FakeUnitOfWork("orders"), []
    for n, requested in enumerate(moves):
        now = datetime(2026, 12, 1, 9, n, tzinfo=UTC)
        before = order.status
        if requested in ORDER_TRANSITIONS[before]:
            record_events(uow, order.move_to(requested, now))
            expected.append(f"order.{requested}")
            assert order.status == requested
            assert getattr(order, ORDER_STAMPS.get(requested, "closed_at")) == now
        else:
            with pytest.raises(Conflict) as refused:
                order.move_to(requested, now)
            assert refused.value.reason == "order_status_transition"
            assert refused.value.details["current"] == before
            assert order.status == before
    assert [type_ for type_, _payload in uow.pending_events] == expected
    if order.status in ("collected", "delivered", "cancelled", "refused"):
        assert ORDER_TRANSITIONS[order.status] == ()
