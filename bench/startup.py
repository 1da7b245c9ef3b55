"""How long `maillage run` takes to bring the whole network up here, and how much memory it holds.

    .venv/bin/python bench/startup.py             # with the demo data, as `make run` does
    .venv/bin/python bench/startup.py --no-demo
    .venv/bin/python bench/startup.py --compact   # `maillage run --compact`: two processes
    .venv/bin/python bench/startup.py --idle 60   # then each process's CPU at rest for a minute

Runs `maillage run` in a temporary data folder, against a private RabbitMQ vhost, with the gateway
on a free port; measures the seconds until `GET /health` answers 200 (and until the command says the
network is up, demo data loaded); then sums the resident memory (RSS) of the whole process tree and
prints it per process. Stops the network with SIGINT (then SIGTERM, then SIGKILL for what is left)
and deletes the vhost. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RABBIT_HOST = os.environ.get("BENCH_RABBIT_HOST", "127.0.0.1")
RABBIT_PORT = int(os.environ.get("BENCH_RABBIT_PORT", "5672"))
RABBIT_MANAGEMENT = os.environ.get("BENCH_RABBIT_MANAGEMENT", f"http://{RABBIT_HOST}:15672/api")
RABBIT_AUTH = (
    os.environ.get("BENCH_RABBIT_USER", "guest"),
    os.environ.get("BENCH_RABBIT_PASSWORD", "guest"),
)
UP_LINE = "Maillage is up"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the process tree and its memory ---------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    try:
        import psutil  # optional (the `bench` extra); /proc is enough on Linux

        parent = psutil.Process(root)
        return [root] + [p.pid for p in parent.children(recursive=True)]
    except ImportError:
        pass
    except Exception:  # noqa: BLE001  (the root is gone)
        return []
    children, found, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def describe(pid: int) -> str:
    """`orders`, `members-relay`, `gateway`, `maillage run`… from the command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    argv = [a for a in argv if a]
    names = [Path(a).name for a in argv]
    if "nameko" in names and "run" in argv:
        modules = [a for a in argv if ":" in a and not a.startswith("/")]
        short = [m.split(".")[1] if m.startswith("services.") else m.split(".")[0] for m in modules]
        return " + ".join(short) or "nameko"
    if "maillage" in names:
        rest = argv[names.index("maillage") + 1 :]
        if rest[:1] == ["relay"] and len(rest) > 1:
            return " + ".join(rest[1:]) + (" relays" if len(rest) > 2 else "-relay")
        return "maillage " + " ".join(rest)
    return " ".join(names[:3])


# --- main ------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-demo", action="store_true", help="start without the demo data")
    parser.add_argument("--timeout", type=float, default=120, help="seconds allowed to come up")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder (logs, SQLite files)"
    )
    parser.add_argument(
        "--compact",
        action="store_true",
        help="the compact shape (services, their relays and the gateway in one process)",
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="then measure each process's CPU at rest over SECONDS (its timers and polls)",
    )
    args = parser.parse_args(argv)

    from maillage.cli import main as cli

    if "run" not in cli.commands:
        print(
            "`maillage run` does not exist yet (maillage/cli.py): nothing to measure.",
            file=sys.stderr,
        )
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="maillage-startup-"))
    vhost = f"bench-{uuid.uuid4().hex[:10]}"
    requests.put(
        f"{RABBIT_MANAGEMENT}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10
    ).raise_for_status()
    requests.put(
        f"{RABBIT_MANAGEMENT}/permissions/{vhost}/{RABBIT_AUTH[0]}",
        auth=RABBIT_AUTH,
        timeout=10,
        json={"configure": ".*", "write": ".*", "read": ".*"},
    ).raise_for_status()
    port = free_port()
    env = {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(workdir / "data"),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "AMQP_URI": f"amqp://{RABBIT_AUTH[0]}:{RABBIT_AUTH[1]}@{RABBIT_HOST}:{RABBIT_PORT}/{vhost}",
        "PYTHONUNBUFFERED": "1",
    }
    for name in list(env):
        if name.endswith("_DATABASE_URL") or name == "MAILLAGE_FAILPOINTS":
            del env[name]  # SQLite files in the temporary folder
    command = (
        [str(Path(sys.executable).parent / "maillage"), "run"]
        + (["--no-demo"] if args.no_demo else [])
        + (["--compact"] if args.compact else [])
    )

    output_lines: list[str] = []
    up = {"at": None}
    started = time.perf_counter()
    popen = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )

    def read():
        for line in popen.stdout:
            output_lines.append(line)
            if up["at"] is None and UP_LINE in line:
                up["at"] = time.perf_counter()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    tree: list[int] = []
    try:
        healthy_at = None
        url = f"http://127.0.0.1:{port}/health"
        deadline = started + args.timeout
        while time.perf_counter() < deadline and popen.poll() is None:
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    healthy_at = time.perf_counter()
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        if healthy_at is None:
            print("".join(output_lines[-30:]), file=sys.stderr)
            print(
                f"the network did not answer 200 on {url} within {args.timeout:.0f}s",
                file=sys.stderr,
            )
            return 1
        while up["at"] is None and popen.poll() is None and time.perf_counter() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let the last imports and connections settle
        tree = process_tree(popen.pid)
        memory = sorted(((describe(pid), pid, rss_bytes(pid)) for pid in tree), key=lambda r: -r[2])
        idle = cpu_at_rest(tree, args.idle) if args.idle else {}
    finally:
        tree = sorted(set(tree) | set(process_tree(popen.pid)))
        stop(popen, tree)
        reader.join(5)
        requests.delete(f"{RABBIT_MANAGEMENT}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=60)
        if args.keep:
            print(f"data folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    total = sum(r[2] for r in memory)
    print(
        f"`maillage run`{' --no-demo' if args.no_demo else ''}, "
        f"gateway on 127.0.0.1:{port}, vhost {vhost}"
    )
    print(f"  GET /health answered 200 after {healthy_at - started:6.1f} s")
    if up["at"] is not None:
        print(
            f"  '{UP_LINE}' printed after     {up['at'] - started:6.1f} s"
            f"{'' if args.no_demo else ' (demo data loaded)'}"
        )
    print(
        f"  resident memory of the process tree: {total / 2**20:.0f} MiB in {len(memory)} processes"
    )
    print()
    print(f"  {'process':<24} {'pid':>8} {'RSS MiB':>8}")
    for name, pid, rss in memory:
        print(f"  {name:<24} {pid:>8} {rss / 2**20:>8.1f}")
    if idle:
        print()
        print(f"  CPU at rest over {args.idle:.0f} s, ms per second (timers, polls, heartbeats):")
        for name, pid, _rss in memory:
            print(f"  {name:<24} {pid:>8} {idle.get(pid, 0.0):>8.2f}")
        print(f"  {'all':<24} {'':>8} {sum(idle.values()):>8.2f}")
    return 0


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command's name (None once the process is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_ticks(pid: int) -> int:
    """User and system CPU of a process so far, in clock ticks (0 once it is gone)."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def cpu_at_rest(tree: list[int], seconds: float) -> dict[int, float]:
    """Each process's CPU over `seconds` with nothing asked of the network: ms per second."""
    time.sleep(5)  # the demo data's last events and deliveries go first
    before = {pid: cpu_ticks(pid) for pid in tree}
    time.sleep(seconds)
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return {pid: (cpu_ticks(pid) - before[pid]) * tick_ms / seconds for pid in tree}


def start_time(pid: int) -> int | None:
    fields = _stat(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


def stop(popen: subprocess.Popen, tree: list[int]) -> None:
    """SIGINT to `maillage run` (it stops its children), then SIGTERM, then
    SIGKILL for leftovers."""
    identity = {pid: start_time(pid) for pid in tree if pid != popen.pid}
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10)):
        if popen.poll() is not None:
            break
        popen.send_signal(sig)
        try:
            popen.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    if popen.poll() is None:
        popen.kill()
        popen.wait()
    # the children run in their own sessions: end, by pid, any that outlived their parent
    leftovers = [
        pid
        for pid, started in identity.items()
        if started is not None and start_time(pid) == started
    ]
    for pid in leftovers:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    time.sleep(2 if leftovers else 0)
    for pid in leftovers:
        if start_time(pid) != identity[pid]:
            continue  # gone (its pid may be another process's now)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    sys.exit(main())
