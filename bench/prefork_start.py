"""What a network's start would save if its service processes were forked from one process that has
already imported them (a fork server), instead of each importing them for itself as `nameko run`
does: the CPU of starting the five processes of `maillage run` (four services and the gateway) up
to their code imported, both ways, a few times each in turn.

    .venv/bin/python bench/prefork_start.py             # 5 rounds
    .venv/bin/python bench/prefork_start.py --rounds 10

Each way counts the user and system CPU of every process it starts and waits for
(`getrusage(RUSAGE_CHILDREN)`), the forking process's own imports and its children included.
eventlet's green DNS is off in all of them (in `maillage run` the partners' process has it, ~0.15
CPU-s more either way). Only the imports are measured: what a service does once imported (its
broker connections, its database's first statements) is the same either way. Prints figures;
asserts nothing (issue #23: the suite's ~13 network starts a pass).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maillage.network import GATEWAY_MODULE, SERVICE_MODULES  # noqa: E402

TARGETS = [*SERVICE_MODULES.values(), GATEWAY_MODULE]
# what `nameko run` imports before the service: eventlet patched first, then nameko's CLI
PRELUDE = "import eventlet; eventlet.monkey_patch(); import nameko.cli.main; import importlib"


def _module(target: str) -> str:
    return target.split(":", 1)[0]


def _children_cpu(before: resource.struct_rusage) -> float:
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def each_imports_for_itself() -> float:
    """Five processes, each importing its own service (what `maillage run` starts today)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    processes = [
        subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", f"{PRELUDE}; import {_module(target)}"],
            cwd=ROOT,
            env={**os.environ, "EVENTLET_NO_GREENDNS": "yes"},
        )
        for target in TARGETS
    ]
    for process in processes:
        assert process.wait() == 0
    return _children_cpu(before)


FORKER = """
import os, sys
{prelude}
for name in sys.argv[1:]:
    importlib.import_module(name)
pids = [os.fork() or os._exit(0) for _ in sys.argv[1:]]
for pid in pids:
    os.waitpid(pid, 0)
"""


def forked_from_one() -> float:
    """One process imports all five, then forks a child for each (a fork server's start)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            FORKER.format(prelude=PRELUDE),
            *[_module(t) for t in TARGETS],
        ],
        cwd=ROOT,
        env={**os.environ, "EVENTLET_NO_GREENDNS": "yes"},
    )
    assert done.returncode == 0
    return _children_cpu(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    each_imports_for_itself()  # bytecode written, files in the page cache
    apart, forked = [], []
    for _ in range(rounds):
        apart.append(each_imports_for_itself())
        forked.append(forked_from_one())
        time.sleep(0.2)
    print(f"the five processes of a network up to their code imported, {rounds} rounds in turn:")
    print(
        f"  each importing for itself: median {statistics.median(apart):.2f} CPU-s "
        f"({min(apart):.2f}-{max(apart):.2f})"
    )
    print(
        f"  forked from one process:   median {statistics.median(forked):.2f} CPU-s "
        f"({min(forked):.2f}-{max(forked):.2f})"
    )
    print(f"  saved a start: {statistics.median(apart) - statistics.median(forked):.2f} CPU-s")


if __name__ == "__main__":
    main()
