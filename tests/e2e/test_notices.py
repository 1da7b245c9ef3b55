"""Issue 25 end to end over HTTP, on the demo network and its real broker: an order made ready in a
locker reaches the member who ordered (`order.ready` → members → the channel of their consents:
an e-mail, written to the trial run's file here) with the compartment and the code; the village's
delivery log says it was sent; the e-mail's opt-out link withdraws the consent to be contacted,
and only with a token we signed."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.support.network import call, wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

PARIS = ZoneInfo("Europe/Paris")


def test_an_order_ready_in_a_locker_reaches_its_member_once_and_the_opt_out_link_works(stack):
    coordinator, lucie = (
        stack.login("coordination@maillage.test"),
        stack.login("lucie@maillage.test"),
    )
    bourg = next(
        v["id"]
        for v in call(stack, "GET", "/api/villages", coordinator)
        if v["slug"] == "bourg-aux-chenes"
    )
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    member = call(
        stack,
        "POST",
        f"/api/villages/{bourg}/members",
        lucie,
        {
            "first_name": "Test",
            "last_name": f"Casier{uuid.uuid4().hex[:6]}",
            "email": address,
            "preferred_channel": "email",
            "consents": ["contact"],
            "confirm_duplicate": True,
        },
        201,
    )["id"]
    tomme = wait_until(
        lambda: next(
            (
                i
                for i in call(stack, "GET", f"/api/villages/{bourg}/counter/catalogue", lucie)
                if i["name"] == "Tomme du plateau"
            ),
            None,
        ),
        timeout=60,
    )
    today = datetime.now(UTC).astimezone(PARIS).date()

    # the member reaches orders' read model through the broker; the Tomme's days decide
    def place():
        for ahead in range(1, 15):
            response = requests.post(
                stack.url(f"/api/villages/{bourg}/orders"),
                headers=lucie,
                timeout=10,
                json={
                    "idempotency_key": uuid.uuid4().hex,
                    "member_id": member,
                    "fulfilment": "locker",
                    "delivery_date": (today + timedelta(days=ahead)).isoformat(),
                    "lines": [{"item_id": tomme["item_id"], "quantity": 1}],
                },
            )
            if response.status_code == 201:
                return response.json()
        return None

    order = wait_until(place, timeout=60)
    ready = call(
        stack,
        "POST",
        f"/api/villages/{bourg}/orders/{order['id']}/ready",
        lucie,
        {"compartment": "B3"},
    )
    assert ready["status"] == "ready" and ready["locker_code"]

    def logged():
        return next(
            (
                line
                for line in call(
                    stack, "GET", f"/api/villages/{bourg}/notices/log?outcome=sent", lucie
                )
                if line["member_id"] == member
            ),
            None,
        )

    line = wait_until(logged, timeout=60)
    assert (
        line["source_label"] == "commande prête"
        and line["channel"] == "email"
        and line["outcome_label"] == "envoyé"
    )
    outbox = [
        json.loads(row)
        for row in (stack.data_dir / "notices-outbox.jsonl").read_text().splitlines()
    ]
    mine = [entry for entry in outbox if entry["to"] == address]
    assert len(mine) == 1, "told once"
    assert f"casier n° B3, code {ready['locker_code']}" in mine[0]["text"]
    assert mine[0]["subject"].startswith("Votre commande est prête")
    assert (
        requests.get(
            stack.url(f"/api/villages/{bourg}/notices/log"), headers=coordinator, timeout=10
        ).status_code
        == 403
    ), "names people: the village's concierge only"

    token = re.search(r"/desabonnement\?jeton=([\w.\-]+)", mine[0]["text"]).group(1)
    page = requests.get(
        stack.url(f"/desabonnement?jeton={token}"), timeout=10
    )  # no sign-in; opening changes nothing
    assert page.status_code == 200 and "Ne plus recevoir de messages" in page.text

    def consents():
        person = call(stack, "GET", f"/api/villages/{bourg}/members/{member}", lucie)
        return {c["purpose"]: c["withdrawn_at"] for c in person["consents"]}

    assert consents()["contact"] is None
    forged = requests.post(stack.url(f"/desabonnement?jeton={token[:-3]}abc"), json={}, timeout=10)
    assert forged.status_code == 400 and "token" in forged.json()["error"]["fields"]
    done = requests.post(stack.url(f"/desabonnement?jeton={token}"), json={}, timeout=10)
    assert done.status_code == 200 and done.json() == {"withdrawn": True}
    assert consents()["contact"] is not None
