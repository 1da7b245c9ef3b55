"""`@consume_event` claims each event itself, against the real broker: the handler is never given an
event twice, a batch hands it only the new events, a handler that raises leaves no claim, and the
claim is named after the handler's queue."""

import pytest

from backbone.consumer import EventConsumer, consume_event
from backbone.dead_letters import DeadLetterQueue
from backbone.dependencies import DatabaseProvider
from services.orders import read_models
from services.orders.models import KnownVillage
from tests.support.reliability import count, inbox_count, village_envelope, wait_until

pytestmark = pytest.mark.broker


class RecordingService:
    """Remembers what its handlers were given; fails while FAILING is set."""

    name = "recording"
    db = DatabaseProvider("orders")
    given: list = []
    failing = False

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        self.given.append(event["event_id"])
        if self.failing:
            raise RuntimeError("supplier API unreachable")
        read_models.record_village(uow, event)


class BatchRecordingService:
    name = "batchrecording"
    db = DatabaseProvider("orders")
    given: list = []

    @consume_event("village.opened", batch=10)
    def on_village_opened(self, uow, events):
        self.given.append([event["event_id"] for event in events])
        read_models.record_villages(uow, events)


@pytest.fixture
def recording(monkeypatch):
    monkeypatch.setattr(RecordingService, "given", [])
    monkeypatch.setattr(RecordingService, "failing", False)
    monkeypatch.setattr(BatchRecordingService, "given", [])
    return RecordingService


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_redelivered_event_never_reaches_the_handler_twice(
    amqp_uri, nameko_config, service_db, start_container, broker_client, recording
):
    orders = service_db("orders")
    _container, workers = start_container(RecordingService, nameko_config)
    client = broker_client(amqp_uri)
    envelope = village_envelope()
    for _ in range(3):
        client.publish_envelope(envelope)

    wait_until(
        lambda: workers.runs("on_village_opened", ok=True) == 3,
        message="the three copies acknowledged",
    )
    assert recording.given == [envelope["event_id"]], (
        "the copies were acked without calling the handler"
    )
    assert inbox_count(orders, "recording.on_village_opened") == 1, (
        "claimed under the handler's queue name"
    )
    assert count(orders, KnownVillage) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_batch_with_a_duplicate_hands_the_handler_only_the_new_events(
    amqp_uri, nameko_config, service_db, start_container, broker_client, recording, monkeypatch
):
    monkeypatch.setattr(EventConsumer, "GATHER_SECONDS", 1.0)  # the three below make one batch
    orders = service_db("orders")
    start_container(BatchRecordingService, nameko_config)
    client = broker_client(amqp_uri)
    queue = "batchrecording.on_village_opened"
    seen, first, second = (village_envelope() for _ in range(3))
    client.publish_envelope(seen)
    wait_until(lambda: inbox_count(orders, queue) == 1, message="the first event claimed")

    for envelope in (seen, first, second, first):  # one handled before, one twice in the batch
        client.publish_envelope(envelope)
    wait_until(lambda: inbox_count(orders, queue) == 3, message="the new events claimed")
    assert BatchRecordingService.given == [
        [seen["event_id"]],
        [first["event_id"], second["event_id"]],
    ]
    assert count(orders, KnownVillage) == 3


def test_a_handler_that_raises_leaves_no_claim(
    amqp_uri, nameko_config, service_db, start_container, broker_client, recording, monkeypatch
):
    monkeypatch.setenv("MAILLAGE_DELIVERY_LIMIT", "2")
    monkeypatch.setenv("MAILLAGE_RETRY_DELAY", "0.1")
    orders = service_db("orders")
    _container, workers = start_container(RecordingService, nameko_config)
    envelope = village_envelope()
    recording.failing = True
    broker_client(amqp_uri).publish_envelope(envelope)

    wait_until(
        lambda: DeadLetterQueue(amqp_uri).show(envelope["event_id"]),
        message="the event dead-lettered",
    )
    wait_until(
        lambda: workers.runs("on_village_opened", ok=False) == 2,
        message="two failed attempts recorded",
    )
    assert inbox_count(orders) == 0 and count(orders, KnownVillage) == 0, (
        "a failed attempt claims nothing"
    )

    recording.failing = False
    assert DeadLetterQueue(amqp_uri).replay(envelope["event_id"]) == 1
    wait_until(
        lambda: workers.runs("on_village_opened", ok=True) == 1,
        message="the replayed event handled",
    )
    assert recording.given == [envelope["event_id"]] * 3, (
        "the replay reached the handler: it was not claimed"
    )
    assert (
        inbox_count(orders, "recording.on_village_opened") == 1 and count(orders, KnownVillage) == 1
    )


class NoDatabaseService:
    name = "nodb"

    @consume_event("village.opened")
    def on_village_opened(self, uow, event):
        pass


def test_a_handler_without_the_services_database_is_refused_at_start(
    nameko_config, container_factory
):
    container = container_factory(NoDatabaseService, nameko_config)
    with pytest.raises(TypeError, match="db = DatabaseProvider"):
        container.start()
