"""`docker compose up`, without Docker: every container of docker-compose.yml run as a process,
in dependency order, with the command and environment the file gives it, from the package installed
the way deploy/Dockerfile installs it (site-packages, working directory holding only
deploy/nameko.yaml). Only the addresses change: the broker is a private vhost of the local
RabbitMQ, the databases are fresh local PostgreSQL databases, the gateway takes a free port.

Then: every long-running container's own health check passes (its process ready on the port the
file gives it), `maillage seed` (the demo one-shot) succeeds, and the villages it opened travel
through the outbox relays into the other services' read models.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import text

from backbone.db import make_engine
from tests.support.compose import (
    COMPOSE_FILE,
    NAMEKO_YAML,
    SECRETS,
    SERVICES,
    dockerfile_env,
    environment,
    project_services,
    resolved,
)
from tests.support.image import install_like_the_image
from tests.support.infrastructure import (
    create_pg_database,
    drop_pg_database,
    ends_with_this_process,
    free_port,
)

pytestmark = [pytest.mark.broker, pytest.mark.stack]


LONG_RUNNING = (*SERVICES, "gateway")


class Containers:
    def __init__(self, workdir: Path, log_dir: Path):
        self.workdir, self.log_dir = workdir, log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def argv(self, command: list[str]) -> list[str]:
        # the image's PATH: console scripts of the install; python is this interpreter
        if command[0] == "python":
            return [sys.executable, *command[1:]]
        return command

    def run_once(self, name: str, command: list[str], env: dict, timeout: float = 120) -> str:
        result = subprocess.run(
            self.argv(command),
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, (
            f"{name} exited with {result.returncode}:\n{result.stdout[-2000:]}"
            f"\n{result.stderr[-3000:]}"
        )
        return result.stdout

    def start(self, name: str, command: list[str], env: dict) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")
        self.running[name] = subprocess.Popen(
            self.argv(command),
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=ends_with_this_process,
        )
        log.close()

    def check_alive(self) -> None:
        for name, popen in self.running.items():
            if popen.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"container {name} exited with {popen.returncode}:\n{tail}")

    def stop(self) -> None:
        for popen in self.running.values():
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for popen in self.running.values():
            try:
                popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


def test_the_compose_network_comes_up_as_processes(tmp_path, amqp_uri):
    compose = resolved(yaml.safe_load(COMPOSE_FILE.read_text()), SECRETS)
    project = project_services(compose)
    site = install_like_the_image(tmp_path)
    workdir = tmp_path / "app"
    (workdir / "deploy").mkdir(parents=True)
    shutil.copy(NAMEKO_YAML, workdir / "deploy" / "nameko.yaml")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()

    databases = {service: create_pg_database() for service in SERVICES}
    port = free_port()
    # each container has its own address; here the processes share one, so each its own port
    ops_ports = {name: free_port() for name in project}
    image_env = {**dockerfile_env(), "MAILLAGE_DATA_DIR": str(tmp_path / "data")}
    base_env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_DATABASE_URL")
        and key not in ("MAILLAGE_FAILPOINTS", "GATEWAY_SECRET")
    }
    base_env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(site),
        }
    )

    def env_of(name: str) -> dict:
        env = {**base_env, **image_env, "MAILLAGE_OPS_HOST": "127.0.0.1"}
        for key, value in environment(project[name]).items():
            if key == "AMQP_URI":
                assert urlsplit(value).hostname == "rabbitmq"
                value = amqp_uri
            elif key.endswith("_DATABASE_URL"):
                url = urlsplit(value)
                assert url.hostname == "postgres"
                value = databases[url.path.lstrip("/")]
            elif key == "MAILLAGE_OPS_PORT":
                assert value == "8080"
                value = str(ops_ports[name])
            elif key == "GATEWAY_ADDRESS":
                assert value == "0.0.0.0:8000"
                value = f"127.0.0.1:{port}"
            if value is not None:
                env[key] = value
        # the local broker's guest account and the test secrets stand in for production's
        # (which refuses them: tests/backbone/test_config.py)
        assert env["MAILLAGE_ENV"] == "production", name
        env["MAILLAGE_ENV"] = "trial"
        return env

    engines = {service: make_engine(url) for service, url in databases.items()}

    def count(service: str, table: str) -> int:
        with engines[service].connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()

    containers = Containers(workdir, log_dir)
    try:
        # migrate: completed successfully before anything else starts
        out = containers.run_once("migrate", project["migrate"]["command"], env_of("migrate"))
        assert all(f"{s}: database at head" in out for s in SERVICES), out
        for service in SERVICES:
            assert count(service, "outbox") == 0, service

        for name in LONG_RUNNING:
            containers.start(name, project[name]["command"], env_of(name))

        # each container's health check, run as Docker runs it in that container, until it passes
        for name in LONG_RUNNING:
            check = [
                part.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                for part in project[name]["healthcheck"]["test"][1:]
            ]
            deadline = time.monotonic() + 90
            while True:
                containers.check_alive()
                if (
                    subprocess.run(
                        containers.argv(check), env=env_of(name), capture_output=True, timeout=30
                    ).returncode
                    == 0
                ):
                    break
                assert time.monotonic() < deadline, f"{name}'s health check did not pass in 90 s"
                time.sleep(0.5)

        # seed: depends on a healthy gateway, idempotent
        containers.run_once("seed", project["seed"]["command"], env_of("seed"))
        containers.run_once("seed", project["seed"]["command"], env_of("seed"))

        # the villages seed opened reach orders and events through the members relay
        opened = count("members", "villages")
        assert opened > 0
        deadline = time.monotonic() + 30
        while True:
            containers.check_alive()
            counts = {
                service: count(service, "known_villages")
                for service in ("orders", "events", "partners")
            }
            if all(count == opened for count in counts.values()):
                break
            assert time.monotonic() < deadline, (
                f"{opened} villages opened, read models hold {counts}"
            )
            time.sleep(0.3)
    finally:
        containers.stop()
        for engine in engines.values():
            engine.dispose()
        for url in databases.values():
            drop_pg_database(url)
