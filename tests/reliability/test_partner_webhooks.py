"""Partner subscriptions on the real broker (issue 4's DONE criterion): the partners service,
running, receives events from `maillage.events`; a partner's webhook endpoint that was down (nothing
listening, then answering 503) receives the signed event exactly once when it is back, even when the
event was published twice and the service restarted in between; a partner's AMQP feed reaches its
own broker user, and a second partner's user cannot bind to the first partner's keys."""

import uuid
from datetime import timedelta

import eventlet
import pika
import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone import config, topology
from backbone.contracts import build_envelope, parse_envelope
from backbone.dead_letters import DeadLetterQueue
from backbone.schemas import load
from examples.partner_subscriber.subscriber import consume, open_feed
from services.partners import partners, read_models
from services.partners.models import Delivery
from services.partners.schemas import PartnerInput
from services.partners.service import PartnersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT
from tests.support.reliability import wait_until
from tests.support.webhooks import T0, Endpoint

pytestmark = pytest.mark.broker


@pytest.fixture
def endpoint():
    """A partner's endpoint on 127.0.0.1, down until `up(secret)`: the reference subscriber's
    server, which checks every request with the Standard Webhooks verifier (a bad signature gets
    400 and never reaches `received`) and answers 503 while `failing`."""
    made = Endpoint()
    yield made
    made.down()


@pytest.fixture
def network(amqp_uri, nameko_config, service_db, start_container, broker_client, monkeypatch):
    """The partners service on a fresh vhost and database: one village, a partner serving it and one
    serving elsewhere (`other`); short retry pauses."""
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_BASE", "0.2")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_MAX", "0.5")
    monkeypatch.setenv("MAILLAGE_WEBHOOK_MAX_ATTEMPTS", "50")
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", RABBIT_MANAGEMENT)
    database = service_db("partners")
    village_ids = []
    for name in ("Peyrelevade", "Tarnac"):
        village_id = str(uuid.uuid4())
        envelope = build_envelope(
            "village.opened",
            {
                "village_id": village_id,
                "slug": name.lower(),
                "name": name,
                "commune": name,
                "insee_code": "19164",
                "kind": "fixed",
                "population": 600,
            },
            village_id=village_id,
            source="members",
        )
        with database.unit_of_work() as uow:
            read_models.record_village(uow, parse_envelope(envelope))
        village_ids.append(village_id)
    ids = []
    for village_id in village_ids:
        with database.unit_of_work() as uow:
            ids.append(
                partners.register_partner(
                    uow,
                    load(
                        PartnerInput(),
                        {
                            "name": "Ferme du Plateau",
                            "kind": "producer",
                            "village_ids": [village_id],
                        },
                    ),
                )["partner"]["id"]
            )
    client = broker_client(amqp_uri, topology.subscriptions_of(PartnersService))

    def start():
        return start_container(PartnersService, nameko_config)[0]

    yield {
        "db": database,
        "village_id": village_ids[0],
        "partner_id": ids[0],
        "other_id": ids[1],
        "client": client,
        "start": start,
        "config": nameko_config,
    }
    for partner_id in ids:
        requests.delete(
            f"{RABBIT_MANAGEMENT}/users/partner-{partner_id}", auth=RABBIT_AUTH, timeout=10
        )


def scheduled(village_id):
    return build_envelope(
        "animation.scheduled",
        {
            "animation_id": str(uuid.uuid4()),
            "village_id": village_id,
            "kind": "atelier",
            "title": "Atelier tricot",
            "place": "Salle des fêtes",
            "starts_at": T0,
            "ends_at": T0 + timedelta(hours=2),
            "capacity": 12,
            "co_organiser_ids": [],
        },
        village_id=village_id,
        source="events",
    )


def delivery(database, channel="webhook"):
    """The one delivery on `channel` (None before the event arrived)."""
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(select(Delivery).where(Delivery.channel == channel)).all()
    assert len(rows) <= 1, f"{len(rows)} deliveries for one event"
    return rows[0] if rows else None


def test_a_webhook_that_was_down_receives_the_signed_event_once(network, endpoint, amqp_uri):
    network["start"]()
    with ServiceRpcProxy("partners", network["config"]) as rpc:
        hook = rpc.create_webhook(
            network["partner_id"], {"url": endpoint.url, "event_types": ["animation.scheduled"]}
        )
    event = scheduled(network["village_id"])
    network["client"].publish_envelope(event)
    network["client"].publish_envelope(event)  # at least once: the same event twice

    # down: nothing listens; the service keeps trying, with growing pauses
    wait_until(
        lambda: (d := delivery(network["db"])) is not None and d.attempts >= 2,
        timeout=30,
        message="two failed attempts while nothing listens",
    )
    assert "ConnectionError" in delivery(network["db"]).last_error
    # up, but answering 503 for a while
    endpoint.failing = True
    endpoint.up(hook["secret"])
    wait_until(
        lambda: (delivery(network["db"]).last_error or "").startswith("HTTP 503"),
        timeout=30,
        message="an attempt answered 503",
    )
    endpoint.failing = False
    wait_until(
        lambda: delivery(network["db"]).status == "delivered", timeout=30, message="the delivery"
    )

    with ServiceRpcProxy("partners", network["config"]) as rpc:
        row_id = delivery(network["db"]).id
        log = rpc.get_delivery(row_id, network["partner_id"])["log"]
        page = rpc.list_deliveries({}, network["partner_id"])
    assert [e["event_id"] for e in endpoint.received] == [event["event_id"]]
    assert endpoint.received[0]["payload"]["title"] == "Atelier tricot"
    assert log[-1]["ok"] and log[-1]["status_code"] == 204 and not any(a["ok"] for a in log[:-1])
    assert {a["status_code"] for a in log[:-1]} >= {None, 503}
    assert page["total"] == 1
    assert DeadLetterQueue(amqp_uri).list() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_delivery_survives_a_restart_of_the_service(network, endpoint):
    container = network["start"]()
    with ServiceRpcProxy("partners", network["config"]) as rpc:
        hook = rpc.create_webhook(
            network["partner_id"], {"url": endpoint.url, "event_types": ["animation.scheduled"]}
        )
    event = scheduled(network["village_id"])
    network["client"].publish_envelope(event)
    wait_until(
        lambda: (d := delivery(network["db"])) is not None and d.attempts >= 1,
        timeout=30,
        message="a failed attempt",
    )
    container.kill()  # the partners service dies with the delivery pending
    assert delivery(network["db"]).status == "pending"

    endpoint.up(hook["secret"])
    network["start"]()
    wait_until(
        lambda: delivery(network["db"]).status == "delivered",
        timeout=30,
        message="the delivery after restart",
    )
    assert [e["event_id"] for e in endpoint.received] == [event["event_id"]]


def test_a_partners_feed_reaches_only_its_own_user(network):
    network["start"]()
    partner_id, other_id = network["partner_id"], network["other_id"]
    with ServiceRpcProxy("partners", network["config"]) as rpc:
        account = rpc.create_feed_account(partner_id)
        other = rpc.create_feed_account(other_id)
    assert (
        account["username"] == f"partner-{partner_id}"
        and account["routing_key_prefix"] == f"{partner_id}."
    )
    assert (
        account["exchange"] == config.PARTNERS_EXCHANGE
        and account["queue"] == f"partner-{partner_id}.feed"
    )
    cancelled = build_envelope(
        "animation.cancelled",
        {
            "animation_id": str(uuid.uuid4()),
            "village_id": network["village_id"],
            "title": "Atelier tricot",
            "starts_at": T0,
            "reason": None,
            "member_ids": [str(uuid.uuid4())],
        },
        village_id=network["village_id"],
        source="events",
    )
    network["client"].publish_envelope(cancelled)
    wait_until(
        lambda: (d := delivery(network["db"], "amqp")) is not None and d.status == "delivered",
        timeout=30,
        message="the feed delivery confirmed by the broker",
    )

    vhost = account["vhost"]

    def uri(acc):
        return f"amqp://{acc['username']}:{acc['password']}@127.0.0.1:5672/{vhost}"

    connection, channel, queue = open_feed(uri(account), partner_id)
    try:
        received = []
        assert consume(channel, queue, received.append, max_messages=1, inactivity_timeout=10) == 1
    finally:
        connection.close()
    assert (
        received[0]["event_id"] == cancelled["event_id"] and received[0]["partner_id"] == partner_id
    )
    assert "member_ids" not in received[0]["payload"]

    # the second partner's user: refused on the first partner's keys, fine on its own
    connection = pika.BlockingConnection(pika.URLParameters(uri(other)))
    try:
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            channel.queue_bind(
                f"partner-{other_id}.feed", config.PARTNERS_EXCHANGE, routing_key=f"{partner_id}.#"
            )
        assert refused.value.reply_code == 403 and "ACCESS_REFUSED" in refused.value.reply_text
        channel = connection.channel()
        channel.queue_bind(
            f"partner-{other_id}.feed", config.PARTNERS_EXCHANGE, routing_key=f"{other_id}.order.*"
        )
    finally:
        connection.close()


def test_a_delivery_leaves_when_its_event_is_committed_and_an_idle_sender_does_not_look(
    network, endpoint, start_container, monkeypatch
):
    """The sender is woken by the commit that made a delivery, and by the time of its next retry;
    its fallback look (MAILLAGE_DELIVERY_POLL_SECONDS) is set far beyond the test here, so every
    delivery below went out without it, and an idle sender runs no look at all."""
    monkeypatch.setenv("MAILLAGE_DELIVERY_POLL_SECONDS", "120")
    _container, workers = start_container(PartnersService, network["config"])
    with ServiceRpcProxy("partners", network["config"]) as rpc:
        hook = rpc.create_webhook(
            network["partner_id"], {"url": endpoint.url, "event_types": ["animation.scheduled"]}
        )
    endpoint.up(hook["secret"])
    wait_until(lambda: workers.runs("send_deliveries") >= 1, timeout=10, message="the eager look")
    before = workers.runs("send_deliveries")
    network["client"].publish_envelope(scheduled(network["village_id"]))
    wait_until(lambda: len(endpoint.received) == 1, timeout=10, message="sent at its commit")
    # the run that sent it ends after the partner answered: count the looks once it has ended
    wait_until(
        lambda: (
            _latest(network["db"]).status == "delivered"
            and workers.runs("send_deliveries") > before
        ),
        timeout=10,
        message="the sending run ended",
    )

    looks = workers.runs("send_deliveries")
    eventlet.sleep(2)
    assert workers.runs("send_deliveries") == looks, "no look while nothing is due"

    endpoint.failing = True  # 503: retried after 0.2 s, 0.4 s, then every 0.5 s
    network["client"].publish_envelope(scheduled(network["village_id"]))
    wait_until(
        lambda: (d := _latest(network["db"])) is not None and d.attempts >= 3,
        timeout=10,
        message="each retry at its time",
    )
    endpoint.failing = False
    wait_until(lambda: len(endpoint.received) == 2, timeout=10, message="the retry that works")


def _latest(database):
    with database.unit_of_work() as uow:
        return uow.session.scalars(select(Delivery).order_by(Delivery.created_at.desc())).first()
