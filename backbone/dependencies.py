"""nameko dependencies of the backbone: `DatabaseProvider`, a session per worker."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from backbone import config
from backbone.db import Database
from backbone.unit_of_work import UnitOfWork


class WorkerDatabase:
    """What a nameko worker sees as `self.db`: units of work tied to this worker's correlation id."""

    def __init__(self, database: Database, correlation_id: str | None):
        self._database = database
        self._correlation_id = correlation_id
        self._open: list[UnitOfWork] = []

    def unit_of_work(self) -> UnitOfWork:
        uow = self._database.unit_of_work(correlation_id=self._correlation_id)
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
        return WorkerDatabase(self.database, correlation_id)

    def worker_teardown(self, worker_ctx):
        dependency = worker_ctx.service.__dict__.get(self.attr_name)
        if isinstance(dependency, WorkerDatabase):
            dependency.close()
