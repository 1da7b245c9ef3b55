"""The probes and figures of the whole network as `maillage run` starts it: each process on the
ops port the supervisor gave it, and the counters an order placed through the API moves, from the
gateway's request to the partners service's consumer."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from backbone.clock import PARIS
from tests.support.metrics import scrape, value
from tests.support.network import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

ORDERS_ROUTE = "/api/villages/<village_id>/orders"


def ops_urls(stack) -> dict[str, str]:
    """Each supervised process's ops address, as the supervisor wrote it."""
    status = json.loads((stack.data_dir.parent / "log" / "supervisor.json").read_text())
    return {
        name: f"http://127.0.0.1:{process['ops_port']}"
        for name, process in status["processes"].items()
        if process.get("ops_port")
    }


def test_every_process_answers_its_probes_on_its_own_port(stack):
    urls = ops_urls(stack)
    assert set(urls) >= {"members", "partners", "orders", "events"}, "the gateway uses its own"
    assert len(set(urls.values())) == len(urls), "one port each"
    for name, url in urls.items():
        assert requests.get(f"{url}/livez", timeout=10).status_code == 200, name
        ready = requests.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["parts"] == {name: "ok"}
    for probe in ("/livez", "/readyz"):
        assert requests.get(stack.url(probe), timeout=10).status_code == 200, probe


def test_an_order_placed_through_the_api_moves_the_counters_on_its_way(stack):
    urls = ops_urls(stack)
    lucie = stack.login("lucie@maillage.test")
    bourg = stack.villages()["bourg-aux-chenes"]
    member = requests.post(
        stack.url(f"/api/villages/{bourg}/members"),
        headers=lucie,
        timeout=10,
        json={
            "first_name": "Mesure",
            "last_name": f"Compteur{uuid.uuid4().hex[:6]}",
            "email": f"mesure-{uuid.uuid4().hex[:8]}@example.org",
            "preferred_channel": "email",
            "consents": ["contact"],
            "confirm_duplicate": True,
        },
    )
    assert member.status_code == 201, member.text
    tomme = wait_until(
        lambda: next(
            (
                item
                for item in requests.get(
                    stack.url(f"/api/villages/{bourg}/counter/catalogue"), headers=lucie, timeout=10
                ).json()
                if item["name"] == "Tomme du plateau"
            ),
            None,
        )
    )
    placed = {"route": ORDERS_ROUTE, "method": "POST", "status": "201"}
    published = {"service": "orders", "type": "order.placed"}
    consumed = {"consumer": "partners.on_partner_event", "type": "order.placed"}
    called = {"service": "orders", "method": "place_order", "outcome": "ok"}
    before = {
        "gateway": scrape(stack.url("/metrics")),
        "orders": scrape(f"{urls['orders']}/metrics"),
        "partners": scrape(f"{urls['partners']}/metrics"),
    }
    today = datetime.now(UTC).astimezone(PARIS).date()

    def place():  # the member reaches orders' read model through the broker; the Tomme has days
        for ahead in range(1, 15):
            response = requests.post(
                stack.url(f"/api/villages/{bourg}/orders"),
                headers=lucie,
                timeout=10,
                json={
                    "idempotency_key": uuid.uuid4().hex,
                    "member_id": member.json()["id"],
                    "fulfilment": "counter",
                    "delivery_date": (today + timedelta(days=ahead)).isoformat(),
                    "lines": [{"item_id": tomme["item_id"], "quantity": 1}],
                },
            )
            if response.status_code == 201:
                return response.json()
        return None

    wait_until(place)

    def moved(process, name, labels):
        url = stack.url("/metrics") if process == "gateway" else f"{urls[process]}/metrics"
        return value(scrape(url), name, **labels) - value(before[process], name, **labels)

    assert moved("gateway", "maillage_http_requests_total", placed) == 1
    assert moved("orders", "maillage_rpc_duration_seconds_count", called) >= 1
    wait_until(lambda: moved("orders", "maillage_events_published_total", published) >= 1)
    wait_until(lambda: moved("partners", "maillage_events_consumed_total", consumed) >= 1)
