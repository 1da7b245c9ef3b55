"""The outbox relay's parts, each alone (the relay as a whole, against the real broker and killed
between commit and publish, is tests/reliability/test_outbox_relay.py): reading the outbox, the rows
handed over after commit, the publisher and its confirms, the marking, the advisory lock."""

import uuid

import pika
import pytest
from sqlalchemy import select, text

from backbone.relay_lock import AdvisoryLock, NoLock, single_active_relay
from backbone.relay_outbox import HandedRows, OutboxReader, PublishedMarker
from backbone.relay_publisher import ConfirmedPublisher
from backbone.tables import OutboxEvent
from tests.support.contracts import VILLAGE
from tests.support.metrics import sample


def _write_events(database, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        village_id = str(uuid.uuid4())
        with database.unit_of_work() as uow:
            uow.record_event(
                "village.opened", VILLAGE | {"village_id": village_id}, village_id=village_id
            )
            uow.commit()
    with database.unit_of_work() as uow:
        ids = list(uow.session.scalars(select(OutboxEvent.id).order_by(OutboxEvent.id)))
    return ids


# --- reading the outbox ---------------------------------------------------------------------------


def test_the_reader_reads_pending_rows_in_outbox_order_from_its_cursor(service_db):
    database = service_db("members")
    ids = _write_events(database, 5)
    reader = OutboxReader(database.engine)
    assert reader.pending_count() == 5

    rows, more = reader.read(2, skip=set())
    assert [row.id for row in rows] == ids[:2] and more, "two of five: more are left"
    assert rows[0].type == "village.opened" and rows[0].event_id and rows[0].body
    reader.advance_to(rows[-1].id)
    rows, more = reader.read(10, skip={ids[3]})
    assert [row.id for row in rows] == [ids[2], ids[4]] and not more, (
        "above the cursor, the skipped one left out"
    )
    reader.rewind()
    assert [row.id for row in reader.read(10, skip=set())[0]] == ids


def test_the_reader_leaves_published_rows(service_db):
    database = service_db("members")
    ids = _write_events(database, 3)
    marker = PublishedMarker(database.engine, "members", gather=0)
    marker.start()
    marker.add(ids[:2])
    marker.stop()
    reader = OutboxReader(database.engine)
    assert [row.id for row in reader.read(10, skip=set())[0]] == ids[2:]
    assert reader.pending_count() == 1 and marker.unmarked() == set()


# --- rows handed over after commit ----------------------------------------------------------------


def _row(row_id: int) -> tuple:
    return (row_id, f"event-{row_id}", "village.opened", None, "{}")


def test_handed_rows_come_out_in_outbox_order_up_to_the_room_left():
    handed = HandedRows()
    assert not handed
    handed.hand([_row(3), _row(4)])
    handed.hand([_row(1)])
    handed.hand([_row(5), _row(6)])
    assert [row[0] for row in handed.take(3)] == [1, 3, 4], "the room's worth, in id order"
    assert handed and [row[0] for row in handed.take(10)] == [5, 6]
    assert not handed and handed.take(10) == []


def test_handed_rows_are_bounded_and_the_rest_is_left_to_the_poll():
    handed = HandedRows(limit=2)
    assert handed.hand([_row(1)]) and handed.hand([_row(2)])
    assert handed.hand([_row(3)]) is False
    handed.clear()
    assert not handed and handed.hand([_row(3)])


# --- the publisher and its confirms ---------------------------------------------------------------


class RecordingChannel:
    def __init__(self):
        self.published = []

    def basic_publish(self, exchange, routing_key, body, properties):
        self.published.append((exchange, routing_key, properties.message_id, properties.headers))


def test_the_publisher_keeps_each_row_until_the_broker_confirms_it():
    channel = RecordingChannel()
    publisher = ConfirmedPublisher(channel, "members")
    for row_id in (10, 11, 12):
        publisher.publish(*_row(row_id))
    publisher.publish(*_row(13), handed=True)
    assert [p[2] for p in channel.published] == ["event-10", "event-11", "event-12", "event-13"]
    assert (
        channel.published[0][1] == "village.opened"
        and channel.published[0][3]["source"] == "members"
    )
    assert publisher.in_flight == 4 and publisher.handed_in_flight() == {13}
    assert not publisher.only_handed_in_flight()

    assert publisher.settle(pika.spec.Basic.Ack(delivery_tag=2, multiple=True)) == [10, 11]
    assert publisher.settle(pika.spec.Basic.Nack(delivery_tag=3, multiple=False)) == [12]
    assert publisher.settle(pika.spec.Basic.Ack(delivery_tag=3, multiple=False)) == [], (
        "settled once"
    )
    assert publisher.in_flight == 1 and publisher.only_handed_in_flight()
    assert publisher.settle(pika.spec.Basic.Ack(delivery_tag=4, multiple=False)) == [13]
    assert publisher.in_flight == 0 and publisher.handed_in_flight() == set()


def test_the_publisher_remembers_what_it_sent_lately():
    publisher = ConfirmedPublisher(RecordingChannel(), "members", remember=2)
    for row_id in (1, 2, 3):
        publisher.publish(*_row(row_id))
    assert not publisher.sent_lately(1), "forgotten beyond its memory"
    assert publisher.sent_lately(2) and publisher.sent_lately(3) and not publisher.sent_lately(4)


# --- one active relay per database ----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_needs_no_lock(service_db):
    lock = single_active_relay(
        service_db("members").engine, "members", stopping=lambda: False, sleep=lambda _s: None
    )
    assert isinstance(lock, NoLock)
    with lock:
        assert lock.held()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_second_relay_stands_by_until_the_first_lets_go(service_db):
    engine = service_db("members").engine
    first = single_active_relay(engine, "members", stopping=lambda: False, sleep=lambda _s: None)
    assert isinstance(first, AdvisoryLock)
    attempts = []

    def sleep(_seconds):
        attempts.append(1)

    with first:
        assert first.held()
        second = AdvisoryLock(engine, "members", stopping=lambda: len(attempts) >= 2, sleep=sleep)
        with second:
            assert not second.held(), "it stood by, then was told to stop"
        assert len(attempts) == 2
        with AdvisoryLock(engine, "orders", stopping=lambda: False, sleep=sleep) as other_service:
            assert other_service.held(), "each service's relays have a lock of their own"
    with AdvisoryLock(engine, "members", stopping=lambda: False, sleep=sleep) as taken_over:
        assert taken_over.held()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_lock_is_lost_with_its_connection(service_db):
    engine = service_db("members").engine
    with AdvisoryLock(engine, "members", stopping=lambda: False, sleep=lambda _s: None) as lock:
        assert lock.held()
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE "
                    "locktype = 'advisory' AND database = (SELECT oid FROM "
                    "pg_database WHERE datname = current_database())"
                )
            )
            conn.commit()
        assert not lock.held()


def test_the_publisher_counts_as_published_only_what_the_broker_confirmed_by_type():
    publisher = ConfirmedPublisher(RecordingChannel(), "metrics-test")
    publisher.publish(1, "event-1", "village.opened", None, "{}")
    publisher.publish(2, "event-2", "order.placed", None, "{}")
    publisher.publish(3, "event-3", "order.placed", None, "{}")

    publisher.settle(pika.spec.Basic.Nack(delivery_tag=1, multiple=False))  # refused: re-sent later
    publisher.settle(pika.spec.Basic.Ack(delivery_tag=3, multiple=True))

    def published(type_):
        return sample("maillage_events_published_total", service="metrics-test", type=type_)

    assert (published("village.opened"), published("order.placed")) == (0, 2)
