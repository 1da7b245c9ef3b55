"""Outbox and inbox on SQLite and PostgreSQL: change + events in one
transaction, duplicates ignored."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import ContractError
from backbone.tables import InboxEntry, OutboxEvent
from services.orders.models import KnownVillage
from services.orders.read_models import record_village
from tests.support.contracts import VILLAGE


def _outbox(database):
    with database.unit_of_work() as uow:
        return uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()


def test_change_and_event_commit_together(service_db):
    from services.members import villages

    db = service_db("members")
    with db.unit_of_work() as uow:
        village = villages.open_village(
            uow, {k: v for k, v in VILLAGE.items() if k != "village_id"} | {"postcode": "19290"}
        )
    rows = _outbox(db)
    assert [r.type for r in rows] == ["village.opened"]
    body = json.loads(rows[0].body)
    assert body["payload"]["village_id"] == village["id"] and rows[0].published_at is None


def test_nothing_is_written_when_the_event_breaks_its_contract(service_db):
    from services.members.models import Village

    db = service_db("members")
    with pytest.raises(ContractError), db.unit_of_work() as uow:
        uow.session.add(
            Village(slug="x", name="X", commune="X", insee_code="1", postcode="1", kind="fixed")
        )
        uow.record_event("village.opened", {"village_id": "x"}, village_id="x")
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Village)) == 0
    assert _outbox(db) == []


def test_uncommitted_work_is_rolled_back(service_db):
    db = service_db("members")
    with db.unit_of_work() as uow:
        uow.record_event("village.opened", VILLAGE, village_id=VILLAGE["village_id"])
    assert _outbox(db) == []


def test_work_for_a_caller_that_stopped_waiting_is_not_committed(service_db):
    """A unit of work with an RPC call's deadline commits before it, never after: the caller was
    told the service did not answer, and nothing of it is written."""
    import time

    from backbone.errors import CallerGaveUp

    db = service_db("members")
    with db.unit_of_work(deadline=time.time() - 0.1) as uow:
        uow.record_event("village.opened", VILLAGE, village_id=VILLAGE["village_id"])
        with pytest.raises(CallerGaveUp):
            uow.commit()
    assert _outbox(db) == []
    with db.unit_of_work(deadline=time.time() + 5) as uow:
        uow.record_event("village.opened", VILLAGE, village_id=VILLAGE["village_id"])
        uow.commit()
    assert len(_outbox(db)) == 1


def _envelope():
    from backbone.contracts import build_envelope, parse_envelope

    return parse_envelope(
        build_envelope(
            "village.opened", VILLAGE, village_id=VILLAGE["village_id"], source="members"
        )
    )


def test_a_duplicate_event_has_one_effect(service_db):
    db = service_db("orders")
    event = _envelope()
    with db.unit_of_work() as uow:
        assert claim_and_handle(uow, "orders.on_village_opened", record_village, event) is True
    with db.unit_of_work() as uow:
        assert claim_and_handle(uow, "orders.on_village_opened", record_village, event) is False
    with db.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(KnownVillage)) == 1
        assert uow.session.scalar(select(func.count()).select_from(InboxEntry)) == 1


def test_a_batch_claims_each_new_event_once_in_its_order(service_db):
    from backbone.contracts import build_envelope, parse_envelope

    db = service_db("orders")
    events = [
        parse_envelope(
            build_envelope(
                "village.opened",
                VILLAGE | {"slug": f"v{n}"},
                village_id=VILLAGE["village_id"],
                source="members",
            )
        )
        for n in range(4)
    ]
    with db.unit_of_work() as uow:
        assert uow.claim("orders.on_village_opened", events[1])
        uow.commit()
    with db.unit_of_work() as uow:
        claimed = uow.claim_many(
            "orders.on_village_opened", [events[3], events[0], events[1], events[3], events[2]]
        )
        assert [e["event_id"] for e in claimed] == [
            events[3]["event_id"],
            events[0]["event_id"],
            events[2]["event_id"],
        ]
        assert uow.claim_many("other.consumer", events[:1]) == events[:1], "claims are per consumer"
        assert uow.claim_many("orders.on_village_opened", []) == []
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.claim_many("orders.on_village_opened", events) == []
        assert uow.session.scalar(select(func.count()).select_from(InboxEntry)) == 5


def test_the_inbox_row_rolls_back_with_a_failed_effect(service_db):
    db = service_db("orders")
    event = _envelope()
    with db.unit_of_work() as uow:
        assert uow.claim("orders.on_village_opened", event)
        # no commit: the handler failed
    with db.unit_of_work() as uow:
        assert uow.claim("orders.on_village_opened", event), (
            "a failed attempt must not count as processed"
        )


def test_timestamps_come_back_aware(service_db):
    db = service_db("orders")
    with db.unit_of_work() as uow:
        claim_and_handle(uow, "orders.on_village_opened", record_village, _envelope())
    with db.unit_of_work() as uow:
        village = uow.session.scalar(select(KnownVillage))
        assert village.opened_at.utcoffset() is not None


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_concurrent_duplicate_waits_and_is_told_it_is_one(service_db):
    """Two replicas get the same event at once: the second claim waits for the first transaction
    and, once it committed, returns False (no error, no second effect)."""
    import eventlet

    db = service_db("orders")
    event = _envelope()
    first = db.unit_of_work().__enter__()
    assert first.claim("orders.on_village_opened", event) is True

    def second_claim():
        with db.unit_of_work() as uow:
            return uow.claim("orders.on_village_opened", event)

    waiting = eventlet.spawn(second_claim)
    eventlet.sleep(0.3)
    assert not waiting.dead, "the second claim must wait for the first transaction"
    first.commit()
    first.close()
    assert waiting.wait() is False


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_consumers_creating_the_same_row_at_once_both_succeed(service_db):
    """help_request.requested and help_request.unmatched are published together and handled in
    parallel: both create the skills map's demand row. The second waits for the first and updates
    its row, instead of failing on the key (which cost a retry pause)."""
    import eventlet

    from services.members.models import HelpDemand

    db = service_db("members")
    values = {"help_request_id": "hr-1", "village_id": "v-1", "skill_code": "jardinage"}
    first = db.unit_of_work().__enter__()
    first.ensure_row(HelpDemand, values).requested_at = None

    def second():
        with db.unit_of_work() as uow:
            row = uow.ensure_row(HelpDemand, values)
            row.unmatched_at = datetime(2026, 12, 1, tzinfo=UTC)
            uow.commit()
            return True

    waiting = eventlet.spawn(second)
    eventlet.sleep(0.3)
    assert not waiting.dead, "the second creator waits for the first transaction"
    first.commit()
    first.close()
    assert waiting.wait() is True
    with db.unit_of_work() as uow:
        rows = uow.session.scalars(select(HelpDemand)).all()
        assert [(r.help_request_id, r.unmatched_at is not None) for r in rows] == [("hr-1", True)]


def test_keep_latest_takes_a_batch_and_keeps_each_row_s_newest_version(service_db):
    db = service_db("orders")

    def village(name, day):
        at = datetime(2026, 11, day, tzinfo=UTC)
        return {
            "id": "v-1",
            "slug": "v-1",
            "name": name,
            "kind": "itinerant",
            "opened_at": at,
            "changed_at": at,
        }

    with db.unit_of_work() as uow:
        uow.keep_latest(KnownVillage, village("Le 10", 10), key="id")
        uow.commit()
    with db.unit_of_work() as uow:  # within the batch the newest wins, and it is newer than the row
        uow.keep_latest(KnownVillage, [village("Le 12", 12), village("Le 11", 11)], key="id")
        uow.keep_latest(KnownVillage, [], key="id")  # nothing to write
        uow.commit()
    with db.unit_of_work() as uow:  # a batch older than the row changes nothing
        uow.keep_latest(KnownVillage, [village("Le 9", 9)], key="id")
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.session.scalars(select(KnownVillage.name)).all() == ["Le 12"]
