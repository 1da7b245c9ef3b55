"""A village's status, through its service layer (services/members/villages.py) on a unit of work
in memory: open ↔ paused, closed for good, each change told with where it came from."""

from __future__ import annotations

import pytest

from backbone.errors import Conflict
from backbone.testing import FakeUnitOfWork
from services.members import villages
from services.members.models import Village


def a_village(status: str) -> Village:
    return Village(
        slug="saint-julien",
        name="Saint-Julien",
        commune="Saint-Julien-sur-Veyle",
        insee_code="01385",
        postcode="01540",
        kind="fixed",
        status=status,
    )


def test_a_paused_village_opens_again_and_each_change_is_told():
    village = a_village("open")
    uow = FakeUnitOfWork("members", [village])
    paused = villages.change_status(uow, village.id, "paused", "Congés de la concierge")
    assert (paused["status"], paused["status_reason"]) == ("paused", "Congés de la concierge")
    assert paused["status_changed_at"] is not None
    assert villages.change_status(uow, village.id, "open")["status_reason"] is None
    assert uow.committed_events == [
        (
            "village.status_changed",
            {
                "village_id": village.id,
                "from": "open",
                "to": "paused",
                "reason": "Congés de la concierge",
            },
        ),
        (
            "village.status_changed",
            {"village_id": village.id, "from": "paused", "to": "open", "reason": None},
        ),
    ]


def test_a_village_in_preparation_cannot_be_paused():
    village = a_village("preparing")
    uow = FakeUnitOfWork("members", [village])
    with pytest.raises(Conflict) as refused:
        villages.change_status(uow, village.id, "paused", "raison")
    assert refused.value.reason == "village_status_transition"
    assert refused.value.details == {
        "current": "preparing",
        "requested": "paused",
        "allowed": ["open", "closed"],
    }
    assert (village.status, village.status_reason, village.status_changed_at) == (
        "preparing",
        None,
        None,
    )
    assert uow.committed_events == []


def test_a_closed_village_stays_closed():
    village = a_village("open")
    uow = FakeUnitOfWork("members", [village])
    villages.change_status(uow, village.id, "closed", "Fin du bail")
    for status in ("open", "paused", "preparing"):
        with pytest.raises(Conflict):
            villages.change_status(uow, village.id, status)
    assert village.status == "closed" and len(uow.committed_events) == 1
