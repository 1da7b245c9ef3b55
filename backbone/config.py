"""Settings read from the environment, the same names locally and in docker-compose."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SERVICES = ("members", "partners", "orders", "events")

EVENTS_EXCHANGE = "maillage.events"
DEAD_LETTER_EXCHANGE = "maillage.dead-letter"
DEAD_LETTER_QUEUE = "maillage.dead-letters"
# set by `maillage run` for its processes: the file where it tells what it knows of them
SUPERVISOR_STATUS_ENV = "MAILLAGE_SUPERVISOR_STATUS"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def data_dir() -> Path:
    path = Path(os.environ.get("MAILLAGE_DATA_DIR", REPO_ROOT / "var" / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL` (e.g. ORDERS_DATABASE_URL) or a SQLite file
    under the data folder."""
    explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    return f"sqlite:///{data_dir() / (service + '.db')}"


def delivery_limit() -> int:
    """How many times a handler may fail on one event before the consumer dead-letters it (at most
    topology.BROKER_DELIVERY_LIMIT, the broker's own safety net)."""
    return int(os.environ.get("MAILLAGE_DELIVERY_LIMIT", "5"))


def retry_delay() -> float:
    """Seconds before a failed event is retried the first time (doubled at each attempt)."""
    return float(os.environ.get("MAILLAGE_RETRY_DELAY", "0.5"))


def rpc_timeout() -> float:
    return float(os.environ.get("MAILLAGE_RPC_TIMEOUT", "5"))


# --- partner subscriptions (services/partners/deliveries.py) ---------------------------------

PARTNERS_EXCHANGE = "maillage.partners"


def webhook_max_attempts() -> int:
    """Attempts at one delivery (webhook or AMQP feed) before it is parked with the last reason."""
    return int(os.environ.get("MAILLAGE_WEBHOOK_MAX_ATTEMPTS", "8"))


def webhook_retry_base() -> float:
    """Seconds before the second attempt of a delivery, doubled each time up
    to webhook_retry_max()."""
    return float(os.environ.get("MAILLAGE_WEBHOOK_RETRY_BASE", "30"))


def webhook_retry_max() -> float:
    return float(os.environ.get("MAILLAGE_WEBHOOK_RETRY_MAX", "3600"))


def webhook_timeout() -> float:
    return float(os.environ.get("MAILLAGE_WEBHOOK_TIMEOUT", "5"))


def webhook_deadline() -> float:
    """Seconds one webhook attempt may take in all (resolving, connecting, sending, the answer):
    the socket timeout alone lets an endpoint that drips a byte now and then
    hold a sender forever."""
    return float(os.environ.get("MAILLAGE_WEBHOOK_DEADLINE", "15"))


def webhook_workers() -> int:
    """Deliveries sent at once by one partners process (green threads)."""
    return max(1, int(os.environ.get("MAILLAGE_WEBHOOK_WORKERS", "8")))


def webhook_per_partner() -> int:
    """Deliveries sent at once to one partner: a slow partner never takes every sender."""
    return max(1, int(os.environ.get("MAILLAGE_WEBHOOK_PER_PARTNER", "2")))


def webhook_allow_private() -> bool:
    """Whether webhooks may reach private, loopback or link-local addresses (our own network).
    Off by default: a partner's URL must not become a way into the services; on for tests and a
    developer's receiver on this machine."""
    return os.environ.get("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "0").lower() in ("1", "true", "yes")


def rabbit_management_url() -> str:
    """The broker's management HTTP API (partners' feed accounts); by default on AMQP_URI's host."""
    from urllib.parse import urlsplit

    explicit = os.environ.get("MAILLAGE_RABBIT_MANAGEMENT_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://{urlsplit(amqp_uri()).hostname or '127.0.0.1'}:15672/api"


def rabbit_management_auth(amqp_uri_: str | None = None) -> tuple[str, str]:
    """Who the partners service is on the management API when it makes a partner's broker user
    (only an administrator may): MAILLAGE_RABBIT_MANAGEMENT_USER and _PASSWORD, by default
    AMQP_URI's user (one user for everything in a local trial)."""
    from urllib.parse import unquote, urlsplit

    user = os.environ.get("MAILLAGE_RABBIT_MANAGEMENT_USER")
    if user:
        return user, os.environ.get("MAILLAGE_RABBIT_MANAGEMENT_PASSWORD", "")
    parts = urlsplit(amqp_uri_ or amqp_uri())
    return unquote(parts.username or "guest"), unquote(parts.password or "guest")


def partners_vhost(amqp_uri_: str | None = None) -> str:
    """The vhost where partners' broker users and feed queues live (`/partners` in compose, fed by
    the broker's shovel from the services' `maillage.partners`); by default AMQP_URI's own vhost,
    for a local trial on one vhost without the shovel plugin."""
    from urllib.parse import unquote, urlsplit

    explicit = os.environ.get("MAILLAGE_PARTNERS_VHOST")
    if explicit:
        return explicit
    path = urlsplit(amqp_uri_ or amqp_uri()).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def feed_max_length() -> int:
    """Messages a partner's feed queue keeps; past it the oldest are dropped
    (never a refused publish)."""
    return int(os.environ.get("MAILLAGE_FEED_MAX_LENGTH", "10000"))


def feed_max_bytes() -> int:
    """Bytes of message bodies a partner's feed queue keeps; past it the oldest are dropped."""
    return int(os.environ.get("MAILLAGE_FEED_MAX_BYTES", str(50 * 1024 * 1024)))


def guest_retention_days() -> int:
    """Days after an animation ends before its guests' names and phones are erased (events)."""
    return int(os.environ.get("MAILLAGE_GUEST_RETENTION_DAYS", "30"))


def public_page_cache_seconds() -> float:
    """Seconds the gateway keeps a public page (`/villages`, `/village/<slug>`) before building it
    again; 0 builds every request. The page already tells caches on the way a minute."""
    return max(0.0, float(os.environ.get("MAILLAGE_PUBLIC_CACHE_SECONDS", "30")))


def outbox_retention_days() -> int:
    """Days a published outbox row (an event body, which may name a person) is kept before the
    daily purge deletes it (backbone/retention.py)."""
    return int(os.environ.get("MAILLAGE_OUTBOX_RETENTION_DAYS", "7"))


def delivery_retention_days() -> int:
    """Days a settled partner delivery keeps its body (a copy of the event sent) before the daily
    purge empties it; the delivery's log line stays (partners, deliveries.py)."""
    return int(os.environ.get("MAILLAGE_DELIVERY_RETENTION_DAYS", "30"))


def dead_letter_retention_days() -> int:
    """Days a dead letter (a whole event body, which may name a person) stays in the dead-letter
    queue for operators to replay before the daily purge removes it (backbone/dead_letters.py)."""
    return int(os.environ.get("MAILLAGE_DEAD_LETTER_RETENTION_DAYS", "30"))


def notices_outbox() -> Path:
    """Where the members service's notice sender writes the SMS and e-mails it would send when no
    SMS or mail gateway is configured (a trial run): one JSON line per message."""
    return Path(os.environ.get("MAILLAGE_NOTICES_OUTBOX", data_dir() / "notices-outbox.jsonl"))
