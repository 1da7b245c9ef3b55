"""The gateway's routes are compiled once per process (gateway.routing.compiled_url_map) and shared
by every gateway it starts: each still answers through its own entrypoints, and one stopped leaves
the other answering. Unknown paths and wrong methods keep their JSON answers."""

import pytest
import requests

from gateway.routing import JsonWebServer, compiled_url_map
from gateway.service import GatewayService
from tests.support.infrastructure import free_port

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]


def _gateway(container_factory, nameko_config):
    port = free_port()
    container = container_factory(
        GatewayService, {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    )
    container.start()
    return container, f"http://127.0.0.1:{port}"


def _server_of(container) -> JsonWebServer:
    return next(ext for ext in container.subextensions if isinstance(ext, JsonWebServer))


def test_two_gateways_share_one_compiled_map_and_each_answers_through_its_own_entrypoints(
    container_factory, nameko_config
):
    first, first_url = _gateway(container_factory, nameko_config)
    second, second_url = _gateway(container_factory, nameko_config)
    first_server, second_server = _server_of(first), _server_of(second)

    assert first_server.make_url_map() is second_server.make_url_map()
    assert compiled_url_map.cache_info().currsize >= 1
    assert first_server.routes[("GET", "/livez")] in first.entrypoints
    assert second_server.routes[("GET", "/livez")] in second.entrypoints

    for base in (first_url, second_url):
        assert requests.get(base + "/livez", timeout=10).status_code == 200

    first.stop()
    assert requests.get(second_url + "/livez", timeout=10).status_code == 200


def test_an_unknown_path_and_a_wrong_method_still_answer_in_json(container_factory, nameko_config):
    _container, base = _gateway(container_factory, nameko_config)

    unknown = requests.get(base + "/api/nulle-part", timeout=10)
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("application/json")
    wrong = requests.delete(base + "/livez", timeout=10)
    assert wrong.status_code == 405
    assert wrong.headers["Content-Type"].startswith("application/json")
