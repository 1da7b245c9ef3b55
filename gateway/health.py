"""`GET /health`, the operator's overview: the broker, every service and its database, what waits
in queues, and what the supervisor (`maillage run`) knows of processes that exited.

It answers within a second whatever is down: every check runs at once, each with its own short
deadline (CHECK_DEADLINE). The answer tells apart

- **down** (503): the counter cannot take orders: the broker, or a service the order path needs
  (ESSENTIAL), or its database, does not answer;
- **degraded** (200): orders are taken, but something lags: another service not answering or
  restarting, a process that keeps dying, calls or events waiting, dead letters to look at;
- **ok** (200).
"""

from __future__ import annotations

import json
from pathlib import Path

import eventlet
from kombu import Connection

from backbone import config

CHECK_DEADLINE = 0.8  # seconds each check may take; /health answers within 1 s
ESSENTIAL = ("orders",)  # without it no order is taken at the counter
RPC_BACKLOG = 20  # calls waiting in a service's RPC queue: it is behind
OUTBOX_BACKLOG = 200  # events not yet published by a service's relay: it is behind


def _within_deadline(check, *args) -> dict:
    try:
        with eventlet.Timeout(CHECK_DEADLINE):
            return check(*args)
    except eventlet.Timeout:
        return {"status": "down", "error": f"no answer within {CHECK_DEADLINE}s"}


def check_broker(amqp_uri: str, services) -> dict:
    """The broker answers; how many calls wait in each service's RPC queue; dead letters."""
    try:
        with Connection(amqp_uri, connect_timeout=CHECK_DEADLINE) as connection:
            connection.ensure_connection(max_retries=1, timeout=CHECK_DEADLINE)
            waiting = {}
            for queue in [f"rpc-{name}" for name in services] + [config.DEAD_LETTER_QUEUE]:
                channel = connection.channel()
                try:
                    waiting[queue] = channel.queue_declare(queue, passive=True).message_count
                except Exception:  # noqa: BLE001  a queue not declared yet: nothing waits in it
                    waiting[queue] = 0
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001  closed by the broker after a missing queue
                        pass
        return {"status": "ok", "waiting": waiting}
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": str(exc) or type(exc).__name__}


def check_service(proxy) -> dict:
    try:
        report = proxy.health()
    except Exception as exc:  # noqa: BLE001  (ServiceUnavailable, a remote database error…)
        return {"status": "down", "error": str(exc) or type(exc).__name__}
    if report.get("database") != "ok":
        return {"status": "down", **report}
    return {"status": "ok", **report}


def supervised_processes() -> dict:
    """What `maillage run` wrote of its processes (nothing when run by compose or by hand)."""
    path = config.supervisor_status()
    if not path:
        return {}
    try:
        return json.loads(Path(path).read_text()).get("processes", {})
    except (OSError, ValueError):
        return {}


def network_health(amqp_uri: str, proxies: dict) -> tuple[int, dict]:
    pool = eventlet.GreenPool()
    broker = pool.spawn(_within_deadline, check_broker, amqp_uri, list(proxies))
    services = {
        name: pool.spawn(_within_deadline, check_service, proxy) for name, proxy in proxies.items()
    }
    checks = {"broker": broker.wait(), **{name: gt.wait() for name, gt in services.items()}}
    processes = supervised_processes()
    down = [name for name, check in checks.items() if check["status"] != "ok"]
    degraded = [f"{name}: not answering" for name in down if name not in ("broker", *ESSENTIAL)]
    for queue, count in checks["broker"].get("waiting", {}).items():
        if queue == config.DEAD_LETTER_QUEUE and count:
            degraded.append(f"{count} dead letters to look at (maillage dead-letters list)")
        elif queue != config.DEAD_LETTER_QUEUE and count > RPC_BACKLOG:
            degraded.append(f"{queue}: {count} calls waiting")
    for name, check in checks.items():
        if check.get("outbox_pending", 0) > OUTBOX_BACKLOG:
            degraded.append(f"{name}: {check['outbox_pending']} events waiting in its outbox")
    for name, process in processes.items():
        if process.get("keeps_dying"):
            degraded.append(
                f"{name}: keeps dying ({process.get('exits_in_a_row')} exits in a row; "
                f"last error: {process.get('last_error')})"
            )
        elif process.get("state") == "restarting":
            degraded.append(f"{name}: restarting")
    cannot_take_orders = "broker" in down or any(name in down for name in ESSENTIAL)
    status = "down" if cannot_take_orders else "degraded" if degraded else "ok"
    body = {
        "status": status,
        "down": down,
        "degraded": degraded,
        "checks": checks,
        "services": list(config.SERVICES),
    }
    if processes:
        body["processes"] = processes
    return (503 if cannot_take_orders else 200), body


def gateway_readiness(container) -> tuple[int, dict]:
    """`GET /readyz` of the gateway: whether it can serve requests itself, its session secret and
    its broker connection (RPC replies come back on it). Never the services: a service that is
    down is one route's 503 (and /health's report), not a reason to restart or unroute the
    gateway that serves every other route."""
    from backbone.broker import SafeQueueConsumer
    from gateway import auth

    checks = {}
    try:
        auth.check_secret()
        checks["secret"] = "ok"
    except Exception as exc:  # noqa: BLE001  missing, unreadable: the gateway cannot sign sessions
        checks["secret"] = f"{type(exc).__name__}: {exc}"[:300]
    consumers = [ext for ext in container.subextensions if isinstance(ext, SafeQueueConsumer)]
    connected = consumers and all(consumer.broker_connected for consumer in consumers)
    checks["broker"] = "ok" if connected else "not connected (reconnecting)"
    failing = {name: why for name, why in checks.items() if why != "ok"}
    if failing:
        reason = "; ".join(f"{name}: {why}" for name, why in failing.items())
        return 503, {"status": "not ready", "reason": reason, "parts": checks}
    return 200, {"status": "ready", "parts": checks}
