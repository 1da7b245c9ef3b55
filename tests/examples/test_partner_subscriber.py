"""The reference partner subscriber (examples/partner_subscriber/): the Standard Webhooks verifier
it uses accepts what Maillage signs and refuses forged, tampered and stale webhooks with the reason,
its webhook receiver answers 400 to them, and its AMQP consumer reads a partner's feed on the real
broker, as the partner's own user."""

import json
import os
import socket
import threading
import time
import uuid
from unittest import mock

import pika
import pytest
import requests
from standardwebhooks.webhooks import WebhookVerificationError

from backbone import config
from examples.partner_subscriber.subscriber import (
    consume,
    open_feed,
    serve_webhooks,
    verify,
)
from services.partners import feed, webhooks
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT

SECRET = webhooks.new_secret()
BODY = b'{"event_id":"3f0c","type":"animation.scheduled"}'


def _signed(body=BODY, secret=SECRET, at=None, message_id="3f0c"):
    at = int(time.time()) if at is None else at
    return webhooks.signature_headers(secret, message_id, at, body)


def test_a_body_signed_by_maillage_passes_the_standard_verifier():
    assert verify(SECRET, _signed(), BODY) == json.loads(BODY)


@pytest.mark.parametrize(
    "request_made, reason",
    [
        (lambda: (_signed(secret=webhooks.new_secret()), BODY), "No matching signature"),
        (lambda: (_signed(), BODY.replace(b"scheduled", b"cancelled")), "No matching signature"),
        (lambda: ({**_signed(), "webhook-id": "another"}, BODY), "No matching signature"),
        (lambda: ({**_signed(), "webhook-signature": "v1," + "A" * 44}, BODY), "No matching"),
        (lambda: (_signed(at=int(time.time()) - 600), BODY), "too old"),
        (lambda: (_signed(at=int(time.time()) + 600), BODY), "too new"),
        (lambda: ({}, BODY), "Missing required headers"),
        (lambda: ({**_signed(), "webhook-timestamp": "now"}, BODY), "Invalid Signature Headers"),
    ],
    ids=[
        "other secret",
        "body changed",
        "id changed",
        "made up",
        "old",
        "future",
        "unsigned",
        "bad timestamp",
    ],
)
def test_forged_tampered_stale_and_unsigned_webhooks_are_refused_with_the_reason(
    request_made, reason
):
    headers, body = request_made()
    with pytest.raises(WebhookVerificationError, match=reason):
        verify(SECRET, headers, body)


def test_the_webhook_receiver_refuses_a_forged_request_and_accepts_a_signed_one():
    received = []
    server = serve_webhooks(0, SECRET, received.append, host="127.0.0.1")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        forged = requests.post(
            url, data=BODY, timeout=5, headers=_signed(secret=webhooks.new_secret())
        )
        assert forged.status_code == 400 and "No matching signature" in forged.text
        unsigned = requests.post(url, data=BODY, timeout=5)
        assert unsigned.status_code == 400 and "Missing required headers" in unsigned.text
        assert received == []
        outcome = webhooks.post(
            url, SECRET, BODY, event_id="3f0c", event_type="animation.scheduled", timeout=5
        )
        assert outcome.ok and outcome.status_code == 204
        assert received == [json.loads(BODY)]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def partner_accounts(amqp_uri):
    """`make()` -> (partner_id, the partner's own AMQP URI); its broker user
    is deleted at the end."""
    made = []

    def make():
        partner_id = str(uuid.uuid4())
        account = feed.create_account(
            partner_id, amqp_uri=amqp_uri, management_url=RABBIT_MANAGEMENT
        )
        made.append(account.username)
        host = amqp_uri.rsplit("/", 1)[1]
        return partner_id, f"amqp://{account.username}:{account.password}@127.0.0.1:5672/{host}"

    yield make
    for name in made:
        requests.delete(f"{RABBIT_MANAGEMENT}/users/{name}", auth=RABBIT_AUTH, timeout=10)


@pytest.mark.broker
def test_a_feed_account_is_made_on_our_broker_even_with_a_proxy_for_the_outside(partner_accounts):
    """HTTP(S)_PROXY is the way out to partners' endpoints; the broker's management API is inside
    and is never asked through it (here the proxy does not even answer)."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{unused.getsockname()[1]}"
    proxies = {name: nowhere for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    with mock.patch.dict(
        os.environ, {**proxies, "NO_PROXY": "", "no_proxy": ""}
    ):  # the fixtures' calls go direct
        _partner_id, own_uri = partner_accounts()
    pika.BlockingConnection(pika.URLParameters(own_uri)).close()


@pytest.mark.broker
def test_the_subscriber_reads_its_own_feed_as_the_partners_user(amqp_uri, partner_accounts):
    partner_id, own_uri = partner_accounts()
    other_id, _ = partner_accounts()
    orders_connection, orders_channel, orders_queue = open_feed(
        own_uri, partner_id, binding_keys=("order.*",), queue_name="orders"
    )
    publisher = feed.FeedPublisher(amqp_uri)
    try:
        for event_id, partner, event_type in (
            ("e-1", partner_id, "animation.scheduled"),
            ("e-other", other_id, "order.placed"),
            ("e-2", partner_id, "order.placed"),
        ):
            publisher.publish(
                partner,
                event_type,
                event_id,
                json.dumps({"event_id": event_id, "partner_id": partner}).encode(),
            )
    finally:
        publisher.close()

    connection, channel, queue = open_feed(own_uri, partner_id)
    try:
        received, orders = [], []
        assert consume(channel, queue, received.append, max_messages=5, inactivity_timeout=2) == 2
        assert [e["event_id"] for e in received] == ["e-1", "e-2"]
        assert channel.queue_declare(queue, passive=True).method.message_count == 0  # acked
        assert (
            consume(
                orders_channel, orders_queue, orders.append, max_messages=5, inactivity_timeout=2
            )
            == 1
        )
        assert [e["event_id"] for e in orders] == ["e-2"]
    finally:
        connection.close()
        orders_connection.close()


@pytest.mark.broker
def test_the_subscriber_cannot_read_anything_else(amqp_uri, partner_accounts):
    partner_id, own_uri = partner_accounts()
    other_id, _ = partner_accounts()

    def refused(action):
        connection = pika.BlockingConnection(pika.URLParameters(own_uri))
        try:
            with pytest.raises(pika.exceptions.ChannelClosedByBroker) as closed:
                action(connection.channel())
            return closed.value
        finally:
            if connection.is_open:
                connection.close()

    connection, _channel, _queue = open_feed(own_uri, partner_id)  # its own keys: fine
    connection.close()
    # another partner's keys
    other_keys = refused(
        lambda ch: ch.queue_bind(
            f"partner-{partner_id}.feed", config.PARTNERS_EXCHANGE, routing_key=f"{other_id}.#"
        )
    )
    assert other_keys.reply_code == 403 and "ACCESS_REFUSED" in other_keys.reply_text
    # every key at once, another partner's queue, the services' own exchange, publishing
    assert (
        refused(
            lambda ch: ch.queue_bind(
                f"partner-{partner_id}.feed", config.PARTNERS_EXCHANGE, routing_key="#"
            )
        ).reply_code
        == 403
    )
    assert (
        refused(lambda ch: ch.queue_declare(f"partner-{other_id}.mine", durable=True)).reply_code
        == 403
    )
    assert refused(lambda ch: ch.basic_get(f"partner-{other_id}.feed")).reply_code == 403
    assert (
        refused(
            lambda ch: ch.queue_bind(
                f"partner-{partner_id}.feed", config.EVENTS_EXCHANGE, routing_key="#"
            )
        ).reply_code
        == 403
    )
    assert (
        refused(
            lambda ch: (
                ch.confirm_delivery(),
                ch.basic_publish(
                    config.PARTNERS_EXCHANGE, f"{partner_id}.animation.scheduled", b"{}"
                ),
            )
        ).reply_code
        == 403
    )
