"""The whole network started as `make run` starts it (`maillage run`), in its own vhost, data
folder and port, driven over HTTP: `Stack`, `run_network`, and the end-to-end tests' session
fixture `stack` (registered in tests/conftest.py). The browser tests have a network of their own
(tests/browser/conftest.py): they take orders and book help, which would move the demo's counts
under the end-to-end tests' feet."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.infrastructure import (
    RABBIT_HOST,
    drop_vhost,
    ends_with_this_process,
    free_port,
    make_vhost,
)

REPO = Path(__file__).resolve().parents[2]
COORDINATOR = "coordination@maillage.test"  # the demo's coordinator


class Stack:
    def __init__(self, base_url, amqp_uri, data_dir, process):
        self.base_url, self.amqp_uri, self.data_dir, self.process = (
            base_url,
            amqp_uri,
            data_dir,
            process,
        )

    def url(self, path):
        return self.base_url + path

    def log_lines(self, process: str) -> list[dict]:
        """The JSON log lines `maillage run` collected of one of its processes (`gateway`,
        `orders`…); anything else the process printed is left out."""
        path = self.data_dir.parent / "log" / f"{process}.log"
        lines = []
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def login(self, email, password="maillage-demo"):
        response = requests.post(
            self.url("/api/auth/login"), json={"email": email, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def villages(self) -> dict[str, str]:
        """The network's villages, slug -> id, as the coordinator lists them."""
        coordinator = self.login(COORDINATOR)
        answer = requests.get(self.url("/api/villages"), headers=coordinator, timeout=10)
        return {village["slug"]: village["id"] for village in answer.json()}

    def console_sign_in(
        self, session, email, password="maillage-demo", allow_redirects=True, **form
    ):
        """POST the console's sign-in form as a browser does: the form first
        (its cookie and token)."""
        page = session.get(self.url("/console/connexion"), timeout=10)
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        return session.post(
            self.url("/console/connexion"),
            timeout=10,
            allow_redirects=allow_redirects,
            data={"email": email, "password": password, "csrf": token, **form},
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The end-to-end tests' network (their assertions count on the demo data as loaded), one per
    group of their modules (tests/conftest.py, STARTED_PER_WORKER), stopped once the worker's next
    test does not use it: each in a vhost, data folder, port and secret of its own."""
    yield from run_network(tmp_path_factory, "stack")


def call(stack, method, path, headers, body=None, expected=200, timeout=10):
    """The JSON answer of one API call, whose status must be `expected` (one or a tuple)."""
    response = requests.request(
        method, stack.url(path), headers=headers, json=body, timeout=timeout
    )
    statuses = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in statuses, response.text
    return response.json()


def get(stack, path, headers):
    return call(stack, "GET", path, headers)


def post(stack, path, headers, body, expected=(200, 201)):
    return call(stack, "POST", path, headers, body, expected)


def wait_until(predicate, timeout=30.0, pause=0.1):
    """`predicate()` once it is truthy (what the network does after an answer: an event through
    the broker, a notice sent); an AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not met in time")


def run_network(tmp_path_factory, name: str):
    vhost = make_vhost()
    data_dir = tmp_path_factory.mktemp(name) / "data"
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}",
        "MAILLAGE_DATA_DIR": str(data_dir),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_SECRET": "test-secret-" + vhost,
        # production's log format, one JSON object per line (tests/e2e/test_request_ids.py reads it)
        "MAILLAGE_LOG_FORMAT": "json",
    }
    process, log = launch_network(env, data_dir.parent / "run.log")
    yield Stack(f"http://127.0.0.1:{port}", env["AMQP_URI"], data_dir, process)
    stop_network(process, log)
    drop_vhost(vhost)


def launch_network(env: dict, log_path: Path, *args: str):
    """`maillage run ARGS` with `env`, its output in `log_path`, once it says it is up; returns the
    process and its log file (for `stop_network`). A run that exits or stays down fails the test
    with the end of its log."""
    log = open(log_path, "ab")
    start = log_path.stat().st_size
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "maillage"), "run", "--timeout", "90", *args],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=ends_with_this_process,
    )
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"maillage run exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        if b"Maillage is up" in log_path.read_bytes()[start:]:
            return process, log
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"maillage run did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)


def stop_network(process, log) -> None:
    """Ctrl-C, as an operator stops it; killed if it does not stop within 30 s."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
