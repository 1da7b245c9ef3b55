"""Where a pass's test time goes, module by module: runs pytest (by default the parallel pass of
`make test`) with this module as a plugin, each worker noting when each test begins and ends,
while the machine's busy share is read from /proc/stat every 5 s. Then prints, for each worker,
its first and last moment and its share of the tests; the modules holding the most worker time
(set-up, call and teardown, as a worker waits on them); and the busy share along the pass, so that
an idle stretch (a worker left alone at the end) shows.

    .venv/bin/python bench/pass_modules.py                                # the parallel pass
    .venv/bin/python bench/pass_modules.py --top 20 -- -n 4 tests/gateway  # pytest arguments

A worker's time on a module is wall time: on a busy machine it is the module's share of the
cores, not its CPU. Prints figures; asserts nothing (issue #23: which modules to make cheaper).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from suite_cpu import PARALLEL_PASS, machine_jiffies  # bench/ is on the path, run or as plugin

ROOT = Path(__file__).resolve().parents[1]
NOTES_ENV = "PASS_MODULES_NOTES"
SAMPLE_SECONDS = 5.0


_noting = True  # false in an xdist controller, which hears of every worker's test too


def pytest_configure(config):
    global _noting
    _noting = hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None)


def _write(record: dict) -> None:
    if not _noting:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(os.environ[NOTES_ENV]) / f"{worker}.jsonl", "a") as notes:
        notes.write(json.dumps(record) + "\n")


def pytest_runtest_logstart(nodeid, location):
    _write({"test": nodeid, "began": time.time()})


def pytest_runtest_logfinish(nodeid, location):
    _write({"test": nodeid, "ended": time.time()})


def _sample(stop: threading.Event, shares: list) -> None:
    before = machine_jiffies()
    while not stop.wait(SAMPLE_SECONDS):
        now = machine_jiffies()
        total, idle = now[0] - before[0], now[1] - before[1]
        shares.append((time.time(), (total - idle) / total if total else 0.0))
        before = now


def _spans(notes_dir: Path) -> list[tuple[str, str, float, float]]:
    """(worker, test, began, ended) of every test that ended."""
    spans = []
    for path in notes_dir.glob("*.jsonl"):
        began = {}
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if "began" in record:
                began[record["test"]] = record["began"]
            elif record["test"] in began:
                spans.append((path.stem, record["test"], began[record["test"]], record["ended"]))
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=30, help="modules listed (default 30)")
    ours = sys.argv[1 : sys.argv.index("--")] if "--" in sys.argv else sys.argv[1:]
    options = parser.parse_args(ours)
    args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else PARALLEL_PASS
    shares: list = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as notes_dir:
        env = {**os.environ, NOTES_ENV: notes_dir, "PYTHONPATH": str(ROOT / "bench")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as `make test` runs it
        sampler = threading.Thread(target=_sample, args=(stop, shares), daemon=True)
        started = time.time()
        sampler.start()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pass_modules"]
            + ["-W", "ignore::DeprecationWarning", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        ended = time.time()
        stop.set()
        spans = _spans(Path(notes_dir))
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:])
    if not spans:
        sys.exit("no test ran")
    first = min(span[2] for span in spans)
    print(
        f"pass: {ended - started:.1f} s; its tests from {first - started:.1f} s to "
        f"{max(span[3] for span in spans) - started:.1f} s"
    )

    print("\nworker  first test  last end   tests  time in tests")
    for worker in sorted({span[0] for span in spans}):
        own = [span for span in spans if span[0] == worker]
        first_test = min(s[2] for s in own) - started
        last_end = max(s[3] for s in own) - started
        in_tests = sum(s[3] - s[2] for s in own)
        print(f"{worker:<7} {first_test:9.1f}s {last_end:8.1f}s {len(own):7d} {in_tests:12.1f}s")

    by_module = collections.Counter()
    tests_of = collections.Counter()
    for _worker, test, began, ended_at in spans:
        module = test.split("::")[0]
        by_module[module] += ended_at - began
        tests_of[module] += 1
    whole = sum(by_module.values())
    print(f"\nworker time in tests: {whole:.0f} s; the {options.top} modules holding most")
    for module, seconds in by_module.most_common(options.top):
        share = 100 * seconds / whole
        print(f"{seconds:8.1f} s {share:5.1f} % {tests_of[module]:5d} tests  {module}")

    if shares:
        print(f"\nmachine busy, every {SAMPLE_SECONDS:.0f} s from the start (%):")
        print(" ".join(f"{100 * share:.0f}" for _moment, share in shares))
        mean = sum(share for _moment, share in shares) / len(shares)
        print(f"mean {100 * mean:.1f} %")


if __name__ == "__main__":
    main()
