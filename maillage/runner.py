"""`maillage run`: the whole network on this machine, as processes (what docker-compose runs as
containers): migrations, topology, four services (each running its own outbox relay), the gateway,
demo data. With MAILLAGE_OUTBOX_RELAY=separate the relays run as four processes of their own.

`maillage run --compact` is the same network in one process, for a small machine (a village's box,
an old laptop): the four services and the gateway in one nameko process (nameko runs several
services in one process, each with its own workers, queues and relay).

`Network` supervises its processes: one that exits is started again after a pause that grows
while it keeps dying (RESTART_FIRST doubled up to RESTART_MAX; back to RESTART_FIRST once it ran
STABLE_AFTER seconds), and each exit is reported with its last error. Only the operator's stop
stops the network. What the supervisor knows is written to a status file (`status_path`, given to
every process as MAILLAGE_SUPERVISOR_STATUS) that the gateway's `/health` shows.

Each process but the gateway (which answers on its own port) gets a free port of its own for its
`/livez`, `/readyz` and `/metrics` (MAILLAGE_OPS_PORT, on 127.0.0.1; backbone/operations.py), kept
across its restarts and written in the status file as `ops_port`."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from backbone import config
from maillage.network import GATEWAY_MODULE, GREEN_DNS, SERVICE_MODULES

NAMEKO_CONFIG = config.REPO_ROOT / "deploy" / "nameko.yaml"
RESTART_FIRST = 0.5  # seconds before a process that exited is started again
RESTART_MAX = 30.0  # the pause doubles while it keeps dying, up to this
STABLE_AFTER = 60.0  # a process that ran this long was well: its next restart is quick again
KEEPS_DYING = 3  # exits in a row, each before STABLE_AFTER, that /health reports


@dataclass
class Process:
    name: str
    argv: list[str]
    green_dns: bool = False
    popen: subprocess.Popen | None = None
    log_path: Path | None = None
    started_at: float = 0.0
    restarts: int = 0
    exits_in_a_row: int = 0
    restart_at: float | None = None  # set while it waits to be started again
    last_exit: int | None = None
    last_error: str | None = None
    ops_port: int | None = None  # its /livez, /readyz and /metrics (None: the gateway's own port)

    def state(self) -> dict:
        return {
            "state": "restarting" if self.restart_at is not None else "running",
            "pid": self.popen.pid if self.popen and self.restart_at is None else None,
            "restarts": self.restarts,
            "exits_in_a_row": self.exits_in_a_row,
            "keeps_dying": self.exits_in_a_row >= KEEPS_DYING,
            "last_exit": self.last_exit,
            "last_error": self.last_error,
            "ops_port": self.ops_port,
        }


# Below Linux's ephemeral range (32768-60999): a port the system hands out is soon the local end of
# some process's outgoing connection (to the broker, the database), which can take it between the
# probe and the server's bind ("Address already in use")
PORTS = range(20000, 32000)
_CHOOSER = random.SystemRandom()  # not the `random` module: a test may seed it in every worker
# A port handed out is reserved on this machine for RESERVED_FOR seconds, by a file every process
# sees: a port probed free stays free only until its server binds it, seconds later (a network's
# gateway binds after its migrations), and another process probing meanwhile would be given it too.
RESERVATIONS = Path(tempfile.gettempdir()) / "maillage-ports"
RESERVED_FOR = 300.0


def free_port() -> int:
    """A port free on 127.0.0.1, outside the range outgoing connections draw from, that no other
    process of this machine was given in the last RESERVED_FOR seconds."""
    for _ in range(200):
        port = _CHOOSER.choice(PORTS)
        if not _reserve(port):
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 between {PORTS.start} and {PORTS.stop}")


def _reserve(port: int) -> bool:
    """True when this process now holds `port`'s reservation: none existed, or it had lapsed.
    Where the folder cannot be written (another user's), the probe alone decides."""
    path = RESERVATIONS / str(port)
    try:
        RESERVATIONS.mkdir(exist_ok=True)
    except OSError:  # FileExistsError too: a file where the folder would be
        return True
    try:
        if not _free_of_reservation(path):
            return False
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another process reserved it since
        return False
    except OSError:
        return True
    return True


def _free_of_reservation(path: Path) -> bool:
    """No reservation at `path`, or a lapsed one, now removed by a rename only one process wins."""
    try:
        if time.time() - path.stat().st_mtime < RESERVED_FOR:
            return False
        lapsed = path.with_name(f"{path.name}.{os.getpid()}.lapsed")
        path.rename(lapsed)
        lapsed.unlink()
    except FileNotFoundError:
        pass
    return True


_ERROR_LINE = re.compile(r"(Error|Exception|Killed|Traceback)")


def last_error(log_path: Path | None, returncode: int | None = None) -> str | None:
    """The last line of a process's log that names an error; for a process killed by a signal
    without one, the signal; the last line otherwise."""
    killed = (
        f"killed by {signal.Signals(-returncode).name}"
        if returncode is not None and returncode < 0
        else None
    )
    if log_path is None or not log_path.exists():
        return killed
    with open(log_path, "rb") as log:
        log.seek(max(0, log.seek(0, os.SEEK_END) - 16384))
        lines = [
            line.strip()
            for line in log.read().decode("utf-8", "replace").splitlines()
            if line.strip()
        ]
    errors = [line for line in lines if _ERROR_LINE.search(line)]
    if errors:
        return errors[-1][:300]
    return killed or (lines[-1][:300] if lines else None)


def network_processes(compact: bool = False) -> list[Process]:
    bin_dir = Path(sys.executable).parent
    nameko, maillage = str(bin_dir / "nameko"), str(bin_dir / "maillage")
    run = [nameko, "run", "--config", str(NAMEKO_CONFIG)]
    separate_relays = config.outbox_relay() == "separate"
    if compact:
        processes = [
            Process("services", [*run, *SERVICE_MODULES.values(), GATEWAY_MODULE], green_dns=True)
        ]
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


def _with_ops_ports(processes: list[Process]) -> list[Process]:
    for process in processes:
        if process.name != "gateway":
            process.ops_port = free_port()
    return processes


class Network:
    def __init__(self, log_dir: Path, compact: bool = False, report=None):
        self.log_dir = log_dir
        self.processes = _with_ops_ports(network_processes(compact))
        self.status_path = log_dir / "supervisor.json"
        self.report = report or (lambda line: None)  # where supervision is told (the run's output)
        self.stopping = False

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for process in self.processes:
            process.log_path = self.log_dir / f"{process.name}.log"
            self._spawn(process)
        self.write_status()

    def _spawn(self, process: Process) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            config.SUPERVISOR_STATUS_ENV: str(self.status_path),
            "EVENTLET_NO_GREENDNS": "no" if process.green_dns else "yes",
            config.OPS_HOST_ENV: "127.0.0.1",
        }
        env.pop(config.OPS_PORT_ENV, None)
        if process.ops_port is not None:
            env[config.OPS_PORT_ENV] = str(process.ops_port)
        with open(process.log_path, "ab") as log_file:
            process.popen = subprocess.Popen(
                process.argv,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=config.REPO_ROOT,
                start_new_session=True,
            )
        process.started_at = time.monotonic()

    def dead(self) -> list[Process]:
        return [p for p in self.processes if p.popen is not None and p.popen.poll() is not None]

    def supervise(self) -> None:
        """One look at every process: an exit is reported and its restart scheduled; a restart
        that is due is done. Called about twice a second for as long as the network runs."""
        if self.stopping:
            return
        now = time.monotonic()
        changed = False
        for process in self.processes:
            if (
                process.restart_at is None
                and process.popen is not None
                and process.popen.poll() is not None
            ):
                ran = now - process.started_at
                process.exits_in_a_row = 1 if ran >= STABLE_AFTER else process.exits_in_a_row + 1
                process.last_exit = process.popen.returncode
                process.last_error = last_error(process.log_path, process.last_exit)
                delay = min(RESTART_FIRST * 2 ** (process.exits_in_a_row - 1), RESTART_MAX)
                process.restart_at = now + delay
                self.report(
                    f"{process.name} exited with {process.last_exit} after {ran:.1f}s "
                    f"(exit {process.exits_in_a_row} in a row; last error: {process.last_error}); "
                    f"restarting in {delay:.1f}s"
                )
                changed = True
            elif process.restart_at is not None and now >= process.restart_at:
                process.restart_at = None
                process.restarts += 1
                self._spawn(process)
                self.report(
                    f"{process.name} restarted (pid "
                    f"{process.popen.pid}, restart {process.restarts})"
                )
                changed = True
        if changed:
            self.write_status()

    def status(self) -> dict:
        return {process.name: process.state() for process in self.processes}

    def write_status(self) -> None:
        """Atomically, so that a reader never sees half a file."""
        temporary = self.status_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"processes": self.status(), "written_at": time.time()}))
        temporary.replace(self.status_path)

    def wait_healthy(self, health_url: str, timeout: float) -> None:
        """Until `/health` says every service answers, restarting what exits meanwhile; a process
        that keeps dying before the network was ever up fails the start with its last lines."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self.supervise()
            failing = [p for p in self.processes if p.exits_in_a_row >= KEEPS_DYING]
            if failing:
                raise RuntimeError(self._death_report(failing))
            try:
                with urllib.request.urlopen(health_url, timeout=5) as response:
                    body = json.loads(response.read())
                not_ok = [
                    name
                    for name, check in body.get("checks", {}).items()
                    if check.get("status") != "ok"
                ]
                if not not_ok:  # every service answers (events may still be waiting in queues)
                    return
                last = ", ".join(not_ok)
            except urllib.error.HTTPError as exc:  # 503: names what is down
                try:
                    last = ", ".join(json.loads(exc.read()).get("down", [])) or str(exc.code)
                except ValueError:
                    last = str(exc.code)
            except (OSError, ValueError) as exc:
                last = type(exc).__name__
            time.sleep(0.3)
        raise RuntimeError(
            f"the network did not become healthy in {timeout:.0f}s (not ok: {last}); "
            f"logs in {self.log_dir}"
        )

    def _death_report(self, dead) -> str:
        lines = []
        for process in dead:
            tail = process.log_path.read_text(errors="replace").splitlines()[-15:]
            lines.append(
                f"{process.name} exited with {process.last_exit} ({process.exits_in_a_row} times "
                f"in a row); last lines of {process.log_path}:\n  " + "\n  ".join(tail)
            )
        return "\n".join(lines)

    def stop(self, grace: float = 10.0) -> None:
        self.stopping = True
        for process in self.processes:
            process.restart_at = None
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
