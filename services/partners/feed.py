"""Partners' AMQP feed: their broker accounts, and publishing to `maillage.partners`.

Each partner gets a broker user `partner-<partner_id>` (created through the management HTTP API,
MAILLAGE_RABBIT_MANAGEMENT_URL, with AMQP_URI's credentials, in AMQP_URI's vhost) that may:

- create, bind and consume only queues named `partner-<partner_id>.<anything>` (vhost permissions:
  configure and write `^partner-<id>\\.`, read those and the exchange `maillage.partners`);
- bind them to `maillage.partners` only with routing keys starting with `<partner_id>.` (topic
  permissions: RabbitMQ checks a queue.bind's routing key against the topic *read* pattern), so it
  can never receive another partner's events; it cannot publish anywhere.

Events are published with routing key `<partner_id>.<event type>`, persistent, mandatory, with
publisher confirms. A queue `partner-<id>.feed` bound to `<id>.#` is declared with the account,
so the feed keeps events while the partner is away.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pika
import requests

from backbone import config

FEED_QUEUE_SUFFIX = "feed"


def username(partner_id: str) -> str:
    return f"partner-{partner_id}"


def routing_prefix(partner_id: str) -> str:
    return f"{partner_id}."


def routing_key(partner_id: str, event_type: str) -> str:
    return f"{partner_id}.{event_type}"


def feed_queue(partner_id: str) -> str:
    return f"partner-{partner_id}.{FEED_QUEUE_SUFFIX}"


def vhost(amqp_uri: str | None = None) -> str:
    """The vhost of AMQP_URI ("/" when the path is empty or "/")."""
    path = urlsplit(amqp_uri or config.amqp_uri()).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def permissions(partner_id: str) -> dict:
    """The vhost permissions of a partner's user (regular expressions on resource names)."""
    own = "^" + re.escape(f"partner-{partner_id}.")
    return {"configure": own, "write": own,
            "read": f"^(partner-{re.escape(partner_id)}\\..*|{re.escape(config.PARTNERS_EXCHANGE)})$"}


def topic_permissions(partner_id: str) -> dict:
    """Its topic permissions on `maillage.partners`: only routing keys starting with `<id>.`."""
    own = "^" + re.escape(routing_prefix(partner_id))
    return {"exchange": config.PARTNERS_EXCHANGE, "write": own, "read": own}


class BrokerManagementError(Exception):
    pass


@dataclass
class Account:
    username: str
    password: str
    vhost: str


def create_account(partner_id: str, *, amqp_uri: str | None = None, management_url: str | None = None) -> Account:
    """Create (or reset the password of) the partner's broker user, set its permissions, and declare
    its feed queue. Returns the password, which is stored nowhere else."""
    amqp_uri = amqp_uri or config.amqp_uri()
    base = (management_url or config.rabbit_management_url()).rstrip("/")
    parts = urlsplit(amqp_uri)
    auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
    name, host = username(partner_id), vhost(amqp_uri)
    password = secrets.token_urlsafe(24)
    calls = [
        (f"{base}/users/{quote(name, safe='')}", {"password": password, "tags": ""}),
        (f"{base}/permissions/{quote(host, safe='')}/{quote(name, safe='')}", permissions(partner_id)),
        (f"{base}/topic-permissions/{quote(host, safe='')}/{quote(name, safe='')}", topic_permissions(partner_id)),
    ]
    with requests.Session() as session:
        session.trust_env = False  # the broker is inside our network: never through HTTP(S)_PROXY
        for url, body in calls:
            try:
                response = session.put(url, json=body, auth=auth, timeout=config.rpc_timeout())
            except requests.RequestException as exc:
                raise BrokerManagementError(f"the broker's management API is unreachable: {exc}") from None
            if response.status_code not in (200, 201, 204):
                raise BrokerManagementError(f"the broker's management API answered {response.status_code}: "
                                            f"{response.text[:200]}")
    try:
        declare_feed_queue(partner_id, amqp_uri)
    except pika.exceptions.AMQPError as exc:
        raise BrokerManagementError(f"the feed queue could not be declared: {exc!r}") from None
    return Account(name, password, host)


def declare_feed_queue(partner_id: str, amqp_uri: str | None = None) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri or config.amqp_uri()))
    try:
        channel = connection.channel()
        channel.exchange_declare(config.PARTNERS_EXCHANGE, exchange_type="topic", durable=True)
        channel.queue_declare(feed_queue(partner_id), durable=True)
        channel.queue_bind(feed_queue(partner_id), config.PARTNERS_EXCHANGE, routing_key=f"{partner_id}.#")
    finally:
        if connection.is_open:
            connection.close()


class FeedPublisher:
    """One connection (opened on first use) publishing with confirms; `publish` raises when the
    broker did not take the message (unroutable: no queue bound to the partner's key; refused)."""

    def __init__(self, amqp_uri: str | None = None):
        self.amqp_uri = amqp_uri or config.amqp_uri()
        self._connection = None
        self._channel = None

    def publish(self, partner_id: str, event_type: str, event_id: str, body: bytes) -> None:
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
            self._channel = self._connection.channel()
            self._channel.exchange_declare(config.PARTNERS_EXCHANGE, exchange_type="topic", durable=True)
            self._channel.confirm_delivery()
        self._channel.basic_publish(
            config.PARTNERS_EXCHANGE, routing_key(partner_id, event_type), body,
            pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=event_id,
                                 type=event_type), mandatory=True)

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001  closing a broken connection
                pass
        self._connection = self._channel = None
