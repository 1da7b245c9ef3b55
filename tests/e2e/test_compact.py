"""`maillage run --compact`: the same network in one process (services, their outbox relays and the
gateway in one nameko process): it comes up, loads the demo, an event crosses services, and nothing
ends in dead letters."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.infrastructure import (
    RABBIT_AUTH,
    RABBIT_HOST,
    RABBIT_MANAGEMENT,
    drop_vhost,
    ends_with_this_process,
    free_port,
    make_vhost,
)
from tests.support.network import REPO

pytestmark = [pytest.mark.stack, pytest.mark.broker]


@pytest.fixture
def compact(tmp_path):
    vhost, port = make_vhost(), free_port()
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}",
        "MAILLAGE_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_SECRET": "compact-" + vhost,
    }
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "maillage"), "run", "--compact", "--timeout", "90"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=ends_with_this_process,
        )
    deadline = time.monotonic() + 120
    while b"Maillage is up" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"maillage run --compact did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", vhost, process, log_path
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    drop_vhost(vhost)


def _children(pid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return [
        Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for child in out.split()
    ]


def test_the_compact_network_runs_in_one_process_and_loses_nothing(compact):
    base, vhost, process, log_path = compact
    children = _children(process.pid)
    assert len(children) == 1 and "nameko run" in children[0], children
    assert requests.get(base + "/health", timeout=10).status_code == 200

    login = requests.post(
        base + "/api/auth/login",
        json={"email": "lucie@maillage.test", "password": "maillage-demo"},
        timeout=10,
    ).json()
    auth = {"Authorization": f"Bearer {login['token']}"}
    village = next(
        v
        for v in requests.get(base + "/api/villages", headers=auth, timeout=10).json()
        if v["slug"] == "bourg-aux-chenes"
    )
    created = requests.post(
        base + f"/api/villages/{village['id']}/members",
        headers=auth,
        timeout=10,
        json={"first_name": "Compacte", "last_name": "Essai", "phone": "06 39 98 77 12"},
    )
    assert created.status_code == 201, created.text
    member_id = created.json()["id"]
    # member.registered crossed from members (its relay, a green thread) to orders and events
    deadline = time.monotonic() + 20
    while True:
        export = requests.get(
            base + f"/api/villages/{village['id']}/members/{member_id}/export",
            headers=auth,
            timeout=10,
        )
        assert export.status_code == 200, export.text
        body = export.json()
        if body["orders"]["known_member"] and body["events"]["known_member"]:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.3)
    dead = requests.get(
        f"{RABBIT_MANAGEMENT}/queues/{vhost}/maillage.dead-letters", auth=RABBIT_AUTH, timeout=10
    )
    assert dead.json().get("messages", 0) == 0, log_path.read_text()[-2000:]
