"""The outbox relay as a real process against the real broker: crashes between commit and publish,
publication order, and rows marked published only once the broker confirmed them."""

import json
import random
import signal
import time
import uuid

import pika
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import text

from backbone.relay import _OneWritePerMessage
from services.orders.models import KnownVillage
from services.orders.service import OrdersService
from tests.support.reliability import (
    count,
    inbox_count,
    open_village,
    outbox_rows,
    pending,
    village_input,
    wait_until,
)

pytestmark = pytest.mark.broker

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
HANDLER = "on_village_opened"


def _village_ids(database):
    with database.engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT id FROM known_villages"))}


@BOTH
def test_crash_before_publish_then_restart_has_one_effect(
    amqp_uri, nameko_config, service_db, relay, start_container, broker_client
):
    members, orders = service_db("members"), service_db("orders")
    _container, workers = start_container(
        OrdersService, nameko_config
    )  # subscribers before publishers
    tap = broker_client(amqp_uri).tap("village.opened")

    village = open_village(members)
    assert pending(members) == 1, "the village and its event are committed together"

    crashed = relay("members", failpoints="relay.before_publish")
    assert crashed.wait_exit() == -signal.SIGKILL, crashed.output()
    assert pending(members) == 1, "the row must still be waiting after the crash"
    assert tap.drain() == [], "nothing reached the broker"

    restarted = relay("members")
    wait_until(lambda: pending(members) == 0, message="the restarted relay to publish the row")
    assert len(tap.wait_for(1)) == 1 and tap.bodies[0]["payload"]["village_id"] == village["id"]
    wait_until(
        lambda: workers.runs(HANDLER) == 1, message="the orders consumer to handle the event"
    )
    assert workers.runs(HANDLER, ok=True) == 1
    assert _village_ids(orders) == {village["id"]}
    assert inbox_count(orders) == 1
    assert restarted.returncode is None, restarted.output()


@BOTH
def test_crash_after_confirm_resends_and_the_inbox_keeps_one_effect(
    amqp_uri, nameko_config, service_db, relay, start_container, broker_client
):
    members, orders = service_db("members"), service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    tap = broker_client(amqp_uri).tap("village.opened")
    village = open_village(members)

    crashed = relay("members", failpoints="relay.after_confirm")
    assert crashed.wait_exit() == -signal.SIGKILL, crashed.output()
    assert pending(members) == 1, "confirmed by the broker but never marked: still pending"
    tap.wait_for(1)  # the broker did get it
    wait_until(lambda: workers.runs(HANDLER) == 1, message="the first delivery to be handled")

    relay("members")
    wait_until(
        lambda: pending(members) == 0, message="the restarted relay to re-send and mark the row"
    )
    bodies = tap.wait_for(2)
    assert len(bodies) == 2, "the broker routed the event twice"
    assert bodies[0]["event_id"] == bodies[1]["event_id"]
    wait_until(lambda: workers.runs(HANDLER) == 2, message="the consumer to see the second copy")
    assert workers.runs(HANDLER, ok=True) == 2, "a duplicate is acknowledged, not an error"
    assert _village_ids(orders) == {village["id"]}, "one effect"
    assert inbox_count(orders) == 1
    assert count(orders, KnownVillage) == 1


def _write_interleaved(members, village_ids, n, rng, counters):
    """n events spread at random over village_ids; each carries its per-village sequence number."""
    for _ in range(n):
        village_id = rng.choice(village_ids)
        counters[village_id] += 1
        seq = counters[village_id]
        with members.unit_of_work() as uow:
            uow.record_event(
                "village.opened",
                {
                    "village_id": village_id,
                    "slug": f"s-{village_id[:8]}-{seq}",
                    "name": f"{seq}",
                    "commune": "Gentioux",
                    "insee_code": "23090",
                    "kind": "itinerant",
                    "population": seq,
                },
                village_id=village_id,
            )
            uow.commit()


@BOTH
def test_relay_keeps_each_village_order(amqp_uri, service_db, relay, broker_client):
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    village_ids = [str(uuid.uuid4()) for _ in range(3)]
    counters = {v: 0 for v in village_ids}
    rng = random.Random(7206)

    _write_interleaved(members, village_ids, 120, rng, counters)  # a backlog...
    process = relay("members")
    _write_interleaved(members, village_ids, 80, rng, counters)  # ...and writes while it runs

    bodies = tap.wait_for(200, timeout=30)
    wait_until(lambda: pending(members) == 0, message="every row marked published")
    assert len(tap.drain()) == 200

    outbox_order = {v: [] for v in village_ids}
    for row in outbox_rows(members):
        outbox_order[row.village_id].append(json.loads(row.body)["payload"]["population"])
    received = {v: [] for v in village_ids}
    for body in bodies:
        received[body["village_id"]].append(body["payload"]["population"])
    for village_id in village_ids:
        assert (
            received[village_id]
            == outbox_order[village_id]
            == list(range(1, counters[village_id] + 1))
        )
    assert process.returncode is None, process.output()


@BOTH
def test_relay_marks_every_row_once_published(amqp_uri, service_db, relay, broker_client):
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    written = {open_village(members)["id"] for _ in range(30)}
    relay("members")

    wait_until(lambda: pending(members) == 0, message="every row marked published")
    rows = outbox_rows(members)
    assert len(rows) == 30 and all(
        r.published_at is not None and r.published_at >= r.created_at for r in rows
    )
    bodies = tap.wait_for(30)
    assert len(tap.drain()) == len(rows), "one message per row, no more"
    assert {b["payload"]["village_id"] for b in bodies} == written
    assert {b["event_id"] for b in bodies} == {r.event_id for r in rows}


def test_relay_does_not_mark_rows_the_broker_refused(amqp_uri, service_db, relay, broker_client):
    """A queue that refuses publishes once full (x-overflow reject-publish) makes the broker nack:
    those rows must stay pending and be re-sent later, never marked on a nack."""
    members = service_db("members")
    client = broker_client(amqp_uri)
    client.channel.queue_declare(
        "test.bounded", durable=True, arguments={"x-max-length": 4, "x-overflow": "reject-publish"}
    )
    client.channel.queue_bind("test.bounded", "maillage.events", routing_key="village.opened")
    written = [open_village(members)["id"] for _ in range(10)]
    process = relay("members")

    wait_until(
        lambda: process.output().count("broker refused") >= 2,
        message="the relay to be refused and to try again",
    )
    assert pending(members) >= 6, "at most the 4 events the queue took may be marked"
    received = []

    def drain():
        while True:
            method, _props, body = client.channel.basic_get("test.bounded", auto_ack=True)
            if method is None:
                return
            received.append(json.loads(body)["payload"]["village_id"])

    marked = {
        json.loads(r.body)["payload"]["village_id"] for r in outbox_rows(members) if r.published_at
    }
    drain()
    assert marked <= set(received), "a row was marked published although the broker refused it"

    def all_through():
        drain()
        return pending(members) == 0 and len(set(received)) == 10

    wait_until(
        all_through,
        timeout=30,
        interval=0.2,
        message="the refused events to be re-sent once there is room",
    )
    assert set(received) == set(written)
    assert process.returncode is None, process.output()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_relay_publishes_a_row_committed_after_a_later_one(
    amqp_uri, service_db, relay, broker_client
):
    """On PostgreSQL ids come from a sequence: two concurrent transactions may commit out of id
    order. The row that commits last with the smaller id must still be published (not skipped)."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    process = relay("members")
    wait_until(lambda: "publishing to" in process.output(), message="the relay to be connected")

    slow = members.unit_of_work()
    with slow:
        first = open_village_uncommitted(slow)  # takes id N, not committed yet
        second = open_village(members)  # takes id N+1, committed
        tap.wait_for(1)
        wait_until(lambda: pending(members) == 0, message="the later row to be published")
        slow.commit()
    bodies = tap.wait_for(2, timeout=10)
    assert {b["payload"]["village_id"] for b in bodies} == {first, second["id"]}
    wait_until(lambda: pending(members) == 0, message="the late row to be published")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_relay_does_not_resend_confirmed_rows_while_their_mark_waits(
    amqp_uri, service_db, relay, broker_client
):
    """Rows are marked published apart from the publishing loop. While that UPDATE waits (here on a
    lock the test holds on the first row), the relay goes on publishing new rows, and must not send
    the confirmed but not yet marked ones again at its next polls."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    written = [open_village(members)["id"]]
    with members.engine.connect() as blocker:
        blocker.execute(text("SELECT id FROM outbox FOR UPDATE"))
        process = relay("members")
        tap.wait_for(1)
        written += [open_village(members)["id"] for _ in range(5)]
        tap.wait_for(6)
        time.sleep(1.0)  # ten polls at least: a re-sent row would arrive meanwhile
        assert pending(members) == 6, "the marks wait for the test's lock"
        assert len(tap.drain()) == 6, "a confirmed row was sent again while its mark waited"
        blocker.rollback()
    wait_until(
        lambda: pending(members) == 0, message="the marks to go through once the lock is gone"
    )
    bodies = tap.drain()
    assert len(bodies) == 6 and len({b["event_id"] for b in bodies}) == 6
    assert {b["payload"]["village_id"] for b in bodies} == set(written)
    assert process.returncode is None, process.output()


def open_village_uncommitted(uow) -> str:
    from services.members import villages

    original_commit = uow.commit
    uow.commit = lambda: uow.session.flush()
    try:
        return villages.open_village(uow, village_input())["id"]
    finally:
        uow.commit = original_commit


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_second_relay_stands_by_and_takes_over(amqp_uri, service_db, relay, broker_client):
    """On PostgreSQL one relay per service database is active (advisory lock); a second replica
    stands by and takes over when the first dies, without publishing anything twice meanwhile."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    active = relay("members")
    wait_until(lambda: "publishing to" in active.output(), message="the first relay to be active")
    standby = relay("members")
    wait_until(lambda: "standing by" in standby.output(), message="the second relay to stand by")

    first = {open_village(members)["id"] for _ in range(10)}
    wait_until(lambda: pending(members) == 0, message="the active relay to publish")
    assert "publishing to" not in standby.output()

    active.proc.kill()
    assert active.wait_exit() == -signal.SIGKILL
    second = {open_village(members)["id"] for _ in range(10)}
    wait_until(lambda: pending(members) == 0, timeout=30, message="the standby relay to take over")
    assert "publishing to" in standby.output()
    bodies = tap.wait_for(20)
    assert len(tap.drain()) == 20, "nothing published twice"
    assert {b["payload"]["village_id"] for b in bodies} == first | second


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_relay_that_loses_its_lock_stops_publishing_and_the_standby_takes_over(
    amqp_uri, service_db, relay, broker_client
):
    """The lock lives on a database connection: when that connection drops (database restart,
    terminated backend), the relay must notice, stop publishing and compete for the lock again;
    one relay is active afterwards and everything is published once."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    active = relay("members")
    wait_until(lambda: "publishing to" in active.output(), message="the first relay to be active")
    standby = relay("members")
    wait_until(lambda: "standing by" in standby.output(), message="the second relay to stand by")

    database_name = members.url.rsplit("/", 1)[1]
    with members.engine.connect() as conn:  # end the session holding the advisory lock
        terminated = conn.execute(
            text(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON "
                "a.pid = l.pid WHERE l.locktype = 'advisory' AND a.datname = :db"
            ),
            {"db": database_name},
        ).all()
        conn.commit()
    assert terminated, "the active relay's lock was found"

    wait_until(
        lambda: "lost the relay lock" in active.output(),
        timeout=20,
        message="the first relay to notice it lost its lock",
    )

    def one_relay_active_again():
        # either may win the lock back: the standby, or the first one once it reconnects
        return "publishing to" in standby.output() or active.output().count("publishing to") >= 2

    wait_until(one_relay_active_again, timeout=20, message="a relay to hold the lock again")
    written = {open_village(members)["id"] for _ in range(10)}
    wait_until(lambda: pending(members) == 0, timeout=30, message="the events to be published")
    bodies = tap.wait_for(10)
    assert {b["payload"]["village_id"] for b in bodies} == written
    assert len(tap.drain()) == 10, "one active relay: nothing published twice"
    assert active.proc.poll() is None and standby.proc.poll() is None, "both relays stay alive"


def _in_process_relay(start_container, nameko_config, *, poll_interval: float):
    """The members service in a nameko container with its relay in-process; that relay."""
    from backbone.dependencies import OutboxRelayInProcess
    from services.members.service import MembersService

    container, _log = start_container(
        MembersService,
        {**nameko_config, "OUTBOX_RELAY": "in-process", "OUTBOX_POLL_INTERVAL": poll_interval},
    )
    return next(d for d in container.dependencies if isinstance(d, OutboxRelayInProcess)).relay


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_in_process_relay_publishes_a_workers_events_at_once_not_at_its_next_poll(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    """`OUTBOX_RELAY: in-process`: the worker that commits events nudges its process's relay. With a
    poll every 30 s, two villages opened over RPC reach the broker within
    seconds, one after the other."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    relay = _in_process_relay(start_container, nameko_config, poll_interval=30)
    wait_until(
        lambda: relay._poll_timer is not None, message="the relay publishing, its next poll in 30 s"
    )
    with ServiceRpcProxy("members", nameko_config, timeout=10) as rpc:
        for n in (1, 2):
            opened = rpc.open_village(village_input())
            bodies = tap.wait_for(n, timeout=10)
            assert bodies[-1]["payload"]["village_id"] == opened["id"]
    wait_until(lambda: pending(members) == 0, message="both rows marked published")


def _outbox_selects(engine) -> list[str]:
    """The relay's reads of outbox rows (its polls), recorded from now on."""
    from sqlalchemy import event

    seen = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        if (
            statement.lstrip().upper().startswith("SELECT")
            and "FROM outbox" in statement
            and "body" in statement
        ):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_in_process_relay_publishes_the_rows_a_worker_hands_over_without_reading_them_back(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    """The worker hands its committed rows to the relay with the nudge: they go out as they are,
    without a SELECT of the outbox; handed again (a poll found them first),
    they are not sent twice."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    relay = _in_process_relay(start_container, nameko_config, poll_interval=30)
    wait_until(
        lambda: relay._poll_timer is not None, message="the relay publishing, its next poll in 30 s"
    )
    selects = _outbox_selects(relay.engine)
    with ServiceRpcProxy("members", nameko_config, timeout=10) as rpc:
        opened = [rpc.open_village(village_input())["id"] for _ in range(3)]
    bodies = tap.wait_for(3, timeout=10)
    assert [b["payload"]["village_id"] for b in bodies] == opened
    assert selects == [], "handed rows are published without reading the outbox"
    wait_until(lambda: pending(members) == 0, message="the rows marked published")

    rows = [(r.id, r.event_id, r.type, r.village_id, r.body) for r in outbox_rows(members)]
    relay.nudge(
        rows
    )  # the same rows again, as if a poll had sent them before their worker handed them
    time.sleep(0.5)
    assert len(tap.drain()) == 3, "a row already sent is not sent again"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_in_process_relay_still_polls_for_rows_written_elsewhere_while_workers_hand_theirs(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    """Rows no worker of this process hands over (another replica's, the command line's) are found
    by the poll, also while this process's workers keep handing theirs."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    relay = _in_process_relay(start_container, nameko_config, poll_interval=0.5)
    wait_until(lambda: relay._poll_timer is not None, message="the relay publishing")
    elsewhere = open_village(members)[
        "id"
    ]  # committed here, outside the container: nobody hands it over
    handed = []
    with ServiceRpcProxy("members", nameko_config, timeout=10) as rpc:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            handed.append(rpc.open_village(village_input())["id"])
    bodies = tap.wait_for(len(handed) + 1, timeout=10)
    assert {b["payload"]["village_id"] for b in bodies} == {elsewhere, *handed}
    wait_until(lambda: pending(members) == 0, message="every row marked published")
    assert len(tap.drain()) == len(handed) + 1, "nothing sent twice"


@pytest.mark.alone  # a wall-clock bound
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_relay_at_rest_reads_its_outbox_about_once_a_second_and_finds_a_row_written_elsewhere(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    """Polls that find nothing space out (0.1 s doubling up to 1 s): at rest, a relay reads its
    outbox about once a second, not ten times; a row nobody hands over is still
    published within that second."""
    members = service_db("members")
    tap = broker_client(amqp_uri).tap("village.opened")
    relay = _in_process_relay(start_container, nameko_config, poll_interval=0.1)
    wait_until(lambda: relay._poll_timer is not None, message="the relay publishing")
    time.sleep(2)  # the waits have grown to their longest
    selects = _outbox_selects(relay.engine)
    time.sleep(3)
    assert 2 <= len(selects) <= 4, f"{len(selects)} polls in 3 s at rest"
    written = time.monotonic()
    village = open_village(members)["id"]  # committed outside the container: nobody hands it over
    assert tap.wait_for(1, timeout=5)[0]["payload"]["village_id"] == village
    # at the next poll, at most a second away; a relay that stopped polling never publishes it
    assert time.monotonic() - written < 3, "published at the next poll, within a second or so"


def test_the_relay_writes_each_message_to_the_socket_at_once_and_the_broker_reads_it_whole(
    amqp_uri,
):
    """pika would write a message's method, header and body frames one by one (three send() calls);
    the relay's connection joins them, and the broker still reads every message whole, a body
    larger than a frame included."""
    bodies = [b"x" * 10, b"y" * 2_000, b"z" * 300_000]  # the last one spans several body frames
    writes, received = [], []

    def on_channel(channel):
        channel.queue_declare("one-write", exclusive=True, callback=lambda _frame: publish(channel))

    def publish(channel):
        emit = connection._adapter_emit_data
        connection._adapter_emit_data = lambda data: (writes.append(len(data)), emit(data))
        for body in bodies:
            channel.basic_publish("", "one-write", body)
        connection._adapter_emit_data = emit
        channel.basic_consume(
            "one-write",
            lambda ch, method, _props, body: (
                received.append(body),
                ch.basic_ack(method.delivery_tag),
                len(received) == len(bodies) and connection.close(),
            ),
        )

    connection = _OneWritePerMessage(
        pika.URLParameters(amqp_uri),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_close_callback=lambda _connection, _reason: connection.ioloop.stop(),
    )
    connection.ioloop.call_later(10, connection.ioloop.stop)  # in case it never closes
    connection.ioloop.start()
    assert len(writes) == len(bodies), f"one write per message, not per frame: {writes}"
    assert received == bodies
