"""Where the test suite's CPU goes: runs a command (by default the parallel pass of `make test`)
while it reads /proc every 2 s, then prints the machine's busy share over the run and the CPU
seconds spent by each kind of process (the xdist workers, Chromium, RabbitMQ, each service of the
networks the tests start, PostgreSQL...).

    .venv/bin/python bench/suite_cpu.py                        # the parallel pass, 4 workers
    .venv/bin/python bench/suite_cpu.py -- -n 4 tests/browser  # pytest arguments of your own

A process is counted for the CPU it used while the run lasted (what it had used before is taken
off); one that lived less than the 2 s between readings may be missed. Prints figures; asserts
nothing (issue #23: is the suite bound by the two cores, and by what).
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
PARALLEL_PASS = ["-n", "4", "--dist", "loadgroup", "--suite-pass=parallel", "-q"]


def kind(cmdline: str) -> str:
    """The kind of a process, from its command line."""
    words = cmdline.split()
    if "beam.smp" in cmdline:
        return "RabbitMQ"
    if words[0].endswith("postgres") or cmdline.startswith("postgres:"):
        return "PostgreSQL"
    if "chrom" in words[0]:
        return "Chromium and chromedriver"
    if "nameko run" in cmdline:
        target = next((w for w in words if ":" in w and "/" not in w), "?")
        return "network: " + target.split(":")[0].removesuffix(".service")
    if "exec(eval(" in cmdline:  # execnet's bootstrap: an xdist worker, running the tests
        return "xdist workers (the tests' own code)"
    if "pytest" in cmdline:
        return "pytest (controller)"
    if "maillage" in cmdline:  # the supervisor, relays, migrations, demo data, backups
        return "network: maillage commands"
    return words[0].rsplit("/", 1)[-1][:30]


def _processes() -> dict[tuple[str, str], tuple[str, float]]:
    """(pid, start time) -> (command line, CPU seconds so far) of every process readable now;
    PostgreSQL's postmaster counts with the connections it has reaped (a test's connections live
    less than the 2 s between readings: without them, PostgreSQL's share was a fraction of it)."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if cmdline:
            used = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
            if cmdline.split()[0].endswith("/postgres"):  # the postmaster: and what it reaped
                used += (int(fields[13]) + int(fields[14])) / TICKS  # cutime + cstime
            found[(pid, fields[19])] = (cmdline, used)
    return found


def machine_jiffies() -> tuple[int, int]:
    """(all jiffies, idle jiffies) of the machine so far."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def sample(done: threading.Event, every: float = 2.0) -> tuple[dict, float]:
    """Until `done`: CPU seconds by kind, and the machine's busy share."""
    before = _processes()
    seen = dict(before)
    total0, idle0 = machine_jiffies()
    while not done.wait(every):
        seen.update(_processes())
    seen.update(_processes())
    total, idle = machine_jiffies()
    by_kind: collections.Counter = collections.Counter()
    last = _processes()
    for key, (cmdline, used) in seen.items():
        if kind(cmdline) == "PostgreSQL" and key not in last:
            # an ended connection: its whole CPU is in the postmaster's reaped time; what it had
            # used before the run is taken off
            by_kind["PostgreSQL"] -= before.get(key, (cmdline, 0.0))[1]
            continue
        by_kind[kind(cmdline)] += used - before.get(key, (cmdline, 0.0))[1]
    return by_kind, 1 - (idle - idle0) / max(1, total - total0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's arguments")
    args = parser.parse_args()
    command = [
        str(ROOT / ".venv" / "bin" / "python"),
        "-m",
        "pytest",
        "-W",
        "ignore::DeprecationWarning",
        "-p",
        "no:cacheprovider",
        *(args.pytest_args or PARALLEL_PASS),
    ]
    done, sampled = threading.Event(), []
    sampler = threading.Thread(target=lambda: sampled.append(sample(done)))
    sampler.start()
    started = time.monotonic()
    status = subprocess.call(command, cwd=ROOT)
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    ((by_kind, busy),) = sampled
    spent = sum(by_kind.values())
    print(f"\n{' '.join(command[3:])}\nexit {status}, {wall:.0f} s wall, {os.cpu_count()} cores")
    busy_seconds = busy * wall * (os.cpu_count() or 1)
    print(f"machine busy {busy:.1%} ({busy_seconds:.0f} CPU-s); {spent:.0f} CPU-s counted\n")
    print(f"{'process kind':45s} {'CPU-s':>8s} {'share':>6s}")
    for name, seconds in by_kind.most_common(15):
        if seconds < 0.5:
            break
        print(f"{name:45s} {seconds:8.0f} {seconds / spent:6.0%}")
    return status


if __name__ == "__main__":
    sys.exit(main())
