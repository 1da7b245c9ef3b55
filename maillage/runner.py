"""`maillage run`: the whole network on this machine, as processes (what docker-compose runs as
containers): migrations, topology, four services (each running its own outbox relay), the gateway,
demo data. With MAILLAGE_OUTBOX_RELAY=separate the relays run as four processes of their own.

`maillage run --compact` is the same network in one process, for a small machine (a village's box,
an old laptop): the four services and the gateway in one nameko process (nameko runs several
services in one process, each with its own workers, queues and relay)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from backbone import config
from maillage.network import GATEWAY_MODULE, GREEN_DNS, SERVICE_MODULES

NAMEKO_CONFIG = config.REPO_ROOT / "deploy" / "nameko.yaml"

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
                with urllib.request.urlopen(health_url, timeout=5):
                    return  # 200
            except urllib.error.HTTPError as exc:  # 503: names what is down
                try:
                    last = ", ".join(json.loads(exc.read()).get("down", [])) or str(exc.code)
                except ValueError:
                    last = str(exc.code)
            except (OSError, ValueError) as exc:
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
