"""A service that is down gets a 503 naming it, never a hang (gateway +
members only, real broker)."""

import os
import socket
import time

import pytest
import requests

from gateway.service import GatewayService
from services.members.service import MembersService

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]


@pytest.fixture
def gateway_url(container_factory, nameko_config, service_db, monkeypatch):
    service_db("members")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "2")
    monkeypatch.setenv("GATEWAY_SECRET", "test")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (MembersService, GatewayService):
        container_factory(cls, config).start()
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_health_names_what_is_down(gateway_url):
    # Each check has 0.8 s (gateway/health.py): on a loaded machine members' first answers may
    # miss it, and /health rightly says so. Ask again until members is seen answering.
    deadline = time.monotonic() + 30
    while True:
        response = requests.get(gateway_url + "/health", timeout=20)
        body = response.json()
        if body["checks"]["members"]["status"] == "ok" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 503
    assert set(body["down"]) == {"partners", "orders", "events"}
    assert (
        body["checks"]["members"]["status"] == "ok" and body["checks"]["broker"]["status"] == "ok"
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_route_whose_service_is_down_answers_503(gateway_url):
    response = requests.get(
        gateway_url + "/api/partner/me",
        headers={"X-API-Key": "mlg_0123456789abcdef_" + "x" * 40},
        timeout=20,
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable" and "partners" in error["message"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_service_whose_database_is_away_answers_503_not_500(gateway_url, monkeypatch):
    import os

    import psycopg2

    from tests.support.infrastructure import PG_ADMIN_DSN

    name = os.environ["MEMBERS_DATABASE_URL"].rsplit("/", 1)[1]
    admin = psycopg2.connect(PG_ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:  # the members database refuses everyone for a while
        cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    try:
        response = requests.post(
            gateway_url + "/api/auth/login",
            json={"email": "a@b.fr", "password": "x" * 10},
            timeout=20,
        )
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "service_unavailable" and "members" in error["message"]
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
    assert (
        requests.post(
            gateway_url + "/api/auth/login",
            json={"email": "a@b.fr", "password": "x" * 10},
            timeout=20,
        ).status_code
        == 401
    )  # back, and nothing else changed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_exports_and_the_report_are_refused_while_a_service_s_figures_are_missing(gateway_url):
    """A CSV or a PDF goes to a funder: incomplete, it would mislead, so it is refused in French
    (503) naming what is missing; the page itself shows what it has, with the same warning."""
    from nameko.standalone.rpc import ServiceRpcProxy

    from gateway import auth
    from gateway.console.framework import COOKIE

    with ServiceRpcProxy("members", {"AMQP_URI": os.environ["AMQP_URI"]}, timeout=30) as members:
        # a real account: the gateway checks a token's account with members (sessions can be ended)
        account = members.create_staff_account(
            {
                "email": "coordination@maillage.test",
                "full_name": "Coordination",
                "password": "mot-de-passe-test",
                "role": "coordinator",
            }
        )
    cookies = {COOKIE: auth.issue_token(account)}
    period = "?du=2026-01-01&au=2026-06-30"
    for path in ("/console/coordination/export/villages.csv", "/console/coordination/rapport.pdf"):
        response = requests.get(
            gateway_url + path + period, cookies=cookies, allow_redirects=False, timeout=30
        )
        assert response.status_code == 503, (path, response.status_code)
        assert (
            "text/html" in response.headers["Content-Type"]
            and "Chiffres incomplets" in response.text
        )
        assert (
            "commandes, ventes et colis" in response.text
            and "animations et suggestions" in response.text
        )
    page = requests.get(
        gateway_url + "/console/coordination" + period,
        cookies=cookies,
        allow_redirects=False,
        timeout=30,
    )
    assert page.status_code == 200 and "Chiffres indisponibles pour le moment" in page.text
    assert "partenaires et financements" in page.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_503_says_when_to_try_again(gateway_url):
    response = requests.get(
        gateway_url + "/api/partner/me",
        headers={"X-API-Key": "mlg_0123456789abcdef_" + "x" * 40},
        timeout=20,
    )
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert "réessayez" in response.json()["error"]["message"]


def _declare_rpc_queue_without_consumer(amqp_uri: str, service: str) -> None:
    """The service's RPC queue is there but nobody consumes it: the service is restarting."""
    from kombu import Connection, Exchange, Queue

    with Connection(amqp_uri) as connection:
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        Queue(f"rpc-{service}", exchange=exchange, routing_key=f"{service}.*", durable=True)(
            connection.channel()
        ).declare()


@pytest.mark.alone  # a wall-clock bound
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_health_answers_within_its_deadline_while_a_service_restarts(gateway_url, amqp_uri):
    """Calls to a restarting service are accepted by its queue and never answered: each check has
    its own short deadline, all run at once, so /health still answers at once (it took the RPC
    check's 3 s per silent service before)."""
    from gateway.health import CHECK_DEADLINE

    for service in ("orders", "partners", "events"):
        _declare_rpc_queue_without_consumer(amqp_uri, service)
    started = time.monotonic()
    response = requests.get(gateway_url + "/health", timeout=20)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and response.json()["status"] == "down"
    assert response.json()["checks"]["orders"]["status"] == "down"
    assert elapsed < CHECK_DEADLINE + 1.0, f"/health took {elapsed:.1f}s"


@pytest.fixture
def gateway_with_orders(container_factory, nameko_config, service_db, monkeypatch, tmp_path):
    """The order path (gateway, members, orders) up; partners and events down."""
    from services.orders.service import OrdersService

    service_db("members")
    service_db("orders")
    status = tmp_path / "supervisor.json"
    monkeypatch.setenv("MAILLAGE_SUPERVISOR_STATUS", str(status))
    monkeypatch.setenv("GATEWAY_SECRET", "test")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (MembersService, OrdersService, GatewayService):
        container_factory(cls, config).start()
    return f"http://127.0.0.1:{port}", status


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_health_tells_degraded_from_down(gateway_with_orders):
    """Orders can be taken while partners and events are away: degraded (200), not down; the
    supervisor's word on a process that keeps dying is shown with its last error."""
    import json

    url, status = gateway_with_orders
    status.write_text(
        json.dumps(
            {
                "processes": {
                    "partners": {
                        "state": "restarting",
                        "pid": None,
                        "restarts": 4,
                        "exits_in_a_row": 4,
                        "keeps_dying": True,
                        "last_exit": 1,
                        "last_error": "OperationalError: could not connect",
                    },
                    "orders": {
                        "state": "running",
                        "pid": 12,
                        "restarts": 0,
                        "exits_in_a_row": 0,
                        "keeps_dying": False,
                        "last_exit": None,
                        "last_error": None,
                    },
                }
            }
        )
    )
    response = requests.get(url + "/health", timeout=20)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "degraded" and set(body["down"]) == {"partners", "events"}
    assert "partners: not answering" in body["degraded"]
    assert any(
        "partners: keeps dying" in reason and "could not connect" in reason
        for reason in body["degraded"]
    )
    assert body["processes"]["partners"]["restarts"] == 4
