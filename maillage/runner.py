"""`maillage run`: the whole network on this machine, as processes (what docker-compose runs as
containers): migrations, topology, four services (each running its own outbox relay), the gateway,
demo data. With MAILLAGE_OUTBOX_RELAY=separate the relays run as four processes of their own.

`maillage run --compact` is the same network in one process, for a small machine (a village's box,
an old laptop): the four services and the gateway in one nameko process (nameko runs several
services in one process, each with its own workers, queues and relay)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pika
import requests

from backbone import config
from maillage.network import GATEWAY_MODULE, GREEN_DNS, SERVICE_MODULES

NAMEKO_CONFIG = config.REPO_ROOT / "deploy" / "nameko.yaml"

BROKER_HELP = """RabbitMQ is not reachable at {uri} ({error}).
Maillage needs a RabbitMQ broker. Start one, then run this again:
  - with Docker:            docker compose up -d rabbitmq
                            then AMQP_URI=amqp://maillage:maillage@127.0.0.1:5672/ (compose's broker user)
  - with Debian/Ubuntu:     sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached
  - elsewhere:              set AMQP_URI=amqp://user:password@host:5672/ to an existing broker"""


class BrokerUnreachable(Exception):
    pass


def check_broker(uri: str) -> None:
    params = pika.URLParameters(uri)
    params.socket_timeout = params.blocked_connection_timeout = 3
    params.connection_attempts = 1
    try:
        pika.BlockingConnection(params).close()
    except Exception as exc:  # noqa: BLE001
        safe_uri = f"{params.host}:{params.port}{params.virtual_host and '/' + params.virtual_host}"
        raise BrokerUnreachable(BROKER_HELP.format(uri=safe_uri, error=type(exc).__name__)) from None


@dataclass
class Process:
    name: str
    argv: list[str]
    green_dns: bool = False
    popen: subprocess.Popen | None = None
    log_path: Path | None = None


def network_processes(compact: bool = False) -> list[Process]:
    bin_dir = Path(sys.executable).parent
    nameko, maillage = str(bin_dir / "nameko"), str(bin_dir / "maillage")
    run = [nameko, "run", "--config", str(NAMEKO_CONFIG)]
    separate_relays = os.environ.get("MAILLAGE_OUTBOX_RELAY", "in-process") == "separate"
    if compact:
        processes = [Process("services", [*run, *SERVICE_MODULES.values(), GATEWAY_MODULE], green_dns=True)]
        if separate_relays:
            processes.append(Process("relays", [maillage, "relay", *SERVICE_MODULES]))
        return processes
    processes = []
    for name, target in SERVICE_MODULES.items():
        processes.append(Process(name, [*run, target], green_dns=name in GREEN_DNS))
        if separate_relays:
            processes.append(Process(f"{name}-relay", [maillage, "relay", name]))
    processes.append(Process("gateway", [*run, GATEWAY_MODULE]))
    return processes


class Network:
    def __init__(self, log_dir: Path, compact: bool = False):
        self.log_dir = log_dir
        self.processes = network_processes(compact)

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for process in self.processes:
            process.log_path = self.log_dir / f"{process.name}.log"
            log_file = open(process.log_path, "ab")
            process.popen = subprocess.Popen(process.argv, stdout=log_file, stderr=subprocess.STDOUT,
                                             env={**env, "EVENTLET_NO_GREENDNS": "no" if process.green_dns else "yes"},
                                             cwd=config.REPO_ROOT, start_new_session=True)
            log_file.close()

    def dead(self) -> list[Process]:
        return [p for p in self.processes if p.popen is not None and p.popen.poll() is not None]

    def wait_healthy(self, health_url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            dead = self.dead()
            if dead:
                raise RuntimeError(self._death_report(dead))
            try:
                response = requests.get(health_url, timeout=5)
                if response.status_code == 200:
                    return
                last = ", ".join(response.json().get("down", [])) or str(response.status_code)
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.3)
        raise RuntimeError(f"the network did not become healthy in {timeout:.0f}s (down: {last}); "
                           f"logs in {self.log_dir}")

    def _death_report(self, dead) -> str:
        lines = []
        for process in dead:
            tail = process.log_path.read_text(errors="replace").splitlines()[-15:]
            lines.append(f"{process.name} exited with {process.popen.returncode}; last lines of "
                         f"{process.log_path}:\n  " + "\n  ".join(tail))
        return "\n".join(lines)

    def stop(self, grace: float = 10.0) -> None:
        for process in self.processes:
            if process.popen and process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            if process.popen is None:
                continue
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
