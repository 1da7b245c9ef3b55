"""Consumers against the real broker: duplicates, poison messages, invalid
payloads, unroutable events."""

import time
import uuid

import eventlet
import pika
import pytest
from kombu.mixins import ConsumerMixin
from nameko.extensions import DependencyProvider

from backbone import topology
from backbone.consumer import EventConsumer, RawQueueConsumer, consume_event
from backbone.contracts import build_envelope
from backbone.dead_letters import DeadLetterQueue
from backbone.dependencies import DatabaseProvider
from backbone.topology import BROKER_DELIVERY_LIMIT
from services.orders import read_models
from services.orders.models import KnownVillage
from services.orders.service import OrdersService
from tests.support.metrics import sample
from tests.support.reliability import (
    count,
    inbox_count,
    open_village,
    pending,
    village_envelope,
    wait_until,
)

pytestmark = pytest.mark.broker

HANDLER = "on_village_opened"

# --- a test-only service whose handler fails while FAILING is set -------------------------------

FAILING = {"on": False}


class FlakyService:
    name = "flaky"

    db = DatabaseProvider("orders")

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        if FAILING["on"]:
            raise RuntimeError("supplier API unreachable")
        read_models.record_village(uow, event)


@pytest.fixture
def failing(monkeypatch):
    monkeypatch.setitem(FAILING, "on", True)
    return FAILING


def _letters(amqp_uri):
    return {letter.event_id: letter for letter in DeadLetterQueue(amqp_uri).list()}


# --- 3. duplicates -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_duplicate_delivery_has_one_effect(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    envelope = village_envelope()
    labels = {"consumer": "orders.on_village_opened", "type": "village.opened"}
    consumed = sample("maillage_events_consumed_total", **labels)
    duplicates = sample("maillage_inbox_duplicates_total", **labels)

    client.publish_envelope(envelope)
    client.publish_envelope(envelope)

    # both copies are handled to the end, in one batch or two (on PostgreSQL two concurrent copies
    # race on the inbox key: the second waits for the first transaction, then finds it processed)
    wait_until(
        lambda: workers.events(HANDLER, ok=True) == 2, message="both copies to be acknowledged"
    )
    assert count(orders, KnownVillage) == 1
    assert inbox_count(orders, "orders.on_village_opened") == 1
    assert _letters(amqp_uri) == {}, "a duplicate is not an error"
    assert sample("maillage_events_consumed_total", **labels) - consumed == 1
    assert sample("maillage_inbox_duplicates_total", **labels) - duplicates == 1, "counted"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_connection_an_ack_found_broken_is_consumed_again_not_quietly_replaced(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    """When a cluster node stops under load, a worker's ack can meet the broker's reset before the
    consumer's read has seen the broker's close: py-amqp then marks the connection broken, and
    kombu's next read quietly opens a new connection, where none of the consumers are declared.
    The consumer said it was connected and consumed nothing until the process restarted. It must
    take the reconnection path instead: consumers declared again, the next events handled."""
    orders = service_db("orders")
    container, _workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    client.publish_envelope(village_envelope(name="Avant"))
    wait_until(lambda: count(orders, KnownVillage) == 1, message="the first village heard of")
    consumer = next(e for e in container.subextensions if isinstance(e, RawQueueConsumer))

    def consumed_on():  # the broker connection its consumers are declared on
        return next(iter(consumer._consumers.values())).channel.connection

    before = consumed_on()

    before.transport.connected = False  # what py-amqp's write does when the broker reset it
    time.sleep(2.5)  # the consumer's read (1 s at most) has returned and the next has begun
    client.publish_envelope(village_envelope(name="Après"))

    wait_until(
        lambda: count(orders, KnownVillage) == 2,
        timeout=20,
        message="the village published after the broken ack heard of",
    )
    wait_until(
        lambda: consumer.broker_connected and consumed_on() not in (before, None),
        message="consuming on a connection where the consumers were declared again",
    )


class HeldService:
    """Its handler waits while HELD is set: a message delivered and not yet acknowledged."""

    name = "held"
    entered: list = []

    db = DatabaseProvider("orders")

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        self.entered.append(event["event_id"])
        while HELD["on"]:
            eventlet.sleep(0.05)
        read_models.record_village(uow, event)


HELD = {"on": False}


@pytest.fixture
def held_message(
    amqp_uri, nameko_config, service_db, container_factory, broker_client, monkeypatch
):
    """HeldService started with kombu's read made 30 s (instead of 1 s, so that a wait for it
    shows), one event published and held in its handler, the consumer back in its read.
    Returns (orders database, container, envelope)."""
    monkeypatch.setattr(ConsumerMixin.consume, "__defaults__", (None, None, 30))
    monkeypatch.setitem(HELD, "on", True)
    monkeypatch.setattr(HeldService, "entered", [])
    orders = service_db("orders")
    container = container_factory(HeldService, nameko_config)
    container.start()
    envelope = village_envelope()
    broker_client(amqp_uri).publish_envelope(envelope)
    wait_until(lambda: HeldService.entered, message="the handler to hold the message")
    eventlet.sleep(0.5)  # the consumer is back in its read
    return orders, container, envelope


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_killed_consumer_stops_without_waiting_its_read_out_and_its_message_comes_again(
    held_message, nameko_config, container_factory
):
    """A container is killed (each test's, a process's on a second signal) while its consumer waits
    on the broker and one message is in a handler, unacknowledged: the consumer stops at once, not
    when kombu's read times out, its connection closes, and the broker hands that message to the
    next consumer, handled once."""
    orders, container, envelope = held_message
    began = time.monotonic()
    container.kill()
    assert time.monotonic() - began < 10, "killed without waiting for the 30 s read to end"
    assert count(orders, KnownVillage) == 0

    HELD["on"] = False
    container_factory(HeldService, nameko_config).start()
    wait_until(
        lambda: count(orders, KnownVillage) == 1, message="the message delivered again, handled"
    )
    assert HeldService.entered == [envelope["event_id"]] * 2
    assert inbox_count(orders, "held.on_village_opened") == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_stopped_consumer_ends_its_reads_early_and_its_message_is_handled_before_it_stops(
    held_message, amqp_uri
):
    """A container stopped (a process's SIGTERM) while a message is in a handler: the handler ends
    and its message is acknowledged, then the consumer stops, without waiting for kombu's reads to
    time out to cancel its consumers and to stop; nothing comes again."""
    orders, container, _envelope = held_message
    began = time.monotonic()
    stopping = eventlet.spawn(container.stop)
    eventlet.sleep(0.5)
    assert not stopping.dead, "a stop waits for the handler under way"
    HELD["on"] = False
    stopping.wait()
    assert time.monotonic() - began < 10, "stopped without waiting for the 30 s reads to end"
    assert count(orders, KnownVillage) == 1

    queue = topology.handler_queue_name("held", "on_village_opened")
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        left = connection.channel().queue_declare(queue, passive=True).method.message_count
    assert left == 0, "acknowledged before the consumer's connection closed: not to come again"


# --- 4. poison messages ------------------------------------------------------------------------


class BrieflyFailingService:
    """Fails the first two times (a database restarting, say), then works."""

    name = "brief"
    attempts: list = []

    db = DatabaseProvider("orders")

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        import time

        self.attempts.append(time.monotonic())
        if len(self.attempts) <= 2:
            raise RuntimeError("database restarting")
        read_models.record_village(uow, event)


def test_a_brief_failure_is_retried_after_a_pause_and_processed_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "5")
    monkeypatch.setenv("MAILLAGE_RETRY_DELAY", "0.3")
    monkeypatch.setattr(BrieflyFailingService, "attempts", [])
    orders = service_db("orders")
    _container, workers = start_container(BrieflyFailingService, nameko_config)
    broker_client(amqp_uri).publish_envelope(village_envelope())

    wait_until(lambda: workers.runs(HANDLER, ok=True) == 1, message="the event to be processed")
    attempts = BrieflyFailingService.attempts
    assert len(attempts) == 3 and workers.runs(HANDLER, ok=False) == 2
    assert attempts[1] - attempts[0] >= 0.3 and attempts[2] - attempts[1] >= 0.6, (
        "retries are spaced, doubling"
    )
    assert count(orders, KnownVillage) == 1 and _letters(amqp_uri) == {}


def test_a_poison_message_is_dead_lettered_then_replayed_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client, failing, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "3")
    orders = service_db("orders")
    _container, workers = start_container(FlakyService, nameko_config)
    client = broker_client(amqp_uri)
    envelope = village_envelope()
    labels = {"consumer": "flaky.on_village_opened", "type": "village.opened"}
    retried = sample("maillage_events_retried_total", **labels)
    dead = sample("maillage_events_dead_lettered_total", **labels, reason="failed")
    client.publish_envelope(envelope)

    letters = wait_until(
        lambda: _letters(amqp_uri), message="the poison message in the dead-letter queue"
    )
    wait_until(  # counted once the broker took it and the message was acked
        lambda: (
            sample("maillage_events_dead_lettered_total", **labels, reason="failed") - dead == 1
        ),
        message="the dead letter counted",
    )
    assert sample("maillage_events_retried_total", **labels) - retried == 2, "before the third"
    letter = letters[envelope["event_id"]]
    assert len(letters) == 1
    assert letter.origin_queue == "flaky.on_village_opened"
    assert letter.event_type == "village.opened"
    assert "RuntimeError: supplier API unreachable" in letter.reason
    assert letter.attempts == 3
    # the worker is recorded just after its message was dead-lettered: wait for it
    wait_until(
        lambda: workers.runs(HANDLER, ok=False) == 3, message="three failed attempts recorded"
    )
    assert count(orders, KnownVillage) == 0

    failing["on"] = False  # the handler is fixed
    assert DeadLetterQueue(amqp_uri).replay(envelope["event_id"]) == 1

    wait_until(
        lambda: workers.runs(HANDLER, ok=True) == 1, message="the replayed event to be processed"
    )
    assert count(orders, KnownVillage) == 1 and inbox_count(orders) == 1
    assert _letters(amqp_uri) == {}, "the dead-letter queue is empty after the replay"
    assert workers.runs(HANDLER) == 4, (
        "exactly MAILLAGE_DELIVERY_LIMIT failures, then processed once"
    )


def test_a_dead_letter_can_be_discarded(
    amqp_uri, nameko_config, service_db, start_container, broker_client, failing, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "3")
    orders = service_db("orders")
    _container, workers = start_container(FlakyService, nameko_config)
    client = broker_client(amqp_uri)
    kept, dropped = village_envelope(), village_envelope()
    client.publish_envelope(kept)
    client.publish_envelope(dropped)
    wait_until(lambda: len(_letters(amqp_uri)) == 2, message="both messages dead-lettered")

    dead_letters = DeadLetterQueue(amqp_uri)
    assert dead_letters.discard(str(uuid.uuid4())) == 0, "an unknown id discards nothing"
    assert dead_letters.discard(dropped["event_id"]) == 1
    assert set(_letters(amqp_uri)) == {kept["event_id"]}
    assert dead_letters.show(kept["event_id"]).origin_queue == "flaky.on_village_opened"
    assert dead_letters.show(dropped["event_id"]) is None
    assert workers.runs(HANDLER, ok=True) == 0 and count(orders, KnownVillage) == 0


# --- 5. invalid payloads -----------------------------------------------------------------------


def test_invalid_events_are_dead_lettered_at_once_and_the_consumer_goes_on(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    orders = service_db("orders")
    _container, workers = start_container(OrdersService, nameko_config)
    client = broker_client(amqp_uri)
    labels = {"consumer": "orders.on_village_opened", "type": "village.opened", "reason": "invalid"}
    dead = sample("maillage_events_dead_lettered_total", **labels)

    boat = village_envelope(kind="boat")
    client.publish_envelope(boat)
    client.publish(
        b"<village>not JSON</village>",
        "village.opened",
        message_id="not-json-1",
        type="village.opened",
    )

    letters = wait_until(
        lambda: len(_letters(amqp_uri)) == 2 and _letters(amqp_uri),
        message="both invalid messages dead-lettered",
    )
    contract = letters[boat["event_id"]]
    assert contract.origin_queue == "orders.on_village_opened"
    assert contract.reason.startswith("invalid event") and "kind" in contract.reason
    assert contract.attempts == 1, "never retried"
    garbage = letters["not-json-1"]
    assert garbage.origin_queue == "orders.on_village_opened"
    assert garbage.reason.startswith("invalid event") and "JSON" in garbage.reason
    assert garbage.attempts == 1, "never retried"
    assert workers.runs(HANDLER) == 0, "the handler never saw them"
    wait_until(
        lambda: sample("maillage_events_dead_lettered_total", **labels) - dead == 2,
        message="both dead letters counted",
    )

    valid = village_envelope()
    client.publish_envelope(valid)
    wait_until(
        lambda: workers.runs(HANDLER, ok=True) == 1, message="the next valid event to be processed"
    )
    assert count(orders, KnownVillage) == 1
    assert set(_letters(amqp_uri)) == {boat["event_id"], "not-json-1"}


# --- 6. unroutable events ----------------------------------------------------------------------


def test_an_event_nobody_subscribes_to_is_dead_lettered(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    service_db("orders")
    _container, workers = start_container(
        OrdersService, nameko_config
    )  # subscribes to village.opened only
    client = broker_client(amqp_uri)
    partner_id = str(uuid.uuid4())
    envelope = build_envelope(
        "partner.joined",
        {
            "partner_id": partner_id,
            "name": "Biocoop de Felletin",
            "kind": "producer",
            "village_ids": [],
        },
        village_id=None,
        source="partners",
    )
    # mandatory + confirms: the broker would return it if the alternate exchange did not take it
    client.publish(
        envelope,
        "partner.joined",
        message_id=envelope["event_id"],
        type="partner.joined",
        mandatory=True,
    )

    letters = wait_until(
        lambda: _letters(amqp_uri), message="the unroutable event in the dead-letter queue"
    )
    letter = letters[envelope["event_id"]]
    assert letter.reason.startswith("unroutable"), letter.reason
    assert "partner.joined" in letter.reason
    assert letter.event_type == "partner.joined" and letter.origin_queue is None
    assert letter.as_dict(with_body=True)["body"]["payload"]["partner_id"] == partner_id
    assert workers.runs(HANDLER) == 0


def test_the_relay_dead_letters_what_nobody_subscribes_to_and_it_can_be_replayed(
    amqp_uri, nameko_config, service_db, relay, start_container
):
    members, orders = service_db("members"), service_db("orders")
    village = open_village(members)  # no service subscribes to village.opened in this vhost yet
    relay("members")

    wait_until(lambda: pending(members) == 0, message="the relay to publish")
    letters = wait_until(lambda: _letters(amqp_uri), message="the event in the dead-letter queue")
    ((event_id, letter),) = letters.items()
    assert letter.reason.startswith("unroutable") and letter.event_type == "village.opened"
    assert letter.origin_queue is None
    assert letter.as_dict(with_body=True)["body"]["payload"]["village_id"] == village["id"]

    # the subscriber comes (late); the operator replays the event through the events exchange
    _container, workers = start_container(OrdersService, nameko_config)
    assert DeadLetterQueue(amqp_uri).replay(event_id) == 1
    wait_until(
        lambda: workers.runs(HANDLER, ok=True) == 1, message="the replayed event to be processed"
    )
    assert count(orders, KnownVillage) == 1 and _letters(amqp_uri) == {}


# --- the queue's own delivery limit: a consumer that dies on every attempt ------------------------


def test_a_message_that_kills_its_consumer_every_time_is_dead_lettered_by_the_queue(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    """When the process dies before it can ack or dead-letter (so our consumer code never decides),
    the quorum queue's delivery limit is the safety net: the message lands in
    the dead-letter queue."""
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "3")
    orders = service_db("orders")
    queue = "orders.on_village_opened"
    client = broker_client(amqp_uri, subscriptions=[(queue, ("village.opened",))])
    envelope = village_envelope()
    client.publish_envelope(envelope)

    takes = 0

    def take_and_die():
        nonlocal takes
        channel = client.connection.channel()
        method, _properties, _body = channel.basic_get(queue, auto_ack=False)
        if method is not None:
            takes += 1
        channel.close()  # like a consumer process killed before its ack: the message goes back
        return _letters(amqp_uri)

    letters = wait_until(take_and_die, message="the queue to dead-letter the message")
    letter = letters[envelope["event_id"]]
    assert letter.origin_queue == queue
    assert "delivery_limit" in letter.reason, letter.reason
    assert takes == BROKER_DELIVERY_LIMIT + 1, (
        "delivered 1 + x-delivery-limit times, then dead-lettered"
    )

    _container, workers = start_container(OrdersService, nameko_config)
    assert DeadLetterQueue(amqp_uri).replay(envelope["event_id"]) == 1
    wait_until(
        lambda: workers.runs(HANDLER, ok=True) == 1, message="the replayed event to be processed"
    )
    assert count(orders, KnownVillage) == 1 and _letters(amqp_uri) == {}


# --- 5. batches --------------------------------------------------------------------------------

POISON_NAME = "Village empoisonné"


class SlowStart(DependencyProvider):
    """Each worker waits a tenth of a second before its handler (and its transaction) starts: time
    for events to queue up meanwhile. Not in the handler: on SQLite a handler that yields holds the
    write lock of its claim, and the other batch's claim would block the whole process on it."""

    def worker_setup(self, worker_ctx):
        import eventlet

        eventlet.sleep(0.1)


class BatchingService:
    """Takes village.opened in batches of up to 10; slow enough for events to queue up meanwhile;
    a batch holding the poison village fails."""

    name = "batching"
    batches: list = []

    db = DatabaseProvider("orders")
    slow = SlowStart()

    @consume_event("village.opened", batch=10)
    def on_village_opened(self, uow, events):
        self.batches.append([event["payload"]["name"] for event in events])
        if any(event["payload"]["name"] == POISON_NAME for event in events):
            raise RuntimeError("poison in the batch")
        read_models.record_villages(uow, events)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_events_queued_up_are_handled_in_batches_each_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    monkeypatch.setattr(BatchingService, "batches", [])
    orders = service_db("orders")
    first, _workers = start_container(BatchingService, nameko_config)  # declares the queue
    first.stop()
    client = broker_client(amqp_uri)
    envelopes = [village_envelope(name=f"Village {n}") for n in range(40)]
    for envelope in envelopes:  # they queue up whatever the machine's load
        client.publish_envelope(envelope)
    client.publish_envelope(envelopes[0])  # a duplicate delivery among them
    start_container(BatchingService, nameko_config)

    wait_until(
        lambda: inbox_count(orders, "batching.on_village_opened") == 40,
        message="the 40 events claimed",
    )
    batches = BatchingService.batches
    assert max(len(batch) for batch in batches) == 10, "events that queued up came ten at a time"
    assert len(batches) < 20
    assert sorted(name for batch in batches for name in batch) == sorted(
        f"Village {n}" for n in range(40)
    ), "the duplicate never reached the handler"
    assert count(orders, KnownVillage) == 40
    assert _letters(amqp_uri) == {}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_events_read_together_make_one_batch_even_when_nothing_runs(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    """An order's events reach a consumer together: the ones read in the same go are one batch (one
    transaction), not one batch each, although no batch was running to make them wait."""
    monkeypatch.setattr(BatchingService, "batches", [])
    orders = service_db("orders")
    first, _workers = start_container(BatchingService, nameko_config)  # declares the queue
    first.stop()
    client = broker_client(amqp_uri)
    for n in range(3):  # they wait in the queue, and are pushed together to the next consumer
        client.publish_envelope(village_envelope(name=f"Village {n}"))
    start_container(BatchingService, nameko_config)
    wait_until(
        lambda: inbox_count(orders, "batching.on_village_opened") == 3,
        message="the 3 events claimed",
    )
    assert BatchingService.batches == [["Village 0", "Village 1", "Village 2"]]


def test_events_arriving_a_moment_apart_make_one_batch_when_nothing_runs(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    """When no batch runs, the first event waits a moment for the ones behind it (pushed by the
    broker in separate reads on a busy machine): published one by one, each confirmed, they are one
    batch. The window is widened here so that the test does not depend on the machine's speed."""
    monkeypatch.setattr(BatchingService, "batches", [])
    monkeypatch.setattr(EventConsumer, "GATHER_SECONDS", 1.0)
    orders = service_db("orders")
    start_container(BatchingService, nameko_config)
    client = broker_client(amqp_uri)
    for n in range(3):  # each waits for the broker's confirm: they arrive apart
        client.publish_envelope(village_envelope(name=f"Village {n}"))
    wait_until(
        lambda: inbox_count(orders, "batching.on_village_opened") == 3,
        message="the 3 events claimed",
    )
    assert BatchingService.batches == [["Village 0", "Village 1", "Village 2"]]


def test_a_failing_batch_is_run_again_event_by_event_and_only_the_poison_is_dead_lettered(
    amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "2")
    monkeypatch.setenv("MAILLAGE_RETRY_DELAY", "0.1")
    monkeypatch.setattr(BatchingService, "batches", [])
    # the first batch waits for all 13 (published within the second), so the poison is in a batch
    # of several whatever the machine's speed: how they are read is not what this test is about
    monkeypatch.setattr(EventConsumer, "GATHER_SECONDS", 1.0)
    orders = service_db("orders")
    _container, _workers = start_container(BatchingService, nameko_config)
    client = broker_client(amqp_uri)
    poison = village_envelope(name=POISON_NAME)
    envelopes = [village_envelope(name=f"Village {n}") for n in range(12)]
    for envelope in envelopes[:6] + [poison] + envelopes[6:]:
        client.publish_envelope(envelope)

    letters = wait_until(lambda: _letters(amqp_uri), message="the poison in the dead-letter queue")
    wait_until(
        lambda: inbox_count(orders, "batching.on_village_opened") == 12,
        message="the 12 others claimed",
    )
    assert list(letters) == [poison["event_id"]]
    assert "poison in the batch" in letters[poison["event_id"]].reason
    assert any(len(batch) > 1 and POISON_NAME in batch for batch in BatchingService.batches), (
        "the poison failed a batch of several"
    )
    assert count(orders, KnownVillage) == 12


class MixedService:
    """A batching handler beside one event at a time, in one container."""

    name = "mixed"

    db = DatabaseProvider("orders")

    @consume_event("village.opened", batch=10)
    def on_village_opened(self, uow, events):
        pass

    @consume_event("village.status_changed")
    def on_village_status_changed(self, uow, event):
        pass


def test_only_a_batching_handler_takes_more_messages_ahead(
    amqp_uri, nameko_config, start_container
):
    """A batching handler may hold a batch waiting while others run (batch × 3 here); a handler
    taking one event at a time keeps the container's max_workers, so the messages
    kept in memory stay few."""
    import requests

    from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT

    start_container(MixedService, nameko_config)
    vhost = amqp_uri.rsplit("/", 1)[1]

    def prefetch():
        consumers = requests.get(
            f"{RABBIT_MANAGEMENT}/consumers/{vhost}", auth=RABBIT_AUTH, timeout=10
        ).json()
        return {
            c["queue"]["name"]: c["prefetch_count"]
            for c in consumers
            if c["queue"]["name"].startswith("mixed.")
        }

    assert wait_until(
        lambda: len(prefetch()) == 2 and prefetch(), timeout=30, message="both consumers listed"
    ) == {
        "mixed.on_village_opened": 30,
        "mixed.on_village_status_changed": nameko_config["max_workers"],
    }
