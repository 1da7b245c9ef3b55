"""Which node's management API is called: on a cluster, the first node that answers, so that the
partners' broker accounts, backups and broker definitions go on while the first node is down."""

import socket

import pytest

from backbone import broker_management, config
from tests.support.infrastructure import free_port


def test_each_node_of_amqp_uri_has_its_management_api_in_the_order_written(monkeypatch):
    monkeypatch.delenv("MAILLAGE_RABBIT_MANAGEMENT_URL", raising=False)
    monkeypatch.setenv("AMQP_URI", "amqp://u:p@node-2:5672/net,amqp://u:p@node-1/net")
    assert config.rabbit_management_urls() == [
        "http://node-2:15672/api",
        "http://node-1:15672/api",
    ]
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", "https://a:15671/api/, http://b:15672/api")
    assert config.rabbit_management_urls() == ["https://a:15671/api", "http://b:15672/api"]


def test_a_management_url_that_is_not_one_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", "http://a:15672/api,node-2:15672")
    with pytest.raises(config.ConfigError, match="MAILLAGE_RABBIT_MANAGEMENT_URL"):
        config.rabbit_management_urls()


def test_the_first_node_that_accepts_a_connection_is_called(monkeypatch):
    down, up = free_port(), free_port()  # nothing listens on `down`
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", up))
        listening.listen()
        monkeypatch.setenv(
            "MAILLAGE_RABBIT_MANAGEMENT_URL",
            f"http://127.0.0.1:{down}/api,http://127.0.0.1:{up}/api",
        )
        assert broker_management.management_url() == f"http://127.0.0.1:{up}/api"
    # none answers: the first written, so that the call fails naming it
    assert broker_management.management_url() == f"http://127.0.0.1:{down}/api"


def test_a_single_broker_is_called_without_a_probe(monkeypatch):
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", "http://127.0.0.1:1/api")
    monkeypatch.setattr(broker_management, "_accepts", lambda *a: pytest.fail("probed"))
    assert broker_management.management_url() == "http://127.0.0.1:1/api"
