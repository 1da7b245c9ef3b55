"""Issue 5 (the counter) end to end over HTTP, on the demo network and its real broker: a shared
supplier's offer sold in two villages; an inhabitant's order in each becomes one pooled supplier
order (one per supplier and delivery day) with a per-village breakdown, which the supplier sees
through the partner API and which is sent as `purchase_order.sent`; a double click makes one order;
bad input gets clear French errors; a parcel is handed over with its code only."""

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support.network import call, wait_until
from tests.support.reliability import Broker

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
CONCIERGE = {
    "bourg-aux-chenes": "lucie@maillage.test",
    "saint-aubin-des-pres": "karim@maillage.test",
}
ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.fixture(scope="module")
def network(stack):
    coordinator = stack.login(COORDINATOR)
    villages = {v["slug"]: v["id"] for v in call(stack, "GET", "/api/villages", coordinator)}
    a, b = villages["bourg-aux-chenes"], villages["saint-aubin-des-pres"]
    staff = {
        a: stack.login(CONCIERGE["bourg-aux-chenes"]),
        b: stack.login(CONCIERGE["saint-aubin-des-pres"]),
    }
    # a shared supplier (serves both villages), its offer, sold in each village at a local price
    created = call(
        stack,
        "POST",
        "/api/partners",
        coordinator,
        {
            "name": f"Fromagerie mutualisée {uuid.uuid4().hex[:6]}",
            "kind": "producer",
            "village_ids": [a, b],
            "relationships": ["supplier"],
        },
        201,
    )
    supplier = created["partner"]["id"]
    offer = call(
        stack,
        "POST",
        f"/api/partners/{supplier}/offers",
        coordinator,
        {
            "name": "Tomme fermière",
            "kind": "product",
            "unit": "kg",
            "price_cents": 1800,
            "vat_rate": 55,
            "lead_time_days": 1,
            "cutoff_time": "23:59",
            "days": ALL_DAYS,
            "village_ids": [a, b],
        },
        201,
    )
    for village_id, price in ((a, 1900), (b, 2000)):
        call(
            stack,
            "POST",
            f"/api/villages/{village_id}/catalogue",
            staff[village_id],
            {"offer_id": offer["id"], "price_cents": price},
            201,
        )
    items = {}
    for village_id in (a, b):  # catalogue.changed reaches orders' read model through the broker
        items[village_id] = wait_until(
            lambda v=village_id: next(
                (
                    i
                    for i in call(stack, "GET", f"/api/villages/{v}/counter/catalogue", staff[v])
                    if i["offer_id"] == offer["id"]
                ),
                None,
            )
        )
    members = {}
    for village_id in (a, b):
        members[village_id] = call(
            stack,
            "POST",
            f"/api/villages/{village_id}/members",
            staff[village_id],
            {
                "first_name": "Test",
                "last_name": f"Comptoir{uuid.uuid4().hex[:6]}",
                "address": "2 place de l'Église",
                "phone": f"06 39 98 {uuid.uuid4().int % 90 + 10} {uuid.uuid4().int % 90 + 10}",
                "preferred_channel": "phone",
                "confirm_duplicate": True,
            },
            201,
        )["id"]
    return {
        "a": a,
        "b": b,
        "staff": staff,
        "coordinator": coordinator,
        "supplier": supplier,
        "api_key": {"X-API-Key": created["api_key"]},
        "items": items,
        "members": members,
    }


def delivery_day() -> str:
    """The day after tomorrow in Paris: its cut-off (tomorrow 23:59) is always ahead."""
    return (datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=2)).isoformat()


def place(stack, net, village_id, quantity, key=None, **change):
    body = {
        "idempotency_key": key or str(uuid.uuid4()),
        "member_id": net["members"][village_id],
        "delivery_date": delivery_day(),
        "fulfilment": "counter",
        "lines": [{"item_id": net["items"][village_id]["item_id"], "quantity": quantity}],
    }
    body.update(change)

    def attempt():  # the member reaches orders' read model through the broker
        response = requests.post(
            stack.url(f"/api/villages/{village_id}/orders"),
            headers=net["staff"][village_id],
            json=body,
            timeout=10,
        )
        if response.status_code == 400 and "member_id" in response.json()["error"].get(
            "fields_en", {}
        ):
            return None
        assert response.status_code == 201, response.text
        return response.json()

    return wait_until(attempt)


def test_orders_of_two_villages_become_one_pooled_supplier_order(stack, network):
    net, a, b = network, network["a"], network["b"]
    broker = Broker(stack.amqp_uri)
    tap = broker.tap("purchase_order.sent")
    try:
        key = str(uuid.uuid4())
        in_a = place(stack, net, a, 2, key=key)
        assert place(stack, net, a, 2, key=key)["id"] == in_a["id"], (
            "a double click makes one order"
        )
        in_b = place(stack, net, b, 3)
        assert in_a["status"] == in_b["status"] == "placed"
        assert in_a["lines"][0]["unit_price_cents"] == 1900 and in_b["total_cents"] == 6000

        pooled = [
            p
            for p in call(stack, "GET", "/api/purchase-orders?status=open", net["coordinator"])
            if p["supplier_partner_id"] == net["supplier"]
        ]
        assert len(pooled) == 1, pooled
        po = pooled[0]
        assert po["village_ids"] == sorted([a, b]) and po["delivery_date"] == delivery_day()
        assert {v["village_id"]: v["lines"][0]["quantity"] for v in po["villages"]} == {a: 2, b: 3}
        assert po["lines"][0]["quantity"] == 5 and po["lines"][0]["name"] == "Tomme fermière"

        (mine,) = [
            p
            for p in call(stack, "GET", f"/api/villages/{a}/purchase-orders", net["staff"][a])
            if p["id"] == po["id"]
        ]
        assert mine["village_ids"] == [a] and mine["items_count"] == 2, (
            "a concierge sees their village's part"
        )

        # the supplier, by API key, sees its orders (its lines only, no member
        # data) and confirms one line
        seen = {o["id"]: o for o in call(stack, "GET", "/api/partner/orders", net["api_key"])}
        assert set(seen) == {in_a["id"], in_b["id"]}
        assert "member_id" not in seen[in_a["id"]] and "member_name" not in seen[in_a["id"]]
        answered = call(
            stack,
            "POST",
            f"/api/partner/orders/{in_a['id']}/lines/{in_a['lines'][0]['id']}/confirm",
            net["api_key"],
            {},
        )
        assert answered["status"] == "confirmed"
        refused = requests.post(
            stack.url(f"/api/partner/orders/{in_b['id']}/lines/{in_b['lines'][0]['id']}/refuse"),
            headers=net["api_key"],
            json={},
            timeout=10,
        )
        assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
        assert [
            p["id"] for p in call(stack, "GET", "/api/partner/purchase-orders", net["api_key"])
        ] == [po["id"]]

        sent = call(stack, "POST", f"/api/purchase-orders/{po['id']}/send", net["coordinator"])
        assert sent["status"] == "sent"
        (event,) = tap.wait_for(1)
        payload = event["payload"]
        assert payload["supplier_partner_id"] == net["supplier"] and payload[
            "village_ids"
        ] == sorted([a, b])
        assert {v["village_id"]: v["lines"][0]["quantity"] for v in payload["villages"]} == {
            a: 2,
            b: 3,
        }
        assert net["members"][a] not in str(payload) and in_a["id"] not in str(payload), (
            "no member data"
        )
        assert (
            call(stack, "GET", f"/api/villages/{b}/orders/{in_b['id']}", net["staff"][b])["status"]
            == "confirmed"
        )
        again = requests.post(
            stack.url(f"/api/purchase-orders/{po['id']}/send"),
            headers=net["coordinator"],
            timeout=10,
        )
        assert again.status_code == 409
    finally:
        broker.close()


def test_bad_input_at_the_counter_is_refused_in_french(stack, network):
    net, a, b = network, network["a"], network["b"]
    headers = net["staff"][a]
    url = stack.url(f"/api/villages/{a}/orders")
    item = net["items"][a]["item_id"]
    base = {
        "idempotency_key": str(uuid.uuid4()),
        "member_id": net["members"][a],
        "delivery_date": delivery_day(),
        "fulfilment": "counter",
        "lines": [{"item_id": item, "quantity": 1}],
    }
    for change, field in (
        ({"lines": [{"item_id": item, "quantity": 0}]}, "lines"),
        ({"lines": [{"item_id": net["items"][b]["item_id"], "quantity": 1}]}, "lines"),
        ({"delivery_date": "2020-01-01"}, "delivery_date"),
        ({"fulfilment": "home_delivery"}, "fulfilment"),
    ):
        response = requests.post(url, headers=headers, json={**base, **change}, timeout=10)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert field in error["fields"] and error["message"].startswith("Certaines informations")
    missing = requests.post(
        url, headers=headers, json={**base, "fulfilment": "home_delivery"}, timeout=10
    ).json()
    # this member can come to the counter (no « fragile » tag); her address, which members told
    # orders (member.updated), would have served
    assert missing["error"]["fields"] == {
        "fulfilment": [
            "La livraison à domicile est pour les personnes qui ne peuvent pas venir (fragiles, "
            "à mobilité réduite ou sans voiture)."
        ]
    }

    later = (datetime.fromisoformat(delivery_day()) + timedelta(days=1)).date().isoformat()
    order = place(
        stack, net, a, 1, delivery_date=later
    )  # the day before's supplier order may be sent
    call(
        stack,
        "POST",
        f"/api/villages/{a}/orders/{order['id']}/cancel",
        headers,
        {"reason": "Erreur de saisie"},
    )
    wrong = requests.post(
        stack.url(f"/api/villages/{a}/orders/{order['id']}/collect"),
        headers=headers,
        json={},
        timeout=10,
    )
    assert wrong.status_code == 409 and "annulée" in wrong.json()["error"]["message"]
    # another village's concierge: not their village, and not found under their own
    assert (
        requests.get(
            stack.url(f"/api/villages/{a}/orders/{order['id']}"),
            headers=net["staff"][b],
            timeout=10,
        ).status_code
        == 403
    )
    assert (
        requests.get(
            stack.url(f"/api/villages/{b}/orders/{order['id']}"),
            headers=net["staff"][b],
            timeout=10,
        ).status_code
        == 404
    )


def test_a_parcel_waits_on_the_day_list_and_is_handed_over_with_its_code(stack, network):
    net, a = network, network["a"]
    headers = net["staff"][a]
    parcel = call(
        stack,
        "POST",
        f"/api/villages/{a}/parcels",
        headers,
        {
            "member_id": net["members"][a],
            "sender_kind": "la_poste",
            "place_kind": "shelf",
            "place": "B2",
        },
        201,
    )
    today = call(stack, "GET", f"/api/villages/{a}/counter/today", headers)
    assert parcel["id"] in [p["id"] for p in today["parcels_waiting"]]
    # the code is given once, in the answer to the receipt: never listed nor read again
    listed = call(stack, "GET", f"/api/villages/{a}/parcels", headers)
    read = call(stack, "GET", f"/api/villages/{a}/parcels/{parcel['id']}", headers)
    assert parcel["id"] in [p["id"] for p in listed]
    for answer in (today, listed, read):
        assert "pickup_code" not in json.dumps(answer), answer
    wrong = "000000" if parcel["pickup_code"] != "000000" else "111111"
    refused = requests.post(
        stack.url(f"/api/villages/{a}/parcels/{parcel['id']}/handover"),
        headers=headers,
        json={"code": wrong},
        timeout=10,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wrong_pickup_code"
    done = call(
        stack,
        "POST",
        f"/api/villages/{a}/parcels/{parcel['id']}/handover",
        headers,
        {"code": parcel["pickup_code"]},
    )
    assert done["status"] == "handed_over"
    assert parcel["id"] not in [
        p["id"] for p in call(stack, "GET", f"/api/villages/{a}/parcels", headers)
    ]
