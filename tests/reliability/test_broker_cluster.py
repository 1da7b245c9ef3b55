"""Beyond one machine: the network on a 3-node RabbitMQ cluster, a node stopped under a load of
orders, brought back, then another.

Three private nodes are started on this machine (own names, ports, data and Erlang cookie; the
machine's broker is neither joined nor stopped) and joined into a cluster; the network runs under
`maillage run` with AMQP_URI listing the three nodes, as docker-compose.yml's `cluster` profile
sets it. While concierges place orders over HTTP, the node most of the services are connected to
stops: `rabbitmqctl stop_app` (an operator's stop); once it is back in the cluster, the node they
moved to has its Erlang VM SIGKILLed (its machine gone). One network goes through both (a network
started costs ~10 CPU-s and, in the alone pass, ~15 s). After each stop none of the processes is
connected to the stopped node; afterwards every order asked is stored once, its `order.placed`
published once and claimed once by the partners' consumer, and no process was restarted (they
moved to the other nodes by themselves). The seconds without service (the longest time without an
order taken around each stop) are printed, not bounded:
`pytest -s tests/reliability/test_broker_cluster.py`.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter

import pytest
import requests

from maillage import broker_definitions
from tests.support import supervised
from tests.support.reliability import wait_until
from tests.support.supervised import OrderLoad, assert_each_order_once

# alone: three Erlang nodes and a load of orders would slow the parallel pass; beside: it bounds no
# duration, and the other alone tests' bounds hold beside it (bench/README.md)
pytestmark = [
    pytest.mark.faults,
    pytest.mark.alone,
    pytest.mark.alone_beside,
    pytest.mark.stack,
    pytest.mark.broker,
]

# orders keep coming this long after the node stopped: its clients' connections are closed at
# once (stop_app, or the kernel's reset of a killed VM's sockets), and the quorum queues it led
# elect a new leader in a few seconds; the figures printed show how long service was away
AFTER_STOP_SECONDS = 10


def _json(node, *args) -> list[dict]:
    result = node.ctl_run(*args, "--formatter", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _connections_by_port(node) -> Counter:
    """The clients' connections of the whole cluster, by the AMQP port (hence node) they use."""
    return Counter(c["port"] for c in _json(node, "list_connections", "port"))


def _ready(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _longest_gap(answers: list[tuple[float, str]], start: float, end: float) -> float:
    """The longest time between two orders taken (or the window's ends) within [start, end]."""
    taken = sorted(t for t, outcome in answers if outcome == "2xx" and start <= t <= end)
    moments = [start, *taken, end]
    return max(b - a for a, b in zip(moments, moments[1:], strict=False))


def _diagnosis(survivor, vhost, network) -> str:
    """What the surviving nodes and the partners' process say when events went missing."""
    lines = ["queues (name, type, leader, ready, unacked, consumers, online members):"]
    try:
        for q in _json(
            survivor,
            "list_queues",
            "-p",
            vhost,
            "name",
            "type",
            "leader",
            "messages_ready",
            "messages_unacknowledged",
            "consumers",
            "online",
        ):
            if (
                "partners" in q["name"]
                or "reply" in q["name"]
                or not q["consumers"]
                or q["messages_ready"]
            ):
                lines.append(f"  {q}")
    except (AssertionError, ValueError) as exc:
        lines.append(f"  list_queues failed: {exc}")
    log_dir = network.status_path.parent
    for name in sorted(p.stem for p in log_dir.glob("*.log")):
        tail = (log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        marked = [
            line
            for line in tail
            if any(w in line for w in ("WARN", "ERROR", "Trace", "Connected"))
            and not any(w in line for w in ("gateway.access", "gateway.auth"))
        ]
        lines.append(f"{name}.log, {len(tail)} lines; its last warnings, errors, connections:")
        lines.extend("  " + line[:300] for line in marked[-25:])
    return "\n".join(lines)


def _kill(node) -> None:
    """The node's Erlang VM killed outright, as when its machine goes away."""
    os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
    node.wait_port(open_=False)


STOPS = {"stop_app": lambda node: node.stop_app(), "SIGKILL": _kill}


def _ready_everywhere(network) -> None:
    """Every process consuming and publishing again (its consumers and relay on running nodes)."""
    for name, process in network.processes().items():
        ready = f"http://127.0.0.1:{process['ops_port']}" if process["ops_port"] else None
        wait_until(
            lambda ready=ready: _ready(ready or network.base_url),
            timeout=30,
            message=f"{name} ready (its consumers and relay on the other nodes)",
        )


def _stop_the_node_in_use(how, nodes, load, vhost, network) -> tuple[str, object]:
    """Stops (`how`) the running node most of the services' connections use, while orders come;
    checks that they move to the other nodes; answers the figures' line and a surviving node."""
    running = [node for node in nodes if node.port_open()]
    by_port = _connections_by_port(running[0])
    used = max(running, key=lambda node: by_port[node.port])
    assert by_port[used.port] > 0, by_port
    survivor = next(node for node in running if node is not used)
    before = load.last_success()
    STOPS[how](used)
    stopped_at = time.monotonic()
    try:
        load.wait_success_after(stopped_at, "the node stopped")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{_diagnosis(survivor, vhost, network)}") from None
    time.sleep(AFTER_STOP_SECONDS)
    window_end = time.monotonic()
    without_service = _longest_gap(load.answers, before, window_end)
    # the longest a concierge waited for an order asked around the stop (retries included)
    longest_wait = max(
        taken - asked for asked, taken in load.waits if before <= taken <= window_end
    )
    after = _connections_by_port(survivor)
    assert after[used.port] == 0 and sum(after.values()) > 0, (
        f"the services moved to the other nodes: before {by_port}, after {after}"
    )
    figures = (
        f"cluster node stopped ({how}): {without_service:.1f} seconds without service "
        f"(longest time without an order taken), {longest_wait:.1f} s the longest wait for "
        f"one order; connections by port before {dict(by_port)}, after {dict(after)}"
    )
    return figures, survivor


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_cluster_nodes_stop_in_turn_under_load(backend, rabbit_cluster, tmp_path, monkeypatch):
    """One network through both stops, the stopped node brought back in between: the second stop
    hits a node the services moved to, beside one that has just rejoined."""
    nodes = rabbit_cluster.nodes
    policy = broker_definitions.cluster_policy()  # what `broker-definitions --apply` sets
    vhost = rabbit_cluster.vhost
    applied = nodes[0].ctl_run(
        "set_policy",
        "-p",
        vhost,
        "--apply-to",
        policy["apply-to"],
        "--priority",
        str(policy["priority"]),
        policy["name"],
        policy["pattern"],
        json.dumps(policy["definition"]),
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr

    with supervised.supervised_network(
        backend, rabbit_cluster.amqp_uri, tmp_path, monkeypatch
    ) as network:
        queues = _json(
            nodes[0], "list_queues", "-p", vhost, "name", "durable", "type", "members", "policy"
        )
        everyone = {node.node for node in nodes}
        rpc = [q for q in queues if q["name"].startswith("rpc-")]
        assert len(rpc) == 4, queues  # the four services' RPC queues, mirrored on every node
        assert all(q["policy"] == policy["name"] for q in rpc), rpc
        for queue in (q for q in queues if q["durable"] and q not in rpc):
            assert queue["type"] == "quorum", queue  # transient ones go with their node
            assert set(queue["members"]) == everyone, f"{queue['name']} on the three nodes"

        load = OrderLoad(network.base_url, key_prefix="cluster")
        load.start()
        try:
            load.wait_success_after(time.monotonic(), "the load started")
            time.sleep(3)  # orders flow before the stop
            for how in STOPS:
                if not all(node.port_open() for node in nodes):
                    rabbit_cluster.bring_back()  # the node stopped before, back in the cluster
                    _ready_everywhere(network)
                figures, survivor = _stop_the_node_in_use(how, nodes, load, vhost, network)
                print(f"\n{figures}")
        finally:
            load.stop()

        restarted = {
            name: p for name, p in network.processes().items() if p["restarts"] or p["last_exit"]
        }
        outcomes = Counter(outcome for _t, outcome in load.answers)
        print(f"answers {dict(outcomes)}")
        assert not restarted, f"no process restarted: {restarted}\n{network.output()}"
        _ready_everywhere(network)
        assert outcomes["500"] == 0, outcomes
        assert load.asked == set(load.placed), f"every order asked taken ({len(load.asked)})"

        print(
            assert_each_order_once(
                load,
                "cluster",
                rabbit_cluster.amqp_uri,
                diagnose=lambda: _diagnosis(survivor, vhost, network),
            )
        )
