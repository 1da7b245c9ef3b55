"""Who may do what on the broker: one user per service, the gateway, the operators and the feeds'
account maker, each limited to its own queues and exchanges; partners on a vhost of their own.

`definitions()` is a RabbitMQ definitions document (the format of `rabbitmqctl import_definitions`
and of the management API's POST /api/definitions). `maillage broker-definitions --apply` posts it
as the operators' user; compose runs that before anything else connects (docker-compose.yml,
`broker-setup`). The passwords come from the environment and appear in the document only hashed.

How the regular expressions were worked out (RabbitMQ checks `configure` to declare or delete a
queue or exchange, `write` to publish to an exchange or bind *to* a queue, `read` to consume a
queue or bind *from* an exchange; topic permissions check the routing key of a publish on, and of a
binding from, a topic exchange):

- A service declares at start nameko's `nameko-rpc` exchange, its queue `rpc-<service>` bound with
  `<service>.*`, the events exchange, the dead-letter exchange and queue (backbone/consumer.py),
  and one quorum queue `<service>.<method>` per handler whose dead-letter exchange it must be
  allowed to write to (RabbitMQ checks that at declaration). It publishes replies on `nameko-rpc`
  with the caller's reply key (a UUID, so never a request to another service), its own event types
  on `maillage.events` (from the contracts registry) and its failed messages on the dead-letter
  exchange with its own queue's name as key. No service calls another over RPC.
- The gateway publishes requests `<service>.<method>` on `nameko-rpc`, consumes its own reply
  queues `rpc.reply-gateway-<uuid>` and the live queues `gateway.live.<id>` bound to
  `maillage.events`; it may not publish any event.
- The partners service publishes partners' feed messages on `maillage.partners` (routing key
  `<partner id>.<event type>`); a shovel (run by the broker itself) moves them from the queue
  `maillage.partners.outbound` to the exchange `maillage.partners` of the partners' vhost, where
  the partners' users live (services/partners/feed.py makes them). That vhost holds nothing else.
- The operators' user (migrations' topology, demo data, dead letters) is the broker's
  administrator. The feeds' user makes partners' users through the management API, which only an
  administrator may do (RabbitMQ has no narrower tag for it): see docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

from backbone import config

RPC_EXCHANGE = "nameko-rpc"
OUTBOUND_QUEUE = "maillage.partners.outbound"  # the shovel's source on the services' vhost
SHOVEL_NAME = "maillage-partners-feed"
USER_PREFIX = "maillage-"
UUID_KEY = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
NOTHING = "^$"  # RabbitMQ's way to grant nothing on one of configure/write/read
# feed messages waiting for the shovel (only while it reconnects): past this the partners service's
# publish is refused and its delivery stays pending (retried), the network goes on
OUTBOUND_MAX_LENGTH = 100_000

ROLES = (*config.SERVICES, "gateway", "operator", "feeds")
# the service that purges and scrubs the dead letters (services/members/erasure.py)
DEAD_LETTER_KEEPER = "members"


def _names(*names: str) -> str:
    return "^(" + "|".join(names) + ")$"


def _e(name: str) -> str:
    return re.escape(name)


@dataclass(frozen=True)
class Grant:
    """One user's rights on one vhost, and its topic permissions there
    (exchange -> (write, read))."""

    configure: str
    write: str
    read: str
    topics: dict


def _event_types_by_publisher() -> dict[str, list[str]]:
    import backbone.contracts.events  # noqa: F401  registers every contract
    from backbone.contracts.registry import registry

    found = defaultdict(set)
    for contract in registry.all():
        found[contract.publisher].add(contract.type)
    return {publisher: sorted(types) for publisher, types in found.items()}


def service_grant(service: str) -> Grant:
    own_queues = rf"rpc-{_e(service)}|{_e(service)}\..*"
    shared = "|".join(
        map(
            _e,
            (
                RPC_EXCHANGE,
                config.EVENTS_EXCHANGE,
                config.DEAD_LETTER_EXCHANGE,
                config.DEAD_LETTER_QUEUE,
            ),
        )
    )
    partners = _e(config.PARTNERS_EXCHANGE) if service == "partners" else None
    extra = [partners] if partners else []
    types = _event_types_by_publisher().get(service, [])
    topics = {
        RPC_EXCHANGE: (UUID_KEY, rf"^{_e(service)}\.\*$"),
        config.EVENTS_EXCHANGE: (_names(*map(_e, types)) if types else NOTHING, ".*"),
        config.DEAD_LETTER_EXCHANGE: (rf"^{_e(service)}\.", r"^#$"),
    }
    read = [
        own_queues,
        *map(_e, (RPC_EXCHANGE, config.EVENTS_EXCHANGE, config.DEAD_LETTER_EXCHANGE)),
    ]
    if partners:
        topics[config.PARTNERS_EXCHANGE] = (r"^[^.]+\..+$", NOTHING)
    if service == DEAD_LETTER_KEEPER:
        # its hourly sweep reads every dead letter and puts back the scrubbed ones with their key
        read.append(_e(config.DEAD_LETTER_QUEUE))
        topics[config.DEAD_LETTER_EXCHANGE] = (".*", r"^#$")
    return Grant(
        configure=_names(own_queues, shared, *extra),
        write=_names(own_queues, shared, *extra),
        read=_names(*read),
        topics=topics,
    )


def gateway_grant() -> Grant:
    own_queues = r"rpc\.reply-gateway-.*|gateway\.live\..*"
    services = "|".join(map(_e, config.SERVICES))
    return Grant(
        configure=_names(own_queues, _e(RPC_EXCHANGE), _e(config.EVENTS_EXCHANGE)),
        write=_names(own_queues, _e(RPC_EXCHANGE)),
        read=_names(own_queues, _e(RPC_EXCHANGE), _e(config.EVENTS_EXCHANGE)),
        topics={
            RPC_EXCHANGE: (rf"^({services})\.[A-Za-z_][A-Za-z0-9_]*$", UUID_KEY),
            config.EVENTS_EXCHANGE: (NOTHING, ".*"),
        },
    )


ALL = Grant(".*", ".*", ".*", {})


def grants(services_vhost: str, partners_vhost: str) -> dict[str, dict[str, Grant]]:
    """user role -> vhost -> Grant."""
    found = {service: {services_vhost: service_grant(service)} for service in config.SERVICES}
    found["gateway"] = {services_vhost: gateway_grant()}
    found["operator"] = {services_vhost: ALL, partners_vhost: ALL}
    found["feeds"] = {partners_vhost: ALL}
    return found


TAGS = {"operator": "administrator", "feeds": "administrator"}


def username(role: str, prefix: str = USER_PREFIX) -> str:
    return f"{prefix}{role}"


def password_variable(role: str) -> str:
    """The environment variable holding `role`'s password (RABBITMQ_MEMBERS_PASSWORD…)."""
    return f"RABBITMQ_{role.upper()}_PASSWORD"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def _uri_vhost(vhost: str) -> str:
    return "amqp:///" + quote(vhost, safe="")


def definitions(
    passwords: dict[str, str],
    *,
    services_vhost: str = "/",
    partners_vhost: str = "/partners",
    prefix: str = USER_PREFIX,
    cluster: bool = False,
) -> dict:
    """The definitions document. `passwords`: role -> password, for every role in ROLES.
    `cluster`: the broker is a cluster of nodes (CLUSTER_MIRRORING on its classic queues)."""
    from services.partners import feed

    missing = [role for role in ROLES if not passwords.get(role)]
    if missing:
        raise ValueError("no password for " + ", ".join(password_variable(r) for r in missing))
    users, permissions, topic_permissions = [], [], []
    for role, by_vhost in grants(services_vhost, partners_vhost).items():
        name = username(role, prefix)
        users.append(
            {
                "name": name,
                "password_hash": password_hash(passwords[role]),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": TAGS.get(role, ""),
            }
        )
        for vhost, grant in by_vhost.items():
            permissions.append(
                {
                    "user": name,
                    "vhost": vhost,
                    "configure": grant.configure,
                    "write": grant.write,
                    "read": grant.read,
                }
            )
            for exchange, (write, read) in grant.topics.items():
                topic_permissions.append(
                    {
                        "user": name,
                        "vhost": vhost,
                        "exchange": exchange,
                        "write": write,
                        "read": read,
                    }
                )

    def exchange(vhost, name):
        return {
            "name": name,
            "vhost": vhost,
            "type": "topic",
            "durable": True,
            "auto_delete": False,
            "internal": False,
            "arguments": {},
        }

    return {
        "vhosts": [{"name": services_vhost}, {"name": partners_vhost}],
        "users": users,
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "exchanges": [
            exchange(services_vhost, config.PARTNERS_EXCHANGE),
            exchange(partners_vhost, config.PARTNERS_EXCHANGE),
        ],
        "queues": [
            {
                "name": OUTBOUND_QUEUE,
                "vhost": services_vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": {},
            }
        ],
        "bindings": [
            {
                "source": config.PARTNERS_EXCHANGE,
                "vhost": services_vhost,
                "destination": OUTBOUND_QUEUE,
                "destination_type": "queue",
                "routing_key": "#",
                "arguments": {},
            }
        ],
        "policies": [
            {
                "vhost": services_vhost,
                "name": "maillage-partners-outbound",
                "pattern": f"^{_e(OUTBOUND_QUEUE)}$",
                "apply-to": "queues",
                "priority": 0,
                "definition": {
                    "max-length": OUTBOUND_MAX_LENGTH,
                    "overflow": "reject-publish",
                    **(CLUSTER_MIRRORING if cluster else {}),
                },
            },
            *([{"vhost": services_vhost, **cluster_policy()}] if cluster else []),
            {"vhost": partners_vhost, "name": feed.FEED_POLICY_NAME, **feed.feed_policy()},
        ],
        # the broker runs it; URIs without a host are its own node, so no password is needed
        "parameters": [
            {
                "vhost": services_vhost,
                "component": "shovel",
                "name": SHOVEL_NAME,
                "value": {
                    "src-protocol": "amqp091",
                    "src-uri": _uri_vhost(services_vhost),
                    "src-queue": OUTBOUND_QUEUE,
                    "dest-protocol": "amqp091",
                    "dest-uri": _uri_vhost(partners_vhost),
                    "dest-exchange": config.PARTNERS_EXCHANGE,
                    "ack-mode": "on-confirm",
                    "reconnect-delay": 5,
                },
            }
        ],
    }


# On a cluster of nodes (AMQP_URI lists several; docker-compose.yml's `cluster` profile): the
# handlers' quorum queues are replicated by RabbitMQ itself (on 3 nodes, deploy/rabbitmq/cluster/
# advanced.config); nameko's RPC queues `rpc-<service>` and the shovel's outbound queue are classic
# durable queues, which would stay on the node that declared them and be unreachable while it is
# down: this policy mirrors them on every node, a mirror taking over when their node stops.
CLUSTER_POLICY_NAME = "maillage-cluster-mirrored"
CLUSTER_MIRRORING = {
    "ha-mode": "all",
    "ha-sync-mode": "automatic",
    "ha-promote-on-shutdown": "always",
    "ha-promote-on-failure": "always",
}


def cluster_policy() -> dict:
    """The policy of nameko's RPC queues on a cluster (a definitions document's entry, without
    its vhost)."""
    return {
        "name": CLUSTER_POLICY_NAME,
        "pattern": "^rpc-",
        "apply-to": "queues",
        "priority": 0,
        "definition": dict(CLUSTER_MIRRORING),
    }


def passwords_from_environment(environ=None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    return {
        role: config.value_in(f"RABBITMQ_{role.upper()}_PASSWORD", environ) or "" for role in ROLES
    }


def apply(document: dict, management_url: str, auth: tuple[str, str]) -> None:
    """Import `document` through the management API (idempotent: users, permissions and parameters
    are replaced by the document's)."""
    import requests

    with requests.Session() as session:
        session.trust_env = False  # the broker is inside our network
        response = session.post(
            f"{management_url.rstrip('/')}/definitions", json=document, auth=auth, timeout=30
        )
    if response.status_code not in (200, 201, 204):
        raise RuntimeError(
            f"the broker refused the definitions ({response.status_code}): {response.text[:300]}"
        )


# --- the matrix, for people ------------------------------------------------------------------


def matrix(services_vhost: str = "/", partners_vhost: str = "/partners") -> str:
    """The permission matrix as a Markdown table (docs/security.md prints the same)."""
    lines = [
        "| user | vhost | configure | write | read | topic: exchange → write / read |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def cell(text):
        return "`" + text.replace("|", "\\|") + "`"

    for role, by_vhost in grants(services_vhost, partners_vhost).items():
        for vhost, grant in by_vhost.items():
            topics = (
                "<br>".join(
                    f"{cell(x)} → {cell(w)} / {cell(r)}" for x, (w, r) in grant.topics.items()
                )
                or "—"
            )
            name = username(role) + (f" ({TAGS[role]})" if role in TAGS else "")
            lines.append(
                f"| {name} | {cell(vhost)} | {cell(grant.configure)} | {cell(grant.write)} | "
                f"{cell(grant.read)} | {topics} |"
            )
    lines.append(
        "| partner-&lt;id&gt; (made by the partners service) | `/partners` | `^partner-<id>\\.` | "
        "`^partner-<id>\\.` | `^(partner-<id>\\..*\\|maillage.partners)$` | "
        "`maillage.partners` → `^$` / `^<id>\\.` |"
    )
    return "\n".join(lines)
