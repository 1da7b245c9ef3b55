"""A private copy of the whole network (`maillage run` with demo data) for tests that write a lot
(the authorisation matrix, the OpenAPI fuzzer): the e2e `stack` is shared by the e2e tests and must
stay as the demo left it. Own vhost, data folder, port and secret; stopped at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.infrastructure import (
    RABBIT_HOST,
    drop_vhost,
    ends_with_this_process,
    free_port,
    make_vhost,
)
from tests.support.network import REPO, Stack


@contextlib.contextmanager
def private_stack(base: Path, timeout: float = 150):
    vhost = make_vhost()
    data_dir = base / "data"
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}",
        "MAILLAGE_DATA_DIR": str(data_dir),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_SECRET": "test-secret-" + vhost,
        # every request comes from 127.0.0.1, and the fuzzer signs in wrongly on purpose: the
        # address's lock would turn the tests' own sign-ins into 429s
        "MAILLAGE_SIGNIN_ADDRESS_LIMIT": "1000000",
    }
    log_path = base / "run.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "maillage"), "run", "--timeout", "120"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=ends_with_this_process,
    )
    try:
        deadline = time.monotonic() + timeout
        while b"Maillage is up" not in log_path.read_bytes():
            if process.poll() is not None:
                pytest.fail(
                    "maillage run exited with "
                    f"{process.returncode}:\n{log_path.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"maillage run did not come up:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Stack(f"http://127.0.0.1:{port}", env["AMQP_URI"], data_dir, process)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        drop_vhost(vhost)
