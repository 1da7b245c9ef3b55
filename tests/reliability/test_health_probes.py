"""The probes an orchestrator and Prometheus use, on the real broker and databases: a service's
/livez, /readyz and /metrics on its MAILLAGE_OPS_PORT (backbone/operations.py), the gateway's on
its own port (gateway/routes/network.py)."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from backbone.clock import utcnow
from backbone.tables import OutboxEvent
from gateway.service import GatewayService
from services.orders.service import OrdersService
from tests.support.infrastructure import free_port
from tests.support.metrics import scrape, value
from tests.support.reliability import wait_until
from tests.support.tcp_link import TcpLink

pytestmark = pytest.mark.broker


@pytest.fixture
def ops_port(monkeypatch):
    port = free_port()
    monkeypatch.setenv("MAILLAGE_OPS_PORT", str(port))
    monkeypatch.setenv("MAILLAGE_OPS_HOST", "127.0.0.1")
    return f"http://127.0.0.1:{port}"


def _status(url: str) -> int:
    return requests.get(url, timeout=10).status_code


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_service_is_ready_then_unready_while_its_database_is_unreachable_and_stays_alive(
    amqp_uri, nameko_config, service_db, start_container, monkeypatch, ops_port
):
    database = service_db("orders")
    parts = urlsplit(database.url)
    link = TcpLink(parts.hostname, parts.port or 5432)
    monkeypatch.setenv(
        "ORDERS_DATABASE_URL", f"postgresql://{parts.username}@127.0.0.1:{link.port}{parts.path}"
    )
    try:
        start_container(OrdersService, nameko_config)
        assert _status(f"{ops_port}/livez") == 200
        wait_until(lambda: _status(f"{ops_port}/readyz") == 200, message="orders ready")
        assert requests.get(f"{ops_port}/readyz", timeout=10).json()["parts"] == {"orders": "ok"}

        link.cut()
        answer = wait_until(
            lambda: (
                (r := requests.get(f"{ops_port}/readyz", timeout=10)).status_code == 503
                and r.json()
            ),
            message="orders not ready without its database",
        )
        assert answer["status"] == "not ready"
        assert answer["reason"].startswith("orders: database: ")
        assert _status(f"{ops_port}/livez") == 200, "alive: nothing to restart"
        assert value(scrape(f"{ops_port}/metrics"), "maillage_ready", part="orders") == 0

        link.mend()
        wait_until(lambda: _status(f"{ops_port}/readyz") == 200, message="ready again")
        assert value(scrape(f"{ops_port}/metrics"), "maillage_ready", part="orders") == 1
    finally:
        link.cut()


def test_a_service_reports_its_outbox_backlog_and_the_age_of_its_oldest_row_when_scraped(
    amqp_uri, nameko_config, service_db, start_container, ops_port
):
    database = service_db("orders")
    with database.unit_of_work() as uow:  # what a relay that does not run leaves behind
        for minutes in (3, 1):
            uow.session.add(
                OutboxEvent(
                    event_id=str(uuid.uuid4()),
                    type="order.placed",
                    version=1,
                    body="{}",
                    created_at=utcnow() - timedelta(minutes=minutes),
                )
            )
        uow.commit()
    start_container(OrdersService, nameko_config)

    samples = scrape(f"{ops_port}/metrics")
    assert value(samples, "maillage_outbox_pending", service="orders") == 2
    assert 180 <= value(samples, "maillage_outbox_oldest_pending_seconds", service="orders") < 240


def test_the_gateway_stays_ready_while_the_services_are_down(
    amqp_uri, nameko_config, start_container, monkeypatch
):
    monkeypatch.setenv("GATEWAY_SECRET", "probes-" + uuid.uuid4().hex)
    port = free_port()
    start_container(GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    base = f"http://127.0.0.1:{port}"

    assert _status(f"{base}/livez") == 200
    ready = wait_until(
        lambda: (r := requests.get(f"{base}/readyz", timeout=10)).status_code == 200 and r.json(),
        message="the gateway ready",
    )
    assert ready["parts"] == {"secret": "ok", "broker": "ok"}
    before = scrape(f"{base}/metrics")
    assert _status(f"{base}/health") == 503, "the overview says orders cannot be taken"
    assert _status(f"{base}/readyz") == 200, "but the gateway itself can serve"
    after = scrape(f"{base}/metrics")

    def moved(route, status):
        labels = {"route": route, "method": "GET", "status": status}
        return value(after, "maillage_http_requests_total", **labels) - value(
            before, "maillage_http_requests_total", **labels
        )

    assert moved("/health", "503") == 1 and moved("/readyz", "200") == 1


def test_a_relay_run_as_its_own_process_answers_its_probes_and_its_outbox_figures(
    amqp_uri, service_db, relay, ops_port
):
    service_db("orders")
    process = relay("orders")
    ready = wait_until(
        lambda: (
            process.returncode is None
            and (r := _get_or_none(f"{ops_port}/readyz")) is not None
            and r.status_code == 200
            and r.json()
        ),
        message="the relay ready",
    )
    assert ready["parts"] == {"orders-relay": "ok"}
    assert _status(f"{ops_port}/livez") == 200
    samples = scrape(f"{ops_port}/metrics")
    assert value(samples, "maillage_ready", part="orders-relay") == 1
    assert ("maillage_outbox_pending", frozenset({("service", "orders")})) in samples


def _get_or_none(url: str):
    try:
        return requests.get(url, timeout=5)
    except requests.ConnectionError:  # not listening yet
        return None
