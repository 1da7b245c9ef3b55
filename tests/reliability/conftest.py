"""Fixtures of the reliability tests: SQLite by default, the relay as a real process, a
plain pika client, nameko containers, and a private RabbitMQ node that a test may stop and start.

Everything here talks to real brokers and databases; every process started is killed at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from maillage.runner import free_port
from tests.support.infrastructure import ends_with_this_process, running
from tests.support.reliability import Broker, WorkerLog, wait_until

REPO = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).parent / "maillage"
MAILLAGE = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "maillage.cli"]


# --- databases -------------------------------------------------------------------------------


@pytest.fixture
def backend(request):
    """Here the engine defaults to SQLite; parametrize with indirect=True to
    run on PostgreSQL too."""
    return getattr(request, "param", "sqlite")


# --- broker clients --------------------------------------------------------------------------


@pytest.fixture
def broker_client():
    """`broker_client(amqp_uri, subscriptions=())`: a plain pika client (closed at the end)."""
    clients = []

    def make(amqp_uri, subscriptions=()):
        client = Broker(amqp_uri, subscriptions)
        clients.append(client)
        return client

    yield make
    for client in clients:
        try:
            client.close()
        except Exception:  # noqa: BLE001  the broker may be gone already
            pass


@pytest.fixture
def start_container(container_factory):
    """`start_container(ServiceClass, config)`: a started nameko container and its WorkerLog.
    Containers are killed before the test's vhost and databases go (nameko's own fixture would
    kill them after, and they would see their queues vanish and try to reconnect)."""
    started = []

    def start(service_cls, config):
        container = container_factory(service_cls, config)
        log = WorkerLog(container)
        started.append(container)
        container.start()
        return container, log

    yield start
    for container in started:
        container.kill()


# --- the relay, as a real process ------------------------------------------------------------


class RelayProcess:
    def __init__(self, service: str, log_path: Path, env: dict):
        self.service, self.log_path = service, log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [*MAILLAGE, "relay", service],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=ends_with_this_process,
        )

    @property
    def returncode(self):
        return self.proc.poll()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_exit(self, timeout: float = 20) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the {self.service} relay did not exit within {timeout}s:\n{self.output()}"
            ) from None

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def relay(tmp_path):
    """`relay("members", failpoints=..., amqp_uri=...)`: starts `maillage relay SERVICE` as a
    subprocess with the test's environment (AMQP_URI, <SERVICE>_DATABASE_URL); killed at the end."""
    started: list[RelayProcess] = []

    def start(
        service: str, *, failpoints: str | None = None, amqp_uri: str | None = None
    ) -> RelayProcess:
        env = dict(os.environ)
        env.pop("MAILLAGE_FAILPOINTS", None)
        if failpoints:
            env["MAILLAGE_FAILPOINTS"] = failpoints
        if amqp_uri:
            env["AMQP_URI"] = amqp_uri
        env["PYTHONUNBUFFERED"] = "1"
        # as `maillage run` starts a relay (maillage/runner.py): eventlet's green DNS is for the
        # services that call out; imported, it costs a relay ~0.08 CPU-s at each start
        env["EVENTLET_NO_GREENDNS"] = "yes"
        process = RelayProcess(service, tmp_path / f"relay-{service}-{len(started)}.log", env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


# --- a private RabbitMQ node -----------------------------------------------------------------


def _rabbit_script(name: str) -> str | None:
    # On Debian the /usr/sbin scripts re-run themselves as the rabbitmq user, who cannot read the
    # test's temporary folder: call the real scripts directly.
    for candidate in (os.environ.get("TEST_RABBITMQ_BIN", ""), "/usr/lib/rabbitmq/bin"):
        if candidate and Path(candidate, name).exists():
            return str(Path(candidate, name))
    return shutil.which(name)


class PrivateRabbit:
    """A RabbitMQ node of its own (own name, ports, data and cookie), which a test may stop."""

    def __init__(self, base: Path, *, node: str | None = None, cookie: str | None = None):
        self.base = base
        self.node = node or f"mlgtest-{uuid.uuid4().hex[:10]}@localhost"
        # below the ephemeral range (maillage.runner.free_port): an outgoing connection cannot
        # take the port between the probe and the node binding it; the distribution port is set
        # too, so that the node does not pick one of its own
        self.port = free_port()
        self.dist_port = free_port()
        if cookie:  # nodes of one cluster share it; the machine's broker has its own
            cookie_file = base / ".erlang.cookie"
            cookie_file.write_text(cookie)
            cookie_file.chmod(0o400)
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.pid_file = base / "node.pid"
        self.server = _rabbit_script("rabbitmq-server")
        self.ctl = _rabbit_script("rabbitmqctl")
        (base / "enabled_plugins").write_text(
            "[].\n"
        )  # no management: 15672 belongs to the shared broker
        (base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (base / "rabbitmq-env.conf").write_text(
            ""
        )  # not /etc/rabbitmq/rabbitmq-env.conf (its NODENAME)
        self.env = dict(
            os.environ,
            HOME=str(base),  # its own Erlang cookie
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(self.pid_file),
            ERL_EPMD_ADDRESS="127.0.0.1",
        )

    def ctl_run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.ctl, "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self) -> None:
        if not (self.server and self.ctl):
            raise RuntimeError("rabbitmq-server / rabbitmqctl not found")
        started = subprocess.run(
            [self.server, "-detached"], env=self.env, capture_output=True, text=True, timeout=60
        )
        if started.returncode != 0:
            raise RuntimeError(
                f"rabbitmq-server -detached failed: {started.stderr or started.stdout}"
            )
        waited = self.ctl_run("wait", str(self.pid_file), "--timeout", "60")
        if waited.returncode != 0:
            raise RuntimeError(
                f"node did not start: {waited.stdout}{waited.stderr}\n{self.log_tail()}"
            )
        self.wait_port(open_=True)

    def port_open(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def vm_alive(self) -> bool:
        pid = self._pid()
        return pid is not None and running(pid)

    def wait_port(self, open_: bool, timeout: float = 30) -> None:
        wait_until(
            lambda: self.port_open() == open_,
            timeout,
            interval=0.1,
            message=f"port {self.port} {'open' if open_ else 'closed'}",
        )

    def stop_app(self) -> None:
        result = self.ctl_run("stop_app")
        assert result.returncode == 0, result.stdout + result.stderr
        self.wait_port(open_=False)

    def start_app(self) -> None:
        result = self.ctl_run("start_app")
        assert result.returncode == 0, result.stdout + result.stderr
        result = self.ctl_run("await_startup")
        assert result.returncode == 0, result.stdout + result.stderr
        self.wait_port(open_=True)

    @contextlib.contextmanager
    def outage(self):
        """The broker away while the block runs, and back after it, also when the block fails: a
        test's containers are killed after it, and nameko's kill waits for each consumer, which
        tries to reconnect for as long as the broker is away (a failed test would hang)."""
        self.stop_app()
        try:
            yield
        finally:
            self.start_app()

    def stop(self) -> None:
        """Gone for good, its data thrown away after: its VM killed (an orderly `rabbitmqctl stop`
        is one more Erlang VM to boot, and the time to stop every queue it holds)."""
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_until(lambda: not running(pid), 30, interval=0.05, message=f"{self.node} gone")

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def log_tail(self, lines: int = 30) -> str:
        logs = sorted((self.base / "log").glob("*.log")) if (self.base / "log").exists() else []
        return "\n".join(p.read_text(errors="replace").splitlines()[-lines:] for p in logs[:1])


@pytest.fixture
def private_rabbit(tmp_path_factory):
    """A private RabbitMQ node for tests that stop the broker (never the shared one at :5672).
    Skips, with the reason, where such a node cannot be started on this machine."""
    # a short path: Erlang and RabbitMQ dislike very long data folders
    base = Path(tmp_path_factory.mktemp("rmq"))
    node = PrivateRabbit(base)
    try:
        node.start()
    except (RuntimeError, AssertionError, subprocess.TimeoutExpired, OSError) as exc:
        node.stop()
        pytest.skip(f"could not start a private RabbitMQ node on this machine: {exc}")
    yield node
    node.stop()
    # data of a stopped node; keep the logs if the test failed (tmp_path retention)
    shutil.rmtree(base / "mnesia", ignore_errors=True)


class RabbitCluster:
    """Three private RabbitMQ nodes joined into one cluster (own names, ports, data and a cookie
    of their own): the machine's broker is neither joined nor stopped."""

    SIZE = 3

    def __init__(self, base: Path):
        self.base = base
        prefix = f"mlgclu-{uuid.uuid4().hex[:8]}"
        cookie = uuid.uuid4().hex.upper()
        self.nodes = []
        for index in range(1, self.SIZE + 1):
            folder = base / f"n{index}"
            folder.mkdir()
            self.nodes.append(
                PrivateRabbit(folder, node=f"{prefix}-{index}@localhost", cookie=cookie)
            )

    vhost = "/"

    @property
    def amqp_uri(self) -> str:
        """Every node's address in the current vhost, comma-separated: AMQP_URI as an operator
        writes it."""
        path = "" if self.vhost == "/" else quote(self.vhost, safe="")
        return ",".join(node.amqp_uri + path for node in self.nodes)

    def use_new_vhost(self) -> str:
        """A vhost of its own for the next test (what an earlier network left in its queues is
        not seen), guest allowed everything in it; answers its name."""
        name = f"cluster-{uuid.uuid4().hex[:8]}"
        first = self.nodes[0]
        allowed = ("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        for args in (("add_vhost", name), allowed):
            result = first.ctl_run(*args)
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(args)}: {result.stdout}{result.stderr}")
        self.vhost = name
        return name

    def bring_back(self) -> None:
        """Every node running again after a test stopped one: its app started again
        (`stop_app`), or its Erlang VM (killed), which rejoins the cluster from its data."""
        for node in self.nodes:
            if node.port_open():
                continue
            if node.vm_alive():
                node.start_app()
            else:
                node.pid_file.unlink(missing_ok=True)  # the killed VM's: the new one writes its own
                node.start()
        formed = self.running_nodes(self.nodes[0])
        if formed != {node.node for node in self.nodes}:
            raise RuntimeError(f"the cluster did not form again: running {sorted(formed)}")

    def start(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        first, *others = self.nodes
        with ThreadPoolExecutor(len(self.nodes)) as pool:  # a node takes ~15 s to boot
            for started in [pool.submit(node.start) for node in self.nodes]:
                started.result()
        for node in others:
            for args in (("stop_app",), ("join_cluster", first.node), ("start_app",)):
                result = node.ctl_run(*args)
                if result.returncode != 0:
                    raise RuntimeError(
                        f"{node.node} {' '.join(args)}: {result.stdout}{result.stderr}"
                    )
            node.wait_port(open_=True)
        formed = self.running_nodes(first)
        if formed != {node.node for node in self.nodes}:
            raise RuntimeError(f"the cluster did not form: running {sorted(formed)}")

    def running_nodes(self, via: PrivateRabbit) -> set[str]:
        result = via.ctl_run("cluster_status", "--formatter", "json")
        if result.returncode != 0:
            raise RuntimeError(result.stdout + result.stderr)
        import json

        return set(json.loads(result.stdout)["running_nodes"])

    def stop(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))


@pytest.fixture
def rabbit_cluster(_module_rabbit_cluster):
    """A 3-node RabbitMQ cluster of private nodes, every node running, and a vhost of this test's
    own (`amqp_uri` names it; rabbitmqctl's commands take `-p cluster.vhost`). The nodes are the
    module's (`_module_rabbit_cluster`): three nodes take ~25 s to boot and join."""
    _module_rabbit_cluster.bring_back()
    _module_rabbit_cluster.use_new_vhost()
    return _module_rabbit_cluster


@pytest.fixture(scope="module")
def _module_rabbit_cluster(tmp_path_factory):
    """The cluster of `rabbit_cluster`; stopped and its data deleted at the end of the module,
    even on failure. Skips only where RabbitMQ's programs are not installed."""
    if not (_rabbit_script("rabbitmq-server") and _rabbit_script("rabbitmqctl")):
        pytest.skip("rabbitmq-server is not installed on this machine")
    base = Path(tmp_path_factory.mktemp("rmqc"))
    cluster = RabbitCluster(base)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        for node in cluster.nodes:
            shutil.rmtree(node.base / "mnesia", ignore_errors=True)
