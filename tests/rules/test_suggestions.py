"""A suggestion's workflow, through its service layer (services/events/suggestions.py) on a unit of
work in memory: one step at a time, what answered it, and why it was declined."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from backbone.errors import Conflict, InvalidInput
from backbone.schemas import load
from backbone.testing import FakeUnitOfWork
from services.events import suggestions
from services.events.models import KnownOffer, Suggestion
from services.events.schemas import (
    SuggestionStatusInput,
)

VILLAGE = str(uuid.uuid4())
BUS = KnownOffer(
    id=str(uuid.uuid4()),
    partner_id=str(uuid.uuid4()),
    name="Navette du mardi",
    changed_at=datetime(2026, 11, 1, tzinfo=UTC),
)


def a_suggestion(status: str = "new") -> Suggestion:
    return Suggestion(
        village_id=VILLAGE, category="mobilite", text="Un bus le mardi", status=status
    )


def move(uow, suggestion, status, reason=None, answered_by=None) -> dict:
    data = {"status": status, "reason": reason, "answered_by": answered_by}
    return suggestions.change_status(
        uow, suggestion.id, load(SuggestionStatusInput(), data), [VILLAGE]
    )


def test_a_suggestion_studied_planned_and_done_keeps_what_answered_it():
    suggestion = a_suggestion()
    uow = FakeUnitOfWork("events", [suggestion, BUS])
    move(uow, suggestion, "under_study")
    first_answer = suggestion.answered_at
    planned = move(uow, suggestion, "planned", answered_by={"kind": "offer", "id": BUS.id})
    assert planned["answered_by"] == {"kind": "offer", "id": BUS.id}
    done = move(uow, suggestion, "done")
    assert done["status"] == "done" and done["answered_by"] == {"kind": "offer", "id": BUS.id}
    assert suggestion.answered_at == first_answer  # the first move out of "new"
    told = [(payload["status"], payload["answered_by"]) for _type, payload in uow.committed_events]
    assert told == [
        ("under_study", None),
        ("planned", {"kind": "offer", "id": BUS.id}),
        ("done", {"kind": "offer", "id": BUS.id}),
    ]


def test_a_declined_suggestion_is_answered_by_nothing_and_says_why():
    suggestion = a_suggestion("planned")
    suggestion.answered_by_kind, suggestion.answered_by_id = "offer", BUS.id
    uow = FakeUnitOfWork("events", [suggestion, BUS])
    declined = move(uow, suggestion, "declined", reason="Pas de budget")
    assert (declined["decline_reason"], declined["answered_by"]) == ("Pas de budget", None)
    [(type_, payload)] = uow.committed_events
    assert type_ == "suggestion.answered"
    assert (payload["reason"], payload["answered_by"]) == ("Pas de budget", None)


def test_a_step_cannot_be_skipped_even_with_an_unknown_answer():
    suggestion = a_suggestion()
    uow = FakeUnitOfWork("events", [suggestion])
    unknown = {"kind": "offer", "id": str(uuid.uuid4())}
    with pytest.raises(Conflict) as skipped:
        move(uow, suggestion, "done", answered_by=unknown)
    assert skipped.value.reason == "suggestion_status_transition"
    assert skipped.value.details == {
        "current": "new",
        "requested": "done",
        "allowed": ["under_study", "declined"],
    }
    assert suggestion.status == "new" and uow.committed_events == []


def test_an_answer_that_points_to_nothing_is_refused_and_changes_nothing():
    suggestion = a_suggestion("under_study")
    uow = FakeUnitOfWork("events", [suggestion])
    with pytest.raises(InvalidInput) as refused:
        move(uow, suggestion, "planned", answered_by={"kind": "offer", "id": "nope"})
    assert "answered_by" in refused.value.errors
    assert suggestion.status == "under_study" and suggestion.answered_at is None
