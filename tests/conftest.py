"""Shared fixtures. Tests use the real RabbitMQ and PostgreSQL of the machine (DESIGN.md, Testing).

- `amqp_uri`: a fresh RabbitMQ vhost per test (management API), so tests never see each other's
  queues; also exported as AMQP_URI for code that reads the environment.
- `backend` / `db_url` / `service_db`: every database test runs twice, on SQLite files and on fresh
  PostgreSQL databases.
"""

import eventlet

eventlet.monkey_patch()  # before any import below; nameko's pytest plugin does not patch

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from hypothesis import settings

# Property tests (tests/properties, and beside some rules): `make test` explores the same examples
# every run, so a red run means a change broke a rule, never the luck of the draw;
# `HYPOTHESIS_PROFILE=explore make test` searches new ground with many more examples. Turn what it
# finds into a plain test beside the rule.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

RABBIT_HOST = os.environ.get("TEST_RABBIT_HOST", "127.0.0.1")
RABBIT_MANAGEMENT = os.environ.get("TEST_RABBIT_MANAGEMENT", f"http://{RABBIT_HOST}:15672/api")
RABBIT_AUTH = ("guest", "guest")
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "data"))
    # the tests' webhook receivers listen on 127.0.0.1, which production refuses (see
    # test_partner_webhooks.py: test_a_webhook_never_reaches_inside_our_network)
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "1")


def make_vhost() -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    requests.put(
        f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=10
    ).raise_for_status()
    requests.put(
        f"{RABBIT_MANAGEMENT}/permissions/{name}/guest",
        auth=RABBIT_AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    return name


def drop_vhost(name: str) -> None:
    requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{name}", auth=RABBIT_AUTH, timeout=30)


@pytest.fixture
def amqp_uri(monkeypatch):
    vhost = make_vhost()
    uri = f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}"
    monkeypatch.setenv("AMQP_URI", uri)
    yield uri
    drop_vhost(vhost)


@pytest.fixture
def nameko_config(amqp_uri):
    return {"AMQP_URI": amqp_uri, "max_workers": 10, "serializer": "json"}


def create_pg_database() -> str:
    name = f"mlg_test_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """The database engine a test runs on: both unless a test or folder narrows it
    (`@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)`)."""
    return request.param


@pytest.fixture
def db_url(backend, tmp_path):
    """One fresh database on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = create_pg_database()
        yield url
        drop_pg_database(url)


@pytest.fixture
def service_db(backend, tmp_path, monkeypatch):
    """`service_db("orders")`: a fresh, migrated database for that service alone (each service has
    its own, as in production), exported as <SERVICE>_DATABASE_URL for containers and relays."""
    from backbone import migrations
    from backbone.db import Database

    opened, created = [], []

    def make(service: str):
        if backend == "postgresql":
            url = create_pg_database()
            created.append(url)
        else:
            url = f"sqlite:///{tmp_path / (service + '.db')}"
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
        migrations.upgrade(service, url)
        database = Database(url, source=service)
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.dispose()
    for url in created:
        drop_pg_database(url)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """`smtp_server(*options)`: a real SMTP server (aiosmtpd, in its own process: eventlet breaks it
    in this one) on a free port, writing what it receives as JSON lines
    (tests/services/smtp_capture.py says its options); returns (port, received)."""
    started = []

    def start(*options):
        port, out = _free_port(), tmp_path / f"smtp-{len(started)}.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.services.smtp_capture", str(port), str(out), *options],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline().strip() == "ready"

        def received():
            return (
                [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
            )

        return port, received

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


@pytest.fixture
def partners_api(container_factory, nameko_config, service_db):
    """`partners_api(*names)`: the partners service and the gateway running on the real broker (a
    port of their own), a village known to partners, and one producer serving it per name. Returns
    `base` (the gateway's URL), `db`, `village_id`, `partners` ([(id, API key)] in the names'
    order), `coordinator` (a coordinator's bearer token) and `containers` (by service class)."""
    from types import SimpleNamespace

    from backbone.contracts import build_envelope, parse_envelope
    from backbone.schemas import load
    from gateway import auth
    from gateway.service import GatewayService
    from services.partners import partners, read_models
    from services.partners.schemas import PartnerInput
    from services.partners.service import PartnersService

    def start(*names):
        database = service_db("partners")
        village_id = str(uuid.uuid4())
        with database.unit_of_work() as uow:
            read_models.record_village(
                uow,
                parse_envelope(
                    build_envelope(
                        "village.opened",
                        {
                            "village_id": village_id,
                            "slug": "tarnac",
                            "name": "Tarnac",
                            "commune": "Tarnac",
                            "insee_code": "19265",
                            "kind": "fixed",
                            "population": 330,
                        },
                        village_id=village_id,
                        source="members",
                    )
                ),
            )
        registered = []
        for name in names:
            with database.unit_of_work() as uow:
                created = partners.register_partner(
                    uow,
                    load(
                        PartnerInput(),
                        {"name": name, "kind": "producer", "village_ids": [village_id]},
                    ),
                )
            registered.append((created["partner"]["id"], created["api_key"]))
        port = _free_port()
        config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
        containers = {
            cls: container_factory(cls, config) for cls in (PartnersService, GatewayService)
        }
        for container in containers.values():
            container.start()
        coordinator = auth.issue_token(
            {"id": str(uuid.uuid4()), "role": "coordinator", "full_name": "Coordination"}
        )
        return SimpleNamespace(
            base=f"http://127.0.0.1:{port}",
            db=database,
            village_id=village_id,
            partners=registered,
            coordinator=coordinator,
            containers=containers,
        )

    return start


from tests.network import stack  # noqa: F401  (a fixture: one whole network per test session, shared)
