"""What a pass of the suite spends after its last test: runs pytest (by default the backbone's
tests on 3 workers) with this module as a plugin, each test process noting when it ends its
session, its unconfigure and its atexit, then prints those moments and pytest's exit, in seconds
after the last test ended.

    .venv/bin/python bench/pass_tail.py                            # tests/backbone, -n 3
    .venv/bin/python bench/pass_tail.py -- -n 3 tests/services     # pytest arguments of your own

Prints figures; asserts nothing (issue #23: a pass's end waited on its workers' exit).
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ["-n", "3", "--dist", "loadgroup", "--suite-pass=parallel", "tests/backbone"]
NOTES_ENV = "PASS_TAIL_NOTES"


def _note(config, event: str) -> None:
    who = getattr(config, "workerinput", {}).get("workerid", "controller")
    with open(Path(os.environ[NOTES_ENV]) / f"{os.getpid()}.jsonl", "a") as notes:
        notes.write(json.dumps({"t": time.time(), "who": who, "event": event}) + "\n")


def pytest_configure(config):
    atexit.register(_note, config, "atexit")


def pytest_runtest_logfinish(nodeid, location):
    with open(Path(os.environ[NOTES_ENV]) / f"{os.getpid()}.jsonl", "a") as notes:
        notes.write(json.dumps({"t": time.time(), "who": "test", "event": "test"}) + "\n")


def pytest_sessionfinish(session):
    _note(session.config, "session finishing")


def pytest_unconfigure(config):
    _note(config, "unconfigure")


def main() -> None:
    args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else DEFAULT
    with tempfile.TemporaryDirectory() as notes_dir:
        env = {**os.environ, NOTES_ENV: notes_dir, "PYTHONPATH": str(ROOT / "bench")}
        started = time.time()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pass_tail"]
            + args,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        ended = time.time()
        notes = [
            json.loads(line)
            for path in Path(notes_dir).glob("*.jsonl")
            for line in path.read_text().splitlines()
        ]
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:])
    tests = [n["t"] for n in notes if n["event"] == "test"]
    if not tests:
        sys.exit("no test ran")
    last = max(tests)
    print(f"pass: {ended - started:.1f} s, of which after its last test: {ended - last:.2f} s")
    for note in sorted((n for n in notes if n["event"] != "test"), key=lambda n: n["t"]):
        if note["t"] >= last - 5:
            print(f"  {note['t'] - last:+6.2f} s  {note['who']:<10} {note['event']}")
    print(f"  {ended - last:+6.2f} s  pytest exited")


if __name__ == "__main__":
    main()
