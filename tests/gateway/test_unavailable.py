"""A service that is down gets a 503 naming it, never a hang (gateway + members only, real broker)."""
import socket

import pytest
import requests

from gateway.service import GatewayService
from services.members.service import MembersService

pytestmark = pytest.mark.broker


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
    response = requests.get(gateway_url + "/health", timeout=20)
    assert response.status_code == 503
    body = response.json()
    assert set(body["down"]) == {"partners", "orders", "events"}
    assert body["checks"]["members"]["status"] == "ok" and body["checks"]["broker"]["status"] == "ok"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_route_whose_service_is_down_answers_503(gateway_url):
    response = requests.get(gateway_url + "/api/partner/me", headers={"X-API-Key": "mlg_0123456789abcdef_" + "x" * 40},
                            timeout=20)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable" and "partners" in error["message"]
