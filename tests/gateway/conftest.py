"""Fixtures of the gateway's tests."""

import socket

import pytest

from gateway.service import GatewayService
from tests.support.coordination import CALLS, FakeEvents, FakeMembers, FakeOrders, FakePartners


@pytest.fixture
def coordination_gateway(nameko_config, container_factory, monkeypatch):
    """The gateway on the real broker in front of the four fake services of
    tests/support/coordination.py; its base URL."""
    # nameko_config first: its vhost is dropped after the containers are killed, not under them
    monkeypatch.setenv("GATEWAY_SECRET", "coordination-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "5")
    CALLS.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (FakeMembers, FakeOrders, FakePartners, FakeEvents):
        container_factory(cls, config).start()
    container = container_factory(GatewayService, config)
    container.start()
    yield f"http://127.0.0.1:{port}"
    CALLS.clear()
