"""Services started once for a test module, and its databases put back before each of its tests.

A service test that starts its own containers spends about three quarters of its time making its
world (a vhost, a database copy, the containers started, then killed) and a quarter in its own
calls (bench/README.md, "Module worlds"). A module whose tests all begin from the same world uses
`ModuleWorld` instead, from a module-scoped fixture: one vhost, one database per service and the
services started once per backend; before each test, `reset()` waits until the services are done
with the last test's calls and puts every database back as the module's set-up left it (its rows,
its sequences) in one transaction.

What a test may then not rely on, and such a module must not need:
- the services' timers and event handlers: they are not started (a timer could write between a
  reset and the next test; the modules that use a world check what a service answers and writes);
- a service started after an environment variable the test set: the services start before any
  test, with the module's own environment (`env`);
- a schema changed by the test: `reset()` refuses a database whose tables are no longer the ones
  the set-up left;
- what a service keeps in memory (a gateway's caches): only the databases are put back.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import eventlet
import pytest
from nameko.containers import get_container_cls

from backbone.consumer import EventConsumer
from backbone.db import Database
from backbone.timer import Timer
from tests.support.infrastructure import RABBIT_HOST, drop_later, make_vhost
from tests.support.pg_copies import Contents


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request):
    """A module whose tests share a world makes its backend module-scoped, a world each, by
    importing this fixture (`parametrize("backend", [...], indirect=True)` narrows it, on a test
    or the whole module); tests/conftest.py then keeps each backend's tests on one worker."""
    return request.param


class _SqliteSnapshot:
    """The rows of a SQLite database at one moment, kept in a file beside it."""

    def __init__(self, path: Path):
        self.path = path
        self.copy = path.with_name(path.stem + "-snapshot.db")
        with sqlite3.connect(path) as source, sqlite3.connect(self.copy) as target:
            source.backup(target)
        source.close()
        target.close()

    def restore(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=OFF")  # the snapshot's rows satisfy them
            conn.execute("ATTACH DATABASE ? AS snapshot", (str(self.copy),))
            schemas = [
                conn.execute(
                    f"SELECT type, name, sql FROM {database}.sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
                ).fetchall()
                for database in ("main", "snapshot")
            ]
            assert schemas[0] == schemas[1], f"a test changed the schema of {self.path.name}"
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM snapshot.sqlite_master WHERE type = 'table'"
                )
            ]
            conn.execute("BEGIN IMMEDIATE")
            for table in tables:
                conn.execute(f'DELETE FROM main."{table}"')
                conn.execute(f'INSERT INTO main."{table}" SELECT * FROM snapshot."{table}"')
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE snapshot")
        finally:
            conn.close()


class _PostgresSnapshot:
    def __init__(self, url: str):
        self.url = url
        self.contents = Contents(url)

    def restore(self) -> None:
        # the services' own connections stay: they hold no lock between two tests
        assert self.contents.restore(self.url, end_connections=False), (
            f"a test changed the schema of {self.url.rsplit('/', 1)[1]}, or still holds a lock on "
            "one of its rows"
        )


class ModuleWorld:
    """A vhost, a database per service and services on them, for one module and one backend:
    `database(service)`, then `start(*service classes)`, then the module's own set-up (RPC calls,
    rows), then `snapshot()`; `reset()` before each test; `close()` at the end."""

    def __init__(self, backend, folder: Path, pg_copies, migrated_templates, env: dict):
        self.backend = backend
        self.folder = folder
        self._pg_copies = pg_copies
        self._templates = migrated_templates
        self._patch = pytest.MonkeyPatch()
        self.vhost = make_vhost()
        self.amqp_uri = f"amqp://guest:guest@{RABBIT_HOST}:5672/{self.vhost}"
        self.config = {
            "AMQP_URI": self.amqp_uri,
            "max_workers": 10,
            "serializer": "json",
            "SERVICE_CONTAINER_CLS": "backbone.container.MaillageContainer",
        }
        for name, value in {
            "AMQP_URI": self.amqp_uri,
            "MAILLAGE_DATA_DIR": str(folder / "data"),
            "MAILLAGE_WEBHOOK_ALLOW_PRIVATE": "1",
            **env,
        }.items():
            self._patch.setenv(name, value)
        self._databases: dict[str, tuple[str, Database]] = {}
        self._snapshots: list = []
        self.containers: list = []

    def database(self, service: str) -> Database:
        """The service's database (migrated, as its template holds it), exported as
        <SERVICE>_DATABASE_URL for the services started after."""
        if self.backend == "postgresql":
            url = self._pg_copies(service).take()
        else:
            path = self.folder / f"{service}.db"
            source = Path(self._templates("sqlite", service).removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
            url = f"sqlite:///{path}"
        self._patch.setenv(f"{service.upper()}_DATABASE_URL", url)
        database = Database(url, source=service)
        self._databases[service] = (url, database)
        return database

    def start(self, *service_classes, config: dict | None = None) -> None:
        """Starts each service with neither its event handlers nor its timers (see above)."""
        for service_cls in service_classes:
            container = get_container_cls(self.config)(service_cls, config or self.config)
            for entrypoint in list(container.entrypoints):
                if isinstance(entrypoint, EventConsumer | Timer):
                    container.entrypoints.remove(entrypoint)
            self.containers.append(container)
            container.start()

    def snapshot(self) -> None:
        """What each database holds now is what `reset()` puts back."""
        self.wait_idle()
        for url, _database in self._databases.values():
            if url.startswith("sqlite:///"):
                self._snapshots.append(_SqliteSnapshot(Path(url.removeprefix("sqlite:///"))))
            else:
                self._snapshots.append(_PostgresSnapshot(url))

    def wait_idle(self, timeout: float = 30) -> None:
        """Until no service still handles a call (a test may leave without waiting for one)."""
        deadline = time.monotonic() + timeout
        while any(container._worker_threads for container in self.containers):
            assert time.monotonic() < deadline, "a service still busy with the last test's call"
            time.sleep(0.01)

    def reset(self) -> None:
        self.wait_idle()
        for snapshot in self._snapshots:
            snapshot.restore()

    def close(self) -> None:
        # at once: a container on nameko's own consumer (a test's fake service) waits up to a
        # second for its read of the broker to end
        pool = eventlet.GreenPool()
        for container in self.containers:
            pool.spawn(container.kill)
        pool.waitall()
        for _url, database in self._databases.values():
            database.dispose()
        for service, (url, _database) in self._databases.items():
            if not url.startswith("sqlite:///"):
                self._pg_copies(service).give_back(url)
        drop_later("vhost", self.vhost)
        self._patch.undo()
