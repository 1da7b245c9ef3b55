"""What a test starts and stops itself (a network, a relay, an SMTP server) ends with the test
process that started it, when that process is killed before its teardown
(tests/support/infrastructure.py: ends_with_this_process)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.infrastructure import running
from tests.support.reliability import wait_until

REPO = Path(__file__).resolve().parents[1]
# a stand-in for a test process: starts a long-lived child, says its number, waits to be killed
STAND_IN = """
import subprocess, sys, time
from tests.support.infrastructure import ends_with_this_process
child = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(120)"],
    preexec_fn=ends_with_this_process if sys.argv[1] == "bound" else None,
)
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_a_killed_test_process_takes_what_it_started_with_it(bound):
    stand_in = subprocess.Popen(
        [sys.executable, "-c", STAND_IN, "bound" if bound else "free"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    child = int(stand_in.stdout.readline())
    try:
        stand_in.kill()  # as xdist kills a worker, or a crash ends it: no teardown runs
        stand_in.wait()
        if bound:
            wait_until(lambda: not running(child), timeout=10, message="the child ending")
        else:  # what the tests' processes were before: left running to the end of the run
            assert running(child)
    finally:
        subprocess.run(["kill", "-9", str(child)], capture_output=True)
