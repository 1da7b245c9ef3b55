"""`LogContext`, the nameko dependency that gives each worker's log lines their context: in a
module of its own, without the database's, so that the gateway (which has none) loads no
SQLAlchemy for it."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from backbone import logs


class LogContext(DependencyProvider):
    """Each worker's log lines carry its service, correlation id (the gateway's request id, passed
    along RPC calls and carried by the events it caused), event id and village id
    (backbone/logs.py): from the worker's context data, which the gateway's web server, nameko's
    RPC headers and the event consumer (backbone/consumer.py) fill."""

    def __init__(self):
        self._tokens: dict[int, object] = {}

    def worker_setup(self, worker_ctx):
        data = worker_ctx.data
        self._tokens[id(worker_ctx)] = logs.bind(
            service=self.container.service_name,
            correlation_id=data.get("correlation_id") or worker_ctx.call_id,
            event_id=data.get("event_id"),
            village_id=data.get("village_id"),
        )

    def worker_teardown(self, worker_ctx):
        token = self._tokens.pop(id(worker_ctx), None)
        if token is not None:
            logs.unbind(token)
