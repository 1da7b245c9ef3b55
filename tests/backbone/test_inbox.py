"""The inbox around a handler (`claim_and_handle`, what `@consume_event` runs for each event), on
SQLite and PostgreSQL: a handler sees each event once, a batch only its new events, and a handler
that fails leaves no claim behind."""

import uuid

import pytest
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.tables import InboxEntry
from services.orders import read_models
from services.orders.models import KnownVillage
from tests.support.contracts import VILLAGE

CONSUMER = "orders.on_village_opened"


def _event(n: int = 0) -> dict:
    village_id = str(uuid.uuid4())
    return parse_envelope(
        build_envelope(
            "village.opened",
            VILLAGE | {"village_id": village_id, "slug": f"v{n}", "name": f"Village {n}"},
            village_id=village_id,
            source="members",
        )
    )


def _claims(database) -> list[str]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(InboxEntry.event_id).order_by(InboxEntry.event_id)))


def _villages(database) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(KnownVillage))


class Handler:
    """Records what it was given; writes the villages without committing (consume_event commits)."""

    def __init__(self, fail: bool = False):
        self.given, self.fail = [], fail

    def __call__(self, uow, event_or_events):
        self.given.append(event_or_events)
        uow.keep_latest(
            KnownVillage,
            [
                read_models.facts.village_row(e)
                for e in (
                    event_or_events if isinstance(event_or_events, list) else [event_or_events]
                )
            ],
            key="id",
        )
        if self.fail:
            raise RuntimeError("the handler failed")


def test_a_redelivered_event_never_reaches_the_handler_twice(service_db):
    database, event, handler = service_db("orders"), _event(), Handler()
    for _ in range(3):
        with database.unit_of_work() as uow:
            claim_and_handle(uow, CONSUMER, handler, event)
    assert handler.given == [event]
    assert _claims(database) == [event["event_id"]] and _villages(database) == 1


def test_the_handlers_writes_are_committed_with_the_claim(service_db):
    """A handler writes, the inbox commits: the effect and the claim land together."""
    database, event = service_db("orders"), _event()
    with database.unit_of_work() as uow:
        assert claim_and_handle(uow, CONSUMER, Handler(), event) is True
    assert _claims(database) == [event["event_id"]] and _villages(database) == 1


def test_a_batch_with_duplicates_hands_the_handler_only_the_new_events_in_order(service_db):
    database, handler = service_db("orders"), Handler()
    seen, first, second = _event(1), _event(2), _event(3)
    with database.unit_of_work() as uow:
        claim_and_handle(uow, CONSUMER, handler, [seen])
    with database.unit_of_work() as uow:  # one already handled, one twice in the batch
        assert claim_and_handle(uow, CONSUMER, handler, [second, seen, first, second]) is True
    with database.unit_of_work() as uow:  # nothing new: the handler is not called
        assert claim_and_handle(uow, CONSUMER, handler, [first, seen]) is False
    assert handler.given == [[seen], [second, first]]
    assert len(_claims(database)) == 3 and _villages(database) == 3


@pytest.mark.parametrize("batch", [False, True])
def test_a_handler_that_raises_leaves_no_claim_and_runs_again(service_db, batch):
    database, event = service_db("orders"), _event()
    argument = [event] if batch else event
    with database.unit_of_work() as uow, pytest.raises(RuntimeError):
        claim_and_handle(uow, CONSUMER, Handler(fail=True), argument)
    assert _claims(database) == [] and _villages(database) == 0, (
        "nothing of the failed attempt is kept"
    )
    fixed = Handler()
    with database.unit_of_work() as uow:
        assert claim_and_handle(uow, CONSUMER, fixed, argument) is True
    assert fixed.given == [argument] and _claims(database) == [event["event_id"]]


def test_claims_are_per_consumer(service_db):
    database, event = service_db("orders"), _event()
    handlers = {"orders.on_village_opened": Handler(), "orders.on_village_updated": Handler()}
    for consumer, handler in handlers.items():
        with database.unit_of_work() as uow:
            assert claim_and_handle(uow, consumer, handler, event) is True
    assert all(handler.given == [event] for handler in handlers.values())
