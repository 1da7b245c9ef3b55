"""The instruments and the ops endpoints without a server: labels stay bounded, /readyz says which
part fails and why, a bad MAILLAGE_OPS_PORT is refused naming it."""

import json

import pytest

from backbone import config, metrics, operations
from tests.support.metrics import sample


def _get(path: str, method: str = "GET") -> tuple[str, dict, str]:
    answer = {}

    def start_response(status, headers):
        answer.update(status=status, headers=dict(headers))

    body = b"".join(
        operations.ops_app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response)
    )
    return answer["status"], answer["headers"], body.decode()


def test_a_request_is_counted_under_its_route_template_and_an_unknown_method_under_other():
    route = "/api/villages/<village_id>/metrics-test"
    metrics.observe_http(route, "GET", 200, 0.003)
    metrics.observe_http(route, "BREW", 405, 0.001)

    assert sample("maillage_http_requests_total", route=route, method="GET", status="200") == 1
    assert sample("maillage_http_requests_total", route=route, method="OTHER", status="405") == 1
    assert sample("maillage_http_request_duration_seconds_count", route=route, method="GET") == 1


def test_an_event_type_the_contracts_do_not_know_becomes_unknown():
    assert metrics.event_type_label("order.placed") == "order.placed"
    assert metrics.event_type_label("<script>") == metrics.UNKNOWN
    assert metrics.event_type_label(None) == metrics.UNKNOWN


def test_readyz_names_the_part_that_cannot_serve_and_why(monkeypatch):
    monkeypatch.setattr(operations, "PARTS", operations.Parts())
    operations.PARTS.add("orders", lambda: None)
    assert _get("/readyz")[0] == "200 OK"

    operations.PARTS.add("orders-relay", lambda: "broker: not connected (retrying)")
    status, headers, body = _get("/readyz")
    assert status.startswith("503") and headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {
        "status": "not ready",
        "reason": "orders-relay: broker: not connected (retrying)",
        "parts": {"orders": "ok", "orders-relay": "broker: not connected (retrying)"},
    }

    def broken():
        raise RuntimeError("boom")

    operations.PARTS.add("orders-relay", broken)
    assert json.loads(_get("/readyz")[2])["parts"]["orders-relay"] == (
        "check failed: RuntimeError: boom"
    )
    assert _get("/livez")[0] == "200 OK", "alive whatever its parts say"


def test_metrics_are_served_in_prometheus_text_and_other_paths_or_methods_are_refused():
    status, headers, body = _get("/metrics")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/plain")
    assert "# TYPE maillage_events_consumed_total counter" in body
    assert _get("/nope")[0].startswith("404")
    assert _get("/metrics", method="POST")[0].startswith("405")


@pytest.mark.parametrize("raw", ["huit", "0", "70000"])
def test_a_bad_ops_port_is_refused_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("MAILLAGE_OPS_PORT", raw)
    with pytest.raises(config.ConfigError, match="MAILLAGE_OPS_PORT"):
        config.ops_port()


def test_no_ops_port_no_server(monkeypatch):
    monkeypatch.delenv("MAILLAGE_OPS_PORT", raising=False)
    assert config.ops_port() is None
    operations.SERVER.ensure_started()
    assert operations.SERVER.port is None
