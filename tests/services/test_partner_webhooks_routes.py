"""Subscriptions over HTTP (gateway + partners, real broker): a partner manages its own webhooks and
reads its own deliveries only, bad input is named field by field in French and English, the
coordinator reads everyone's deliveries, and the feed account comes with its password once."""

import uuid
from datetime import timedelta

import pytest
import requests

from backbone import topology
from backbone.contracts import build_envelope
from services.partners.service import PartnersService
from tests.support.infrastructure import RABBIT_AUTH, RABBIT_MANAGEMENT, free_port
from tests.support.reliability import Broker, wait_until
from tests.support.webhooks import T0

pytestmark = pytest.mark.broker


@pytest.fixture
def api(partners_api, amqp_uri, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "test")
    monkeypatch.setenv("MAILLAGE_RABBIT_MANAGEMENT_URL", RABBIT_MANAGEMENT)
    monkeypatch.setenv("MAILLAGE_WEBHOOK_RETRY_BASE", "60")
    started = partners_api("Ferme du Plateau", "Boulangerie Faure")
    keys = dict(started.partners)
    (first, first_key), (second, second_key) = started.partners
    coordinator, village_id, base = started.coordinator, started.village_id, started.base

    def call(method, path, who=first_key, **kwargs):
        headers = {"Authorization": f"Bearer {who}"} if who == coordinator else {"X-API-Key": who}
        return requests.request(method, f"{base}{path}", headers=headers, timeout=20, **kwargs)

    yield {
        "call": call,
        "first": first,
        "second": second,
        "second_key": second_key,
        "coordinator": coordinator,
        "village_id": village_id,
        "amqp_uri": amqp_uri,
    }
    for partner_id in keys:
        requests.delete(
            f"{RABBIT_MANAGEMENT}/users/partner-{partner_id}", auth=RABBIT_AUTH, timeout=10
        )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_webhook_input_is_named_in_french_and_english(api):
    bad_url = api["call"](
        "POST",
        "/api/partner/webhooks",
        json={"url": "ftp://ferme.example/hook", "event_types": ["animation.scheduled"]},
    )
    assert bad_url.status_code == 400
    error = bad_url.json()["error"]
    assert error["fields_en"] == {"url": ["A webhook URL starts with http:// or https://."]}
    assert error["fields"] == {"url": ["L'adresse d'un webhook commence par http:// ou https://."]}
    bad_type = api["call"](
        "POST",
        "/api/partner/webhooks",
        json={"url": "https://ferme.example/hook", "event_types": ["order.eaten"]},
    )
    assert bad_type.status_code == 400
    assert bad_type.json()["error"]["fields"] == {
        "event_types": ["Type d'événement inconnu : order.eaten."]
    }


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_partner_manages_its_webhooks_and_reads_its_own_deliveries(api):
    call = api["call"]
    types = call("GET", "/api/partner/event-types").json()
    assert "animation.scheduled" in {t["type"] for t in types}
    created = call(
        "POST",
        "/api/partner/webhooks",
        json={
            "url": f"http://127.0.0.1:{free_port()}/down",
            "event_types": ["animation.scheduled"],
        },
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    hook = created.json()
    listed = call("GET", "/api/partner/webhooks").json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert call("GET", "/api/partner/webhooks", who=api["second_key"]).json() == []

    client = Broker(api["amqp_uri"], topology.subscriptions_of(PartnersService))
    try:
        client.publish_envelope(
            build_envelope(
                "animation.scheduled",
                {
                    "animation_id": str(uuid.uuid4()),
                    "village_id": api["village_id"],
                    "kind": "atelier",
                    "title": "Tricot",
                    "place": "Salle",
                    "starts_at": T0,
                    "ends_at": T0 + timedelta(hours=1),
                    "capacity": 8,
                    "co_organiser_ids": [],
                },
                village_id=api["village_id"],
                source="events",
            )
        )
    finally:
        client.close()
    page = wait_until(
        lambda: (body := call("GET", "/api/partner/deliveries").json())["total"] == 1 and body,
        message="the delivery in the partner's log",
    )
    (item,) = page["items"]
    assert item["event_type"] == "animation.scheduled" and item["partner_id"] == api["first"]
    detail = wait_until(
        lambda: (d := call("GET", f"/api/partner/deliveries/{item['id']}").json())["log"] and d,
        message="a first attempt in the log",
    )
    assert detail["body"]["payload"]["title"] == "Tricot" and not detail["log"][0]["ok"]

    # the other partner sees none of it
    assert call("GET", "/api/partner/deliveries", who=api["second_key"]).json()["total"] == 0
    assert (
        call("GET", f"/api/partner/deliveries/{item['id']}", who=api["second_key"]).status_code
        == 404
    )
    assert (
        call(
            "POST", f"/api/partner/deliveries/{item['id']}/redeliver", who=api["second_key"]
        ).status_code
        == 404
    )
    assert (
        call("DELETE", f"/api/partner/webhooks/{hook['id']}", who=api["second_key"]).status_code
        == 404
    )
    assert call("GET", "/api/deliveries", who=api["second_key"]).status_code == 403

    again = call("POST", f"/api/partner/deliveries/{item['id']}/redeliver")
    assert again.status_code == 200 and again.json()["attempts"] == 0
    everyone = call(
        "GET", f"/api/deliveries?partner_id={api['first']}&per_page=10", who=api["coordinator"]
    )
    assert everyone.status_code == 200 and everyone.json()["total"] == 1
    assert call("GET", "/api/deliveries?status=lost", who=api["coordinator"]).status_code == 400

    assert call("DELETE", f"/api/partner/webhooks/{hook['id']}").status_code == 200
    refused = call("POST", f"/api/partner/deliveries/{item['id']}/redeliver")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_deleted"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_feed_account_is_given_once_with_how_to_bind(api):
    response = api["call"]("POST", "/api/partner/feed")
    assert response.status_code == 201
    account = response.json()
    first = api["first"]
    assert account["username"] == f"partner-{first}" and len(account["password"]) >= 20
    assert (
        account["routing_key_prefix"] == f"{first}." and account["queue"] == f"partner-{first}.feed"
    )
    assert account["exchange"] == "maillage.partners"
