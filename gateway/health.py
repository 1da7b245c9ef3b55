"""`GET /health`: the broker, every service and every service's database, checked at once."""
from __future__ import annotations

import eventlet
from kombu import Connection

from backbone import config

CHECK_TIMEOUT = 3.0


def check_broker(amqp_uri: str) -> dict:
    try:
        with Connection(amqp_uri, connect_timeout=CHECK_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT)
        return {"status": "ok"}
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


def network_health(amqp_uri: str, proxies: dict) -> tuple[int, dict]:
    pool = eventlet.GreenPool()
    broker = pool.spawn(check_broker, amqp_uri)
    services = {name: pool.spawn(check_service, proxy) for name, proxy in proxies.items()}
    checks = {"broker": broker.wait(), **{name: gt.wait() for name, gt in services.items()}}
    down = [name for name, check in checks.items() if check["status"] != "ok"]
    body = {"status": "down" if down else "ok", "down": down, "checks": checks,
            "services": list(config.SERVICES)}
    return (503 if down else 200), body
