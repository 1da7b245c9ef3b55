"""nameko dependencies of the backbone: `DatabaseProvider`, a session per worker, and
`OutboxRelayInProcess`, the service's outbox relay as a green thread (nudged by the workers'
commits that wrote events)."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from backbone import config
from backbone.db import Database
from backbone.rpc import call_deadline
from backbone.unit_of_work import UnitOfWork


class WorkerDatabase:
    """What a nameko worker sees as `self.db`: units of work tied to this
    worker's correlation id."""

    def __init__(
        self,
        database: Database,
        correlation_id: str | None,
        relay=None,
        deadline: float | None = None,
    ):
        self._database = database
        self._correlation_id = correlation_id
        self._relay = relay
        self._deadline = deadline
        self._open: list[UnitOfWork] = []

    def unit_of_work(self) -> UnitOfWork:
        uow = self._database.unit_of_work(
            correlation_id=self._correlation_id,
            after_events_committed=self._relay.nudge if self._relay else None,
            deadline=self._deadline,
        )
        self._open.append(uow)
        return uow

    def ping(self) -> None:
        self._database.ping()

    def close(self) -> None:
        for uow in self._open:
            uow.close()
        self._open.clear()


class DatabaseProvider(DependencyProvider):
    """Session per worker: each worker gets its own units of work, closed when the worker ends."""

    def __init__(self, service: str):
        self.service = service
        self.database: Database | None = None

    def setup(self):
        self.database = Database(config.database_url(self.service), source=self.service)

    def stop(self):
        if self.database is not None:
            self.database.dispose()

    def get_dependency(self, worker_ctx):
        correlation_id = worker_ctx.context_data.get("correlation_id") or worker_ctx.call_id
        return WorkerDatabase(
            self.database,
            correlation_id,
            self._relay_in_process(),
            deadline=call_deadline(worker_ctx),
        )

    def _relay_in_process(self):
        """The service's own relay when it runs in this process (OutboxRelayInProcess), else None:
        the events a worker commits are then handed to it at once."""
        for dependency in self.container.dependencies:
            if isinstance(dependency, OutboxRelayInProcess) and dependency.relay is not None:
                return dependency.relay
        return None

    def worker_teardown(self, worker_ctx):
        dependency = worker_ctx.service.__dict__.get(self.attr_name)
        if isinstance(dependency, WorkerDatabase):
            dependency.close()


class OutboxRelayInProcess(DependencyProvider):
    """The service's own outbox relay (backbone/relay.py), run as a green thread of its nameko
    process when the configuration says `OUTBOX_RELAY: in-process` (deploy/nameko.yaml, from
    MAILLAGE_OUTBOX_RELAY; the default of `maillage run` and compose). One process per service
    instead of two: the relay is a loop waiting on its database and the broker, and a process of its
    own cost ~68 MiB of memory for it. With `separate`, run `maillage relay SERVICE` beside it.

    A relay that dies takes its process down with it (nameko kills a container whose managed thread
    raised), so the supervisor restarts both: a service never runs with its events stuck. Replicas
    each run one; on PostgreSQL one is active and the others stand by (the
    relay's advisory lock)."""

    def __init__(self, service: str):
        self.service = service
        self.relay = None
        self._thread = None

    def start(self):
        if self.container.config.get("OUTBOX_RELAY", "separate") != "in-process":
            return
        from backbone.relay import OutboxRelay

        # the workers nudge it after each commit that wrote events; the poll is the safety net
        # (events written elsewhere: another replica's workers, the command line)
        self.relay = OutboxRelay(
            self.service,
            poll_interval=float(self.container.config.get("OUTBOX_POLL_INTERVAL", 0.1)),
        )
        self._thread = self.container.spawn_managed_thread(
            lambda: self.relay.run(handle_signals=False), identifier=f"{self.service}-outbox-relay"
        )

    def stop(self):
        if self.relay is not None:
            self.relay.stop()
            self._thread.wait()

    def kill(self):
        if self.relay is not None:
            self.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.relay
