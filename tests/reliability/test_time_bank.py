"""The time bank against the real broker (issue 3's DONE criterion): an event delivered twice
credits the hours once; `animation.attended` credits each volunteer once."""

import uuid
from datetime import UTC, datetime

import pytest

from backbone import topology
from backbone.contracts import build_envelope
from backbone.dead_letters import DeadLetterQueue
from services.members import time_bank
from services.members.models import TimeBankEntry
from services.members.service import MembersService
from tests.support.reliability import count, inbox_count, wait_until

pytestmark = pytest.mark.broker


@pytest.fixture
def members(amqp_uri, nameko_config, service_db, start_container, broker_client):
    database = service_db("members")
    _container, workers = start_container(MembersService, nameko_config)
    client = broker_client(amqp_uri, topology.subscriptions_of(MembersService))
    return database, workers, client


def _totals(database):
    with database.unit_of_work() as uow:
        return {t["village_id"]: t for t in time_bank.totals(uow) if t["month"] is None}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_completed_help_request_delivered_twice_credits_the_hours_once(members, amqp_uri):
    database, workers, client = members
    village_id, member_id = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = build_envelope(
        "help_request.completed",
        {
            "help_request_id": str(uuid.uuid4()),
            "village_id": village_id,
            "member_id": member_id,
            "skill": "lavage_vitres",
            "minutes": 90,
            "completed_at": datetime.now(UTC),
        },
        village_id=village_id,
        source="orders",
    )

    client.publish_envelope(envelope)
    client.publish_envelope(envelope)  # the same envelope again: an at-least-once redelivery

    wait_until(
        lambda: workers.runs("on_help_request_completed", ok=True) == 2,
        message="both copies to be handled and acknowledged",
    )
    assert count(database, TimeBankEntry) == 1
    assert inbox_count(database, "members.on_help_request_completed") == 1
    assert _totals(database)[village_id]["minutes"] == 90
    assert DeadLetterQueue(amqp_uri).list() == [], "a duplicate is not an error"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_animation_credits_each_volunteer_once(members, amqp_uri):
    database, workers, client = members
    village_id, alice, bruno = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    envelope = build_envelope(
        "animation.attended",
        {
            "animation_id": str(uuid.uuid4()),
            "village_id": village_id,
            "volunteers": [
                {"member_id": alice, "role": "accueil", "minutes": 120},
                {"member_id": bruno, "role": "atelier couture", "minutes": 150},
            ],
        },
        village_id=village_id,
        source="events",
    )

    client.publish_envelope(envelope)
    client.publish_envelope(envelope)

    wait_until(
        lambda: workers.runs("on_animation_attended", ok=True) == 2, message="both copies handled"
    )
    assert count(database, TimeBankEntry) == 2
    assert count(database, TimeBankEntry, TimeBankEntry.member_id == alice) == 1
    totals = _totals(database)[village_id]
    assert totals["minutes"] == 270 and totals["volunteers"] == 2
    assert DeadLetterQueue(amqp_uri).list() == []
