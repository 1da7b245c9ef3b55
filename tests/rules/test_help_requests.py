"""A help request's workflow, through its service layer (services/orders/help_requests.py) on a
unit of work in memory: each step in its turn, time-stamped, the acceptance told, and the minutes
told once confirmed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backbone.errors import Conflict
from backbone.schemas import load
from backbone.testing import FakeUnitOfWork
from services.orders import help_requests
from services.orders.models import HelpRequest
from services.orders.schemas.help_requests import (
    AssignInput,
    DoneInput,
    HelpCancelInput,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VILLAGE = str(uuid.uuid4())
VOLUNTEER = str(uuid.uuid4())


def a_request(status: str) -> HelpRequest:
    return HelpRequest(
        village_id=VILLAGE,
        requester_member_id=str(uuid.uuid4()),
        skill="jardinage",
        place="Jardin de la mairie",
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=2),
        status=status,
        volunteer_id=str(uuid.uuid4()),
        volunteer_member_id=VOLUNTEER,
        created_at=NOW,
    )


def test_a_request_accepted_done_and_confirmed_credits_the_minutes_once():
    request = a_request("assigned")
    uow = FakeUnitOfWork("orders", [request])
    help_requests.accept(uow, request.id, [VILLAGE], NOW)
    help_requests.mark_done(
        uow, request.id, load(DoneInput(), {"minutes": 90}), [VILLAGE], NOW + timedelta(days=2)
    )
    # the requester learns who comes; nothing credited before they confirm
    assert [type_ for type_, _payload in uow.committed_events] == ["help_request.accepted"]
    answer = help_requests.confirm(uow, request.id, [VILLAGE], NOW + timedelta(days=3))
    assert answer["status"] == "confirmed"
    assert (request.accepted_at, request.done_at, request.confirmed_at) == (
        NOW,
        NOW + timedelta(days=2),
        NOW + timedelta(days=3),
    )
    [_accepted, (type_, payload)] = uow.committed_events
    assert type_ == "help_request.completed"
    assert (payload["member_id"], payload["minutes"]) == (VOLUNTEER, 90)
    with pytest.raises(Conflict) as again:
        help_requests.confirm(uow, request.id, [VILLAGE], NOW + timedelta(days=4))
    assert (again.value.reason, again.value.field) == ("help_request_transition", "status")
    assert len(uow.committed_events) == 2


def test_a_request_cannot_be_done_before_it_is_accepted():
    request = a_request("assigned")
    uow = FakeUnitOfWork("orders", [request])
    with pytest.raises(Conflict) as early:
        help_requests.mark_done(uow, request.id, load(DoneInput(), {"minutes": 30}), [VILLAGE], NOW)
    assert early.value.details == {
        "current": "assigned",
        "requested": "done",
        "allowed": ["accepted", "requested", "cancelled"],  # requested: the volunteer declined
    }
    assert request.status == "assigned" and request.done_at is None and request.minutes is None


def test_a_cancelled_request_keeps_its_reason_and_tells_nothing():
    request = a_request("accepted")
    uow = FakeUnitOfWork("orders", [request])
    help_requests.cancel(
        uow, request.id, load(HelpCancelInput(), {"reason": "Il pleut"}), [VILLAGE], NOW
    )
    assert (request.status, request.cancel_reason, request.cancelled_at) == (
        "cancelled",
        "Il pleut",
        NOW,
    )
    # nothing for the requester nor the volunteer; the volunteer's hours are free again for the
    # other service's missions (events: animation roles)
    assert [(type_, p["booked"]) for type_, p in uow.committed_events] == [
        ("help_request.volunteer_booking", False)
    ]
    assert uow.commits == 1


def test_a_done_request_cannot_be_cancelled_nor_assigned_again():
    request = a_request("done")
    uow = FakeUnitOfWork("orders", [request])
    with pytest.raises(Conflict):
        help_requests.cancel(
            uow, request.id, load(HelpCancelInput(), {"reason": "Trop tard"}), [VILLAGE], NOW
        )
    # the wrong step is refused before the candidates are looked for
    with pytest.raises(Conflict) as refused:
        help_requests.assign(
            uow, request.id, load(AssignInput(), {"volunteer_id": "v"}), [VILLAGE], NOW
        )
    assert refused.value.reason == "help_request_transition"
    assert request.status == "done" and uow.commits == 0
