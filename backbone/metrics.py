"""Every Prometheus instrument of Maillage, in one place: the gateway, the services and the relays
count with these and nothing else, so that the names the alert rules and the dashboard use
(deploy/monitoring/) are all here (tests/deploy/test_monitoring.py checks it).

Labels are bounded: an HTTP request is counted under its route's template
(`/api/villages/<village_id>/orders`), never its path; an event under its type when the contract
registry knows it (`unknown` otherwise: a poison message must not invent label values); a consumer
under its queue name.

Some figures are read when Prometheus scrapes, not counted: the outbox's backlog and the age of
its oldest unpublished row (one indexed query per service database, `register_database`), and what
a service adds of its own (partners: the deliveries parked). A database that does not answer within
SCRAPE_DEADLINE leaves its figures out of that scrape rather than holding it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

SCRAPE_DEADLINE = 2.0  # seconds a service database may take to give its figures to a scrape
UNKNOWN = "unknown"

# Buckets in seconds: a request or a call is a few milliseconds when all is well, the RPC deadline
# (5 s) when a service is away.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "maillage_http_requests",
    "HTTP requests answered by the gateway, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "maillage_http_request_duration_seconds",
    "Time the gateway took to answer, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
RPC_LATENCY = Histogram(
    "maillage_rpc_duration_seconds",
    "Time a service took to answer an RPC call, by method and outcome "
    "(ok, refused: an expected error such as invalid input, error).",
    ["service", "method", "outcome"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter(
    "maillage_events_published",
    "Events the outbox relay published and the broker confirmed, by service and type.",
    ["service", "type"],
)
EVENTS_CONSUMED = Counter(
    "maillage_events_consumed",
    "Events a consumer handled (its effect committed), by consumer queue and type.",
    ["consumer", "type"],
)
EVENTS_RETRIED = Counter(
    "maillage_events_retried",
    "Events put back in their queue after their handler failed, by consumer queue and type.",
    ["consumer", "type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "maillage_events_dead_lettered",
    "Events moved to the dead-letter queue, by consumer queue, type and reason "
    "(invalid: not JSON or not matching its contract; failed: the handler kept failing).",
    ["consumer", "type", "reason"],
)
INBOX_DUPLICATES = Counter(
    "maillage_inbox_duplicates",
    "Events a consumer had already handled (found in its inbox) and skipped.",
    ["consumer", "type"],
)
PARTNER_DELIVERIES = Counter(
    "maillage_partner_deliveries",
    "Attempts at a partner delivery, by channel (webhook, amqp) and outcome "
    "(delivered, failed: tried again later, parked).",
    ["channel", "outcome"],
)
NOTICES = Counter(
    "maillage_notices",
    "Notices to members handled by the sender, by channel and outcome "
    "(sent, failed: tried again later, deferred: quiet hours, to_call, parked).",
    ["channel", "outcome"],
)

# figures read at scrape time (DatabaseGauges, the readiness of each process's parts)
OUTBOX_PENDING = "maillage_outbox_pending"
OUTBOX_OLDEST = "maillage_outbox_oldest_pending_seconds"
READY = "maillage_ready"
PARTNER_DELIVERIES_PARKED = "maillage_partner_deliveries_parked"

HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED_ROUTE = "<unmatched>"  # a path no route answers (404) or a method none takes (405)


def observe_http(route: str, method: str, status: int, seconds: float) -> None:
    """One request answered by the gateway, under its route's template."""
    method = method if method in HTTP_METHODS else "OTHER"
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)


ScrapeGauges = Callable[[object, str], Iterable[GaugeMetricFamily]]


def event_type_label(event_type: object) -> str:
    """The type as a label value when the contract registry knows it, `unknown` otherwise."""
    from backbone.contracts import registry

    return event_type if isinstance(event_type, str) and event_type in registry.types() else UNKNOWN


def outbox_gauges(connection, service: str) -> list[GaugeMetricFamily]:
    """How many events wait in the service's outbox, and for how long the oldest has waited: two
    reads of the index of the pending rows (ix_outbox_unpublished), whatever the size of the
    table. (SQLAlchemy is imported here: the gateway counts its requests with this module and has
    no database.)"""
    from sqlalchemy import func, select

    from backbone.tables import OutboxEvent

    pending = connection.execute(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
    ).scalar_one()
    oldest = connection.execute(
        select(OutboxEvent.created_at)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(1)
    ).scalar_one_or_none()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = max(0.0, (datetime.now(UTC) - oldest).total_seconds()) if oldest is not None else 0.0
    backlog = GaugeMetricFamily(
        OUTBOX_PENDING, "Events written but not yet published by the relay.", labels=["service"]
    )
    backlog.add_metric([service], pending)
    age_gauge = GaugeMetricFamily(
        OUTBOX_OLDEST,
        "Seconds the oldest unpublished event has waited in the outbox (0: none waits).",
        labels=["service"],
    )
    age_gauge.add_metric([service], age)
    return [backlog, age_gauge]


class DatabaseGauges:
    """The collector of the figures read from the service databases of this process when scraped:
    the outbox of each (`register_database`), and whatever else a service registered with it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._databases: dict[str, tuple[object, tuple[ScrapeGauges, ...]]] = {}

    def register(self, service: str, engine, extra: tuple[ScrapeGauges, ...] = ()) -> None:
        with self._lock:
            self._databases[service] = (engine, (outbox_gauges, *extra))

    def unregister(self, service: str, engine=None) -> None:
        with self._lock:
            registered = self._databases.get(service)
            if registered is not None and (engine is None or registered[0] is engine):
                del self._databases[service]

    def describe(self):
        return []  # figures that appear only once a database is registered

    def collect(self):
        with self._lock:
            databases = dict(self._databases)
        merged: dict[str, GaugeMetricFamily] = {}
        for service, (engine, readers) in sorted(databases.items()):
            try:
                families = within(SCRAPE_DEADLINE, _read_gauges, engine, service, readers)
            except Exception as exc:  # noqa: BLE001  a database away: its figures are left out
                log.warning("metrics: %s database gave no figures (%s)", service, exc)
                continue
            for family in families:
                if family.name in merged:
                    merged[family.name].samples.extend(family.samples)
                else:
                    merged[family.name] = family
        yield from merged.values()


def _read_gauges(engine, service: str, readers) -> list[GaugeMetricFamily]:
    with engine.connect() as connection:
        return [family for read in readers for family in read(connection, service)]


def within(seconds: float, function, *args):
    """`function(*args)` given at most `seconds` where the process is green (eventlet: the nameko
    services), as is where it runs on real threads (the relays): their own timeouts hold there."""
    import eventlet.patcher

    if not eventlet.patcher.is_monkey_patched("socket"):
        return function(*args)
    import eventlet

    with eventlet.Timeout(seconds):
        return function(*args)


def ping(engine) -> None:
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


DATABASES = DatabaseGauges()
REGISTRY.register(DATABASES)


def register_database(service: str, engine, extra: tuple[ScrapeGauges, ...] = ()) -> None:
    DATABASES.register(service, engine, extra)


def unregister_database(service: str, engine=None) -> None:
    DATABASES.unregister(service, engine)
