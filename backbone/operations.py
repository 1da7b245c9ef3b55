"""What an orchestrator and Prometheus ask of every process of the network, on the port given by
MAILLAGE_OPS_PORT (8080 in the containers; `maillage run` gives each process its own):

- `GET /livez`: 200 as long as the process runs and serves HTTP (restart it otherwise);
- `GET /readyz`: 200 when every part of the process can serve (a service: its broker connection
  and its own database; a relay: its database and the broker, or standing by behind another
  replica's lock), 503 with a JSON reason naming the part and what fails otherwise (send it no
  work, do not restart it: it may only wait for its database);
- `GET /metrics`: every instrument of backbone/metrics.py in Prometheus's text format, with
  `maillage_ready` (1 or 0 per part) for the alert on a part that is not ready.

The gateway answers the same three on its own port (gateway/routes/network.py), its readiness its
own: it never depends on every service being up.

How they are served: one small WSGI app, served by the standard library's threading WSGI server
(the plumbing prometheus_client's own `start_wsgi_server` uses), started once per process on the
first part that attaches and stopped with the last. Not nameko's http entrypoint: that would take
a worker of the service's pool for each probe and scrape, so a service whose workers are all busy
would fail its liveness and be restarted for being busy; it would also add an entrypoint to each
service class and a web server per container (several in the compact run's one process, all
wanting the same port). Under nameko the process is patched by eventlet, so this server's threads
are green threads, like the workers; in a relay process (`maillage relay`, no eventlet) they are
real threads. The same code serves both."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily

from backbone import config, metrics

log = logging.getLogger(__name__)

CHECK_DEADLINE = 2.0  # seconds one part's readiness check may take

# a part's check: None when it can serve, else why not (one short line)
Check = Callable[[], "str | None"]


# --- readiness -----------------------------------------------------------------------------------


class Parts:
    """The parts of this process that say whether they can serve (a service, a relay)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> int:
        with self._lock:
            self._checks[name] = check
            return len(self._checks)

    def remove(self, name: str) -> int:
        with self._lock:
            self._checks.pop(name, None)
            return len(self._checks)

    def readiness(self) -> dict[str, str]:
        """Each part: "ok", or why it cannot serve."""
        with self._lock:
            checks = dict(self._checks)
        answers = {}
        for name, check in sorted(checks.items()):
            try:
                answers[name] = metrics.within(CHECK_DEADLINE, check) or "ok"
            except BaseException as exc:  # noqa: BLE001  eventlet's Timeout is a BaseException
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                answers[name] = f"check failed: {type(exc).__name__}: {exc}"[:300]
        return answers


PARTS = Parts()


class _ReadyGauge:
    """`maillage_ready{part}`, read from the parts' checks at each scrape."""

    def describe(self):
        return []

    def collect(self):
        family = GaugeMetricFamily(
            metrics.READY,
            "1 when this part of the process can serve, 0 otherwise.",
            labels=["part"],
        )
        for name, answer in PARTS.readiness().items():
            family.add_metric([name], 1.0 if answer == "ok" else 0.0)
        yield family


REGISTRY.register(_ReadyGauge())


# --- the HTTP side -------------------------------------------------------------------------------

_metrics_app = make_wsgi_app(REGISTRY)


def _json(start_response, status: str, body: dict):
    payload = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(payload))),
        ],
    )
    return [payload]


def ops_app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return _json(start_response, "405 Method Not Allowed", {"error": "method_not_allowed"})
    if path == "/livez":
        return _json(start_response, "200 OK", {"status": "alive"})
    if path == "/readyz":
        parts = PARTS.readiness()
        failing = {name: why for name, why in parts.items() if why != "ok"}
        if failing:
            reason = "; ".join(f"{name}: {why}" for name, why in failing.items())
            return _json(
                start_response,
                "503 Service Unavailable",
                {"status": "not ready", "reason": reason, "parts": parts},
            )
        return _json(start_response, "200 OK", {"status": "ready", "parts": parts})
    if path == "/metrics":
        return _metrics_app(environ, start_response)
    return _json(start_response, "404 Not Found", {"error": "not_found", "path": path})


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a probe left hanging never holds the process at exit
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # probes every few seconds: not worth a log line each
        pass


class _Server:
    def __init__(self):
        self._lock = threading.Lock()
        self.httpd = None
        self._thread = None

    @property
    def port(self) -> int | None:
        return self.httpd.server_port if self.httpd is not None else None

    def ensure_started(self) -> None:
        port = config.ops_port()
        with self._lock:
            if self.httpd is not None or port is None:
                return
            host = config.ops_host()
            self.httpd = make_server(
                host, port, ops_app, server_class=_ThreadingServer, handler_class=_QuietHandler
            )
            self._thread = threading.Thread(
                target=self.httpd.serve_forever,
                kwargs={"poll_interval": 0.5},
                name="ops-http",
                daemon=True,
            )
            self._thread.start()
            log.info("/livez, /readyz and /metrics on %s:%d", host, self.httpd.server_port)

    def stop(self) -> None:
        with self._lock:
            httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()


SERVER = _Server()


def attach(name: str, check: Check) -> None:
    """A part of this process joins its readiness (and starts the ops server if it is the first,
    when MAILLAGE_OPS_PORT is set)."""
    PARTS.add(name, check)
    SERVER.ensure_started()


def detach(name: str) -> None:
    if PARTS.remove(name) == 0:
        SERVER.stop()


# --- the nameko side -----------------------------------------------------------------------------


class Operations(DependencyProvider):
    """`ops = Operations()` in a service class: the service is a part of its process's readiness
    (its broker connections and its database), its outbox is read at each scrape (with the
    `gauges` given: functions `(connection, service)` returning more metric families from its
    database), and its RPC methods are timed (`maillage_rpc_duration_seconds`)."""

    def __init__(self, *gauges: metrics.ScrapeGauges):
        self.gauges = gauges
        self._started: dict[str, float] = {}

    def start(self):
        self.service = self.container.service_name
        self.engine = self._database().engine
        metrics.register_database(self.service, self.engine, self.gauges)
        attach(self.service, self.not_ready)

    def stop(self):
        detach(self.service)
        metrics.unregister_database(self.service, self.engine)

    def kill(self):
        if getattr(self, "engine", None) is not None:
            self.stop()

    def _database(self):
        from backbone.dependencies import DatabaseProvider  # which the services import first

        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseProvider):
                return dependency.database
        raise TypeError(f"{self.container.service_name}: Operations reads the service's `db`")

    def not_ready(self) -> str | None:
        from backbone.broker import SafeQueueConsumer

        consumers = [
            extension
            for extension in self.container.subextensions
            if isinstance(extension, SafeQueueConsumer)
        ]
        if any(not consumer.broker_connected for consumer in consumers):
            return "broker: not connected (reconnecting)"
        try:
            metrics.ping(self.engine)
        except Exception as exc:  # noqa: BLE001  any failure: the database cannot serve
            return f"database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        return None

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        if isinstance(worker_ctx.entrypoint, Rpc):
            self._started[worker_ctx.call_id] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx.call_id, None)
        if started is None:
            return
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], worker_ctx.entrypoint.expected_exceptions or ()):
            outcome = "refused"
        else:
            outcome = "error"
        metrics.RPC_LATENCY.labels(
            self.service, worker_ctx.entrypoint.method_name, outcome
        ).observe(time.perf_counter() - started)
