"""Partners' AMQP feed: their broker accounts, and publishing to `maillage.partners`.

Partners live on a vhost of their own (MAILLAGE_PARTNERS_VHOST, `/partners` in compose), never on
the services' vhost: the partners service publishes on the services' `maillage.partners`, and the
broker's shovel (maillage/broker_definitions.py) carries each message to the exchange of the same
name on the partners' vhost. In a local trial (the setting unset) both are AMQP_URI's vhost.

Each partner gets a broker user `partner-<partner_id>` on the partners' vhost only (made through
the management HTTP API, MAILLAGE_RABBIT_MANAGEMENT_URL, as MAILLAGE_RABBIT_MANAGEMENT_USER: only
an administrator may make users) that may:

- create, bind and consume only queues named `partner-<partner_id>.<anything>` (vhost permissions:
  configure and write `^partner-<id>\\.`, read those and the exchange `maillage.partners`);
- bind them to `maillage.partners` only with routing keys starting with `<partner_id>.` (topic
  permissions: RabbitMQ checks a queue.bind's routing key against the topic *read* pattern), so it
  can never receive another partner's events; it cannot publish anywhere;
- hold at most FEED_MAX_CONNECTIONS connections and FEED_MAX_CHANNELS channels (user limits).

Every `partner-*` queue of that vhost keeps at most MAILLAGE_FEED_MAX_LENGTH messages and
MAILLAGE_FEED_MAX_BYTES bytes, dropping the oldest (a policy, so it holds for the queues a partner
declares itself, with or without arguments): a dormant partner never fills the broker's disk nor
refuses a publish.

Events are published with routing key `<partner_id>.<event type>`, persistent, mandatory, with
publisher confirms. A queue `partner-<id>.feed` bound to `<id>.#` is declared with the account,
so the feed keeps events while the partner is away.

When the partnership ends, `delete_account` deletes the user and every `partner-<id>.*` queue
(services/partners/removal.py calls it after the removal commits, and retries it until it succeeds).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pika
import requests

from backbone import broker_management, config

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


FEED_MAX_CONNECTIONS = 2
FEED_MAX_CHANNELS = 8
FEED_POLICY_NAME = "maillage-partner-feeds"


def feed_policy() -> dict:
    """The policy on the partners' vhost bounding every partner queue, oldest messages dropped."""
    return {
        "pattern": "^partner-",
        "apply-to": "queues",
        "priority": 0,
        "definition": {
            "max-length": config.feed_max_length(),
            "max-length-bytes": config.feed_max_bytes(),
            "overflow": "drop-head",
        },
    }


def permissions(partner_id: str) -> dict:
    """The vhost permissions of a partner's user (regular expressions on resource names)."""
    own = "^" + re.escape(f"partner-{partner_id}.")
    return {
        "configure": own,
        "write": own,
        "read": f"^(partner-{re.escape(partner_id)}\\..*|{re.escape(config.PARTNERS_EXCHANGE)})$",
    }


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


def create_account(
    partner_id: str,
    *,
    amqp_uri: str | None = None,
    management_url: str | None = None,
    partners_vhost: str | None = None,
) -> Account:
    """Create (or reset the password of) the partner's broker user on the partners' vhost, set its
    permissions and limits, and declare its feed queue there. Returns the password, which is
    stored nowhere else."""
    base = (management_url or broker_management.management_url()).rstrip("/")
    auth = config.rabbit_management_auth(amqp_uri)
    name, host = username(partner_id), partners_vhost or config.partners_vhost(amqp_uri)
    password = secrets.token_urlsafe(24)
    h, u, q = quote(host, safe=""), quote(name, safe=""), quote(feed_queue(partner_id), safe="")
    x = quote(config.PARTNERS_EXCHANGE, safe="")
    calls = [
        ("put", f"{base}/exchanges/{h}/{x}", {"type": "topic", "durable": True}),
        ("put", f"{base}/policies/{h}/{FEED_POLICY_NAME}", feed_policy()),
        ("put", f"{base}/users/{u}", {"password": password, "tags": ""}),
        ("put", f"{base}/permissions/{h}/{u}", permissions(partner_id)),
        ("put", f"{base}/topic-permissions/{h}/{u}", topic_permissions(partner_id)),
        ("put", f"{base}/user-limits/{u}/max-connections", {"value": FEED_MAX_CONNECTIONS}),
        ("put", f"{base}/user-limits/{u}/max-channels", {"value": FEED_MAX_CHANNELS}),
        ("put", f"{base}/queues/{h}/{q}", {"durable": True, "auto_delete": False, "arguments": {}}),
        (
            "post",
            f"{base}/bindings/{h}/e/{x}/q/{q}",
            {"routing_key": f"{partner_id}.#", "arguments": {}},
        ),
    ]
    with requests.Session() as session:
        session.trust_env = False  # the broker is inside our network: never through HTTP(S)_PROXY
        for method, url, body in calls:
            try:
                response = session.request(
                    method, url, json=body, auth=auth, timeout=config.rpc_timeout()
                )
            except requests.RequestException as exc:
                raise BrokerManagementError(
                    f"the broker's management API is unreachable: {exc}"
                ) from None
            if response.status_code not in (200, 201, 204):
                raise BrokerManagementError(
                    f"the broker's management API answered {response.status_code}: "
                    f"{response.text[:200]}"
                )
    return Account(name, password, host)


def delete_account(
    partner_id: str,
    *,
    amqp_uri: str | None = None,
    management_url: str | None = None,
    partners_vhost: str | None = None,
) -> list[str]:
    """Delete the partner's broker user, close its connections and delete every queue of the
    partners' vhost it could own (`partner-<id>.*`: its feed queue and those it declared itself).
    What is already gone counts as done, so it can be called again until it succeeds. Returns the
    queues deleted."""
    base = (management_url or broker_management.management_url()).rstrip("/")
    auth = config.rabbit_management_auth(amqp_uri)
    host = partners_vhost or config.partners_vhost(amqp_uri)
    h, u = quote(host, safe=""), quote(username(partner_id), safe="")
    prefix = f"partner-{partner_id}."
    with requests.Session() as session:
        session.trust_env = False  # the broker is inside our network: never through HTTP(S)_PROXY

        def call(method, url, gone_is_fine=True):
            try:
                response = session.request(method, url, auth=auth, timeout=config.rpc_timeout())
            except requests.RequestException as exc:
                raise BrokerManagementError(
                    f"the broker's management API is unreachable: {exc}"
                ) from None
            if response.status_code not in (200, 201, 204) and not (
                gone_is_fine and response.status_code == 404
            ):
                raise BrokerManagementError(
                    f"the broker's management API answered {response.status_code}: "
                    f"{response.text[:200]}"
                )
            return response

        # the user first: the broker closes its connections (CONNECTION_FORCED), and it can neither
        # sign in again nor declare a queue while they go
        call("delete", f"{base}/users/{u}")
        queues = [
            q["name"]
            for q in call("get", f"{base}/queues/{h}?columns=name", gone_is_fine=False).json()
            if q["name"].startswith(prefix)
        ]
        for queue in queues:
            call("delete", f"{base}/queues/{h}/{quote(queue, safe='')}")
    return queues


def declare_feed_queue(partner_id: str, amqp_uri: str | None = None) -> None:
    connection = pika.BlockingConnection(config.pika_parameters(amqp_uri or config.amqp_uri()))
    try:
        channel = connection.channel()
        channel.exchange_declare(config.PARTNERS_EXCHANGE, exchange_type="topic", durable=True)
        channel.queue_declare(feed_queue(partner_id), durable=True)
        channel.queue_bind(
            feed_queue(partner_id), config.PARTNERS_EXCHANGE, routing_key=f"{partner_id}.#"
        )
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
            self._connection = pika.BlockingConnection(config.pika_parameters(self.amqp_uri))
            self._channel = self._connection.channel()
            self._channel.exchange_declare(
                config.PARTNERS_EXCHANGE, exchange_type="topic", durable=True
            )
            self._channel.confirm_delivery()
        self._channel.basic_publish(
            config.PARTNERS_EXCHANGE,
            routing_key(partner_id, event_type),
            body,
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=2,
                message_id=event_id,
                type=event_type,
            ),
            mandatory=True,
        )

    def close(self) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001  closing a broken connection
                pass
        self._connection = self._channel = None
