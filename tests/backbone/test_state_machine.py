"""The shared transition helper (backbone/state_machine.py) and the unit of work in memory that
lets the rules be tested without a database (backbone/testing.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import and_, select

from backbone.errors import Conflict
from backbone.state_machine import Event, Lifecycle, record_events
from backbone.testing import FakeUnitOfWork
from services.orders.models import Order

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DOOR = Lifecycle(
    reason="door_transition",
    field="status",
    transitions={"shut": ("open", "locked"), "open": ("shut",), "locked": ()},
    stamps={"locked": "locked_at"},
)


def test_an_allowed_move_sets_the_status_and_its_stamp_and_answers_the_status_left():
    door = SimpleNamespace(status="shut", locked_at=None)
    assert DOOR.move(door, "locked", NOW) == "shut"
    assert (door.status, door.locked_at) == ("locked", NOW)


def test_a_move_to_a_status_without_a_stamp_sets_only_the_status():
    door = SimpleNamespace(status="shut", locked_at=None)
    DOOR.move(door, "open", NOW)
    assert (door.status, door.locked_at) == ("open", None)


def test_a_refused_move_is_a_conflict_naming_the_states_and_changes_nothing():
    door = SimpleNamespace(status="open", locked_at=None)
    with pytest.raises(Conflict) as refused:
        DOOR.move(door, "locked", NOW)
    assert (refused.value.reason, refused.value.field) == ("door_transition", "status")
    assert refused.value.details == {"current": "open", "requested": "locked", "allowed": ["shut"]}
    assert (door.status, door.locked_at) == ("open", None)


def test_nothing_follows_a_final_status_nor_an_unknown_one():
    assert DOOR.allowed("locked") == () and DOOR.allowed("ajar") == ()
    with pytest.raises(Conflict) as refused:
        DOOR.check("ajar", "open")
    assert refused.value.details["allowed"] == []


def test_events_are_recorded_in_their_order_and_reach_the_outbox_only_at_the_commit():
    village_id = str(uuid.uuid4())
    uow = FakeUnitOfWork("members")
    record_events(
        uow,
        [
            Event(
                "village.status_changed",
                {"village_id": village_id, "from": "open", "to": "paused", "reason": None},
                village_id,
            ),
            Event(
                "village.status_changed",
                {"village_id": village_id, "from": "paused", "to": "open", "reason": None},
                village_id,
            ),
        ],
    )
    assert [payload["to"] for _type, payload in uow.pending_events] == ["paused", "open"]
    assert uow.committed_events == []
    uow.commit()
    assert [payload["to"] for _type, payload in uow.committed_events] == ["paused", "open"]
    assert uow.pending_events == [] and uow.commits == 1


def test_a_rollback_drops_the_events_not_committed():
    village_id = str(uuid.uuid4())
    with FakeUnitOfWork("members") as uow:
        uow.record_event(
            "village.status_changed",
            {"village_id": village_id, "from": "open", "to": "paused", "reason": None},
            village_id=village_id,
        )
    assert uow.pending_events == [] and uow.committed_events == []


def _order(status: str, village_id: str = "v1") -> Order:
    return Order(
        village_id=village_id,
        member_id="m1",
        idempotency_key=str(uuid.uuid4()),
        status=status,
        fulfilment="counter",
    )


def test_the_fake_session_fills_defaults_and_finds_rows_by_key_and_by_simple_filters():
    placed, ready, elsewhere = _order("placed"), _order("ready"), _order("ready", village_id="v2")
    session = FakeUnitOfWork(rows=[placed, ready, elsewhere]).session
    assert placed.id and placed.placed_at is not None and placed.total_cents == 0
    assert session.get(Order, ready.id) is ready and session.get(Order, "nope") is None
    in_v1 = select(Order).where(Order.village_id == "v1")
    assert session.scalars(in_v1.where(Order.status == "ready")).all() == [ready]
    assert session.scalars(
        select(Order).where(and_(Order.status.in_(["ready"]), Order.village_id != "v1"))
    ).all() == [elsewhere]
    assert session.scalar(select(Order).where(Order.reason.is_(None)).with_for_update()) is placed


def test_the_fake_session_refuses_a_query_it_cannot_answer_rather_than_pretend():
    session = FakeUnitOfWork(rows=[_order("placed")]).session
    with pytest.raises(NotImplementedError):
        session.scalars(select(Order.id))
    with pytest.raises(NotImplementedError):
        session.scalars(select(Order).where(Order.total_cents > 0))
    with pytest.raises(NotImplementedError):
        session.execute(select(Order))
