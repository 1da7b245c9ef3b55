"""Shared fixtures. Tests use the real RabbitMQ and PostgreSQL of the machine (DESIGN.md, Testing).

- `amqp_uri`: a fresh RabbitMQ vhost per test (management API), so tests never see each other's
  queues; also exported as AMQP_URI for code that reads the environment.
- `backend` / `db_url` / `service_db`: every database test runs twice, on SQLite files and on fresh
  PostgreSQL databases.
"""

import eventlet

eventlet.monkey_patch()  # before any import below; nameko's pytest plugin does not patch

import collections
import gc
import json
import os

# argon2 at its light cost in this process and every network it starts (they inherit the
# environment): the suite signs in thousands of times; tests/backbone/test_config.py and
# tests/services/test_passwords.py check the standard cost and that production refuses light
os.environ.setdefault("MAILLAGE_PASSWORD_HASHING", "light")
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.infrastructure import (
    RABBIT_HOST,
    create_pg_database,
    drop_later,
    ends_with_this_process,
    finish_drops,
    free_port,
    make_vhost,
    sweep_leftovers,
)


def _keep_xdist_on_real_threads() -> None:
    """In a pytest-xdist worker, execnet's reader is a real thread that hands the worker its tests
    through a lock and an event made by the execution model after this module is imported: once
    eventlet has patched `threading` they would be green, set from another OS thread, and the
    worker would wait forever ("bringing up nodes..."). They stay real.

    So does the event the worker's main thread waits on between execnet's tasks, made before this
    module was imported: each wait on it takes a fresh lock from `threading`, green once patched,
    which the reader's `set()` from its OS thread never wakes. A worker whose session ends before
    the last one's (no tests left for it) would wait there until xdist kills it, EXIT_TIMEOUT
    (10 s) after the pass's last test, and the pass would end that much later."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    import gc

    from execnet.gateway_base import MainThreadOnlyExecModel, WorkerPool

    threading = eventlet.patcher.original("threading")
    MainThreadOnlyExecModel.Lock = MainThreadOnlyExecModel.RLock = lambda self: threading.RLock()
    MainThreadOnlyExecModel.Event = lambda self: threading.Event()
    for pool in (each for each in gc.get_objects() if isinstance(each, WorkerPool)):
        if pool._primary_thread_task_ready is not None:
            pool._primary_thread_task_ready._cond = threading.Condition(threading.Lock())


_keep_xdist_on_real_threads()

# Property tests (tests/properties, and beside some rules): `make test` explores the same examples
# every run, so a red run means a change broke a rule, never the luck of the draw;
# `HYPOTHESIS_PROFILE=explore make test` searches new ground with many more examples. Turn what it
# finds into a plain test beside the rule.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def _data_dirs(tmp_path_factory):
    return tmp_path_factory.mktemp("data-dirs")


@pytest.fixture(autouse=True)
def _isolated_data_dir(_data_dirs, monkeypatch):
    # a data folder of its own per test, made by what first writes there (`config.data_dir()`),
    # its parent the test's own too (`maillage run` puts its logs there): a `tmp_path` made for
    # each of the suite's ~4,700 tests cost ~2.6 ms of CPU each, mostly the system's
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(_data_dirs / uuid.uuid4().hex / "data"))
    # the tests' webhook receivers listen on 127.0.0.1, which production refuses (see
    # test_partner_webhooks.py: test_a_webhook_never_reaches_inside_our_network)
    monkeypatch.setenv("MAILLAGE_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def amqp_uri(monkeypatch):
    vhost = make_vhost()
    uri = f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}"
    monkeypatch.setenv("AMQP_URI", uri)
    yield uri
    drop_later("vhost", vhost)


@pytest.fixture
def nameko_config(amqp_uri):
    return {
        "AMQP_URI": amqp_uri,
        "max_workers": 10,
        "serializer": "json",
        # production's container (deploy/nameko.yaml)
        "SERVICE_CONTAINER_CLS": "backbone.container.MaillageContainer",
    }


@pytest.fixture
def container_factory(container_factory, request):
    """nameko's `container_factory`; in a test marked `no_event_consumers` the services it starts
    answer RPC and HTTP and run their timers, but consume no event. Such tests check what a service
    answers and writes, never what it does with another's events: without its handlers, a service
    declares none of their quorum queues, each of which costs RabbitMQ ~11 ms of CPU to declare and
    drop again with the test's vhost (a members service has 19 handlers; bench/README.md, "where
    the test suite's CPU goes")."""
    if request.node.get_closest_marker("no_event_consumers") is None:
        return container_factory
    from backbone.consumer import EventConsumer

    def make(service_cls, config):
        container = container_factory(service_cls, config)
        for entrypoint in list(container.entrypoints):
            if isinstance(entrypoint, EventConsumer):
                container.entrypoints.remove(entrypoint)
        return container

    return make


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
        drop_later("pg", url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """`migrated_templates(backend, service)`: a database migrated once per session (a PostgreSQL
    template, a SQLite file) that `service_db` copies: a copy takes a fraction of the migrations'
    time, and every test still starts from a fresh, fully migrated database of its own."""
    from backbone import migrations

    made = {}

    def template(backend: str, service: str) -> str:
        if (backend, service) not in made:
            if backend == "postgresql":
                url = create_pg_database()
            else:
                url = f"sqlite:///{tmp_path_factory.mktemp('templates') / (service + '.db')}"
            migrations.upgrade(service, url)
            made[(backend, service)] = url
        return made[(backend, service)]

    yield template
    for (backend, _), url in made.items():
        if backend == "postgresql":
            drop_later("pg", url.rsplit("/", 1)[1])


@pytest.fixture(scope="session")
def pg_copies(migrated_templates):
    """`pg_copies(service)`: the PostgreSQL copies of that service's migrated template this process
    made, each reused by the next test once the last one is done with it
    (tests/support/pg_copies.py)."""
    from tests.support.pg_copies import TemplateCopies

    made = {}

    def copies(service: str) -> TemplateCopies:
        if service not in made:
            made[service] = TemplateCopies(migrated_templates("postgresql", service))
        return made[service]

    yield copies
    for each in made.values():
        each.close()


@pytest.fixture
def service_db(backend, tmp_path, monkeypatch, migrated_templates, pg_copies):
    """`service_db("orders")`: a migrated database for that service alone (each service has its
    own, as in production) holding only what its migrations put there, exported as
    <SERVICE>_DATABASE_URL for containers and relays: a fresh SQLite file, or a PostgreSQL copy of
    the template (made for the test, or one an earlier test was done with, emptied back)."""
    from backbone.db import Database

    opened, taken = [], []

    def make(service: str):
        if backend == "postgresql":
            url = pg_copies(service).take()
            taken.append((service, url))
        else:
            path = tmp_path / (service + ".db")
            source = Path(migrated_templates(backend, service).removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{source}{suffix}").exists():
                    shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
            url = f"sqlite:///{path}"
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", url)
        database = Database(url, source=service)
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.dispose()
    for service, url in taken:
        pg_copies(service).give_back(url)


@pytest.fixture(scope="module")
def module_world(backend, tmp_path_factory, pg_copies, migrated_templates):
    """`module_world(**env)`: a vhost, databases and services started once for the module on
    `backend`, which the module makes module-scoped (tests/support/module_world.py)."""
    from tests.support.module_world import ModuleWorld

    made = []

    def make(**env):
        folder = tmp_path_factory.mktemp("world")
        made.append(ModuleWorld(backend, folder, pg_copies, migrated_templates, env))
        return made[-1]

    yield make
    for world in made:
        world.close()


@pytest.fixture
def smtp_server(tmp_path):
    """`smtp_server(*options)`: a real SMTP server (aiosmtpd, in its own process: eventlet breaks it
    in this one) on a free port, writing what it receives as JSON lines
    (tests/support/smtp_capture.py says its options); returns (port, received)."""
    started = []

    def start(*options):
        port, out = free_port(), tmp_path / f"smtp-{len(started)}.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.smtp_capture", str(port), str(out), *options],
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=ends_with_this_process,
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

    from gateway import auth
    from gateway.service import GatewayService
    from services.partners.service import PartnersService
    from tests.support.partners import village_with_producers

    def start(*names):
        database = service_db("partners")
        village_id, registered = village_with_producers(database, *names)
        port = free_port()
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


from tests.support.network import stack  # noqa: F401  (a fixture: one whole network per worker)


def pytest_configure(config):
    """The alone pass's smaller database pools; and once per run (not in each xdist worker): what
    killed runs left in the broker and in PostgreSQL goes (tests/support/infrastructure.py)."""
    if config.getoption("--suite-pass") == "alone":
        # its three networks on PostgreSQL at once (the broker cluster's, the self-healing one's,
        # the faults under load's) share the machine's max_connections (100) with what the parallel
        # pass's droppers still do: at the default pool (10 kept open a process) they held up to
        # 83 connections, so near the limit that a test's own connection could be refused
        # (bench/README.md, "PostgreSQL's connections in the alone pass")
        os.environ.setdefault("MAILLAGE_DB_POOL_SIZE", "5")
    if not hasattr(config, "workerinput"):
        swept = sweep_leftovers()
        if swept:
            print(f"dropping {len(swept)} vhosts and databases left by killed test runs")


def pytest_unconfigure(config):
    """The last of a test process. The dropper (`drop_later`) is told that nothing more comes
    (after the session's own fixtures, the migrated templates, are torn down) and drops the rest
    beside what runs next, without the worker waiting for its checkpoints. Then what the process
    holds is frozen out of the garbage collector: Python's last collection, at exit, goes through a
    worker's whole heap for seconds while the pass waits on it (execnet sends a worker still busy
    after 5 s a SIGINT, and xdist kills it at 10 s). bench/pass_tail.py measures both."""
    finish_drops(wait=False)
    gc.freeze()


def pytest_addoption(parser):
    parser.addoption(
        "--suite-pass",
        choices=("all", "parallel", "alone"),
        default="all",
        help="`make test` runs the suite in two passes: `parallel` (on xdist workers) leaves out "
        "the tests marked `alone`, which the `alone` pass runs by themselves afterwards.",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's, which turns the groups into node ids
def pytest_collection_modifyitems(config, items):
    """Under xdist (`make test`), the tests that share a network started once per module (the
    fuzzer's, the authorisation matrix's) run on one worker (`--dist loadgroup`). The modules of a
    network a worker starts for itself (the e2e `stack`, the browsers') are dealt into a few
    groups (STARTED_PER_WORKER), and the database tests go anywhere (see below). With
    --suite-pass, the tests marked `alone` (wall-clock bounds, faults under load) run in their own
    pass, when no other test competes for the two cores; in that pass, each module also marked
    `alone_beside` (no duration asserted, a load of its own) has a worker, and the other tests run
    one after the other on one more worker, those marked `faults` first: the tight bounds (a
    second or two) come once the loads beside them are over, but for the broker cluster's, beside
    which they were measured to hold."""
    suite_pass = config.getoption("--suite-pass")
    if suite_pass != "all":
        wanted = suite_pass == "alone"
        kept = [item for item in items if bool(item.get_closest_marker("alone")) == wanted]
        deselected = [item for item in items if bool(item.get_closest_marker("alone")) != wanted]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept
    if suite_pass == "alone":
        items.sort(key=lambda item: item.get_closest_marker("faults") is None)  # stable
    dealt = collections.Counter()  # per module or network: what was dealt so far (the same on
    dealt_to: dict[str, str] = {}  # every worker, which all collect the same items in one order)
    for item in items:
        group = _shared_fixture_group(item)
        module = item.nodeid.split("::")[0]
        if group in STARTED_PER_WORKER:
            # a module's tests stay together, but those of a `spread` module are dealt one by one
            key = item.nodeid if item.get_closest_marker("spread") else module
            if key not in dealt_to:
                dealt_to[key] = f"{group}#{dealt[group] % STARTED_PER_WORKER[group]}"
                dealt[group] += 1
            group = dealt_to[key]
        if suite_pass == "alone":
            # a worker for each module marked `alone_beside`, one for every other test in turn
            beside = item.get_closest_marker("alone_beside")
            group = f"alone: beside {module}" if beside else "alone"
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


# Session fixtures a worker starts a copy of for itself, and into how many groups their modules
# are dealt: each group runs on one worker, which starts its own network (~10 CPU-s, then ~26 ms a
# second while it runs) in a vhost, data folder, port and secret of its own
# (tests/support/network.py). The browser tests (~440 s of a worker in the parallel pass) make two
# groups, on two workers at once rather than queueing on one; the end-to-end tests on the shared
# network (~30 s in all, half of it their network's start) one: a second group would start a
# second network for ~15 s of tests. A module marked `spread` (a few tests of over a minute each)
# has its tests dealt one by one, so that they run on different workers.
STARTED_PER_WORKER = {"tests/browser::stack": 2, "tests::stack": 1}


@pytest.hookimpl(trylast=True)  # after pytest's own teardown (the module's fixtures built on it)
def pytest_runtest_teardown(item, nextitem):
    """A network of STARTED_PER_WORKER stops once the worker's next test does not use it: its
    group's tests came to this worker in a row (`--dist loadgroup`), and left running it would
    cost ~26 ms of CPU a second until the pass ends. A later test that uses it starts it again."""
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        network = definitions[-1]
        if f"{network.baseid}::{name}" not in STARTED_PER_WORKER:
            continue
        if nextitem is not None and network in nextitem._fixtureinfo.name2fixturedefs.get(name, ()):
            continue
        network.finish(item._request)


# Session fixtures so cheap to make again that a worker makes its own and their tests go anywhere:
# the migrated databases that `service_db` copies (a worker migrates each service once, in seconds;
# kept together, the ~900 database tests would queue on one worker for most of the pass), the
# copies it reuses and the folder of every test's data folder.
MADE_PER_WORKER = {"tests::migrated_templates", "tests::pg_copies", "tests::_data_dirs"}


def _shared_fixture_group(item) -> str | None:
    """What the test shares with others, None for nothing: one of STARTED_PER_WORKER's networks
    (`<where>::<name>`, before anything else it uses, which may be built on it), else its module
    for a module fixture, else a session fixture (`<where>::<name>`)."""
    shared = []
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        fixture = definitions[-1]
        if fixture.scope == "function" or not fixture.baseid.startswith("tests"):
            continue
        key = f"{fixture.baseid}::{name}"
        if key in STARTED_PER_WORKER:
            return key
        if key not in MADE_PER_WORKER:
            shared.append(item.nodeid.split("::")[0] if fixture.scope == "module" else key)
    if shared and shared[0] == item.nodeid.split("::")[0]:
        # a module whose backend is module-scoped (a world per backend, tests/support/
        # module_world.py): one group per backend, which may run on two workers at once (no `]`
        # in a group: xdist takes a node id ending with one for a test of no group)
        backend = item._fixtureinfo.name2fixturedefs.get("backend")
        if backend and backend[-1].scope == "module":
            return f"{shared[0]}#{item.callspec.params['backend']}"
    return shared[0] if shared else None
