"""Issue 4 (partners' domain) end to end over HTTP, on the demo network: a shared supplier's offer
appears in two villages' catalogues at two local prices, and `catalogue.changed` reaches the real
broker carrying each village's local price; a concierge manages only their own village's
catalogue; bad input answers in French; a crowdfunding campaign funded by the pledge reaching its
goal takes no more pledges."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.network import call
from tests.support.reliability import Broker

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
LUCIE, KARIM, PAUL = "lucie@maillage.test", "karim@maillage.test", "paul@maillage.test"


@pytest.fixture(scope="module")
def villages(stack):
    return {
        v["slug"]: v["id"] for v in call(stack, "GET", "/api/villages", stack.login(COORDINATOR))
    }


def test_the_demo_villages_have_catalogues_with_a_shared_supplier_at_local_prices(stack, villages):
    coordinator = stack.login(COORDINATOR)
    prices = {}
    for slug in ("bourg-aux-chenes", "saint-aubin-des-pres"):
        items = call(
            stack, "GET", f"/api/villages/{villages[slug]}/catalogue/selection", coordinator
        )["items"]
        yoghurts = next(i for i in items if i["name"] == "Yaourts fermiers (x4)")
        assert (
            yoghurts["shared_supplier"] is True
            and yoghurts["partner_name"] == "GAEC des Trois Fontaines"
        )
        prices[slug] = yoghurts["price_cents"]
    assert prices == {"bourg-aux-chenes": 320, "saint-aubin-des-pres": 350}
    vialle = call(
        stack,
        "GET",
        f"/api/villages/{villages['vialle-sur-lac']}/catalogue/selection",
        stack.login(PAUL),
    )["items"]
    assert [i["partner_name"] for i in vialle] == ["Maraîchage des Sources"]
    campaigns = call(
        stack, "GET", f"/api/villages/{villages['vialle-sur-lac']}/campaigns", stack.login(PAUL)
    )
    assert campaigns[0]["status"] == "running" and campaigns[0]["pledged_cents"] > 0
    sources = call(stack, "GET", "/api/funding", coordinator)
    assert {"service_contract", "public_grant"} <= {s["kind"] for s in sources}


def test_a_shared_suppliers_offer_in_two_catalogues_at_two_local_prices_reaches_the_broker(
    stack, villages
):
    bourg, vialle, aubin = (
        villages["bourg-aux-chenes"],
        villages["vialle-sur-lac"],
        villages["saint-aubin-des-pres"],
    )
    broker = Broker(stack.amqp_uri)
    try:
        tap = broker.tap("catalogue.changed")
        coordinator, lucie, paul = stack.login(COORDINATOR), stack.login(LUCIE), stack.login(PAUL)
        name = f"Biscuiterie {uuid.uuid4().hex[:6]}"
        created = call(
            stack,
            "POST",
            "/api/partners",
            coordinator,
            {
                "name": name,
                "kind": "small_business",
                "village_ids": [bourg, vialle],
                "relationships": ["supplier"],
                "siret": "732 829 320 00074",
                "contacts": [{"name": "Jules", "email": "jules@example.org"}],
            },
            201,
        )
        assert (
            created["partner"]["shared_supplier"] is True
            and created["partner"]["scope"] == "cluster"
        )
        key = {"X-API-Key": created["api_key"]}
        offer = {
            "name": "Croquants aux noisettes",
            "kind": "product",
            "unit": "box",
            "price_cents": 420,
            "vat_rate": 55,
            "lead_time_days": 3,
            "cutoff_time": "17:00",
            "days": ["friday"],
            "village_ids": [bourg, vialle],
        }
        bad = call(
            stack,
            "POST",
            "/api/partner/offers",
            key,
            {**offer, "price_cents": -3, "vat_rate": 196},
            400,
        )
        assert set(bad["error"]["fields"]) == {"price_cents", "vat_rate"}
        assert bad["error"]["fields"]["price_cents"] == ["Doit être compris entre 0 et 10000000."]
        offer_id = call(stack, "POST", "/api/partner/offers", key, offer, 201)["id"]
        assert [o["id"] for o in call(stack, "GET", "/api/partner/offers", key)] == [offer_id]

        not_served = call(
            stack,
            "POST",
            f"/api/villages/{aubin}/catalogue",
            stack.login(KARIM),
            {"offer_id": offer_id},
            400,
        )
        assert "ne le dessert pas" in not_served["error"]["fields"]["offer_id"][0]
        forbidden = call(
            stack, "POST", f"/api/villages/{vialle}/catalogue", lucie, {"offer_id": offer_id}, 403
        )
        assert forbidden["error"]["code"] == "village_forbidden"

        here = call(
            stack,
            "POST",
            f"/api/villages/{bourg}/catalogue",
            lucie,
            {"offer_id": offer_id, "price_cents": 450},
            201,
        )["item"]
        there = call(
            stack,
            "POST",
            f"/api/villages/{vialle}/catalogue",
            paul,
            {"offer_id": offer_id, "price_cents": 480},
            201,
        )["item"]
        assert (here["price_cents"], there["price_cents"]) == (450, 480)
        twice = call(
            stack, "POST", f"/api/villages/{bourg}/catalogue", lucie, {"offer_id": offer_id}, 409
        )
        assert twice["error"]["code"] == "already_in_catalogue"
        call(
            stack,
            "PATCH",
            f"/api/villages/{vialle}/catalogue/{here['item_id']}",
            paul,
            {"price_cents": 1},
            404,
        )

        def local_prices():
            prices = {}
            for body in tap.drain():
                for item in body["payload"]["items"]:
                    if item["offer_id"] == offer_id:
                        prices[body["village_id"]] = item["price_cents"]
            return prices if len(prices) == 2 else None

        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while not local_prices() and datetime.now(UTC) < deadline:
            broker.connection.sleep(0.2)
        assert local_prices() == {bourg: 450, vialle: 480}, (
            "catalogue.changed on the broker, one per village"
        )
        shared = [
            b for b in tap.bodies if any(i["offer_id"] == offer_id for i in b["payload"]["items"])
        ]
        assert all(b["type"] == "catalogue.changed" and b["source"] == "partners" for b in shared)
        assert all(
            i["shared_supplier"]
            for b in shared
            for i in b["payload"]["items"]
            if i["offer_id"] == offer_id
        )

        # the partner runs out: both villages' catalogues say so
        call(
            stack, "PUT", f"/api/partner/offers/{offer_id}/availability", key, {"available": False}
        )
        tap.bodies.clear()

        def out_of_stock():
            found = {
                b["village_id"]
                for b in tap.drain()
                for i in b["payload"]["items"]
                if i["offer_id"] == offer_id and not i["available"]
            }
            return found if len(found) == 2 else None

        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while not out_of_stock() and datetime.now(UTC) < deadline:
            broker.connection.sleep(0.2)
        assert out_of_stock() == {bourg, vialle}
        profile = call(
            stack,
            "PATCH",
            f"/api/partners/{created['partner']['id']}",
            coordinator,
            {"contacts": [{"name": "Jules", "phone": "01 99 00 60 01"}]},
        )
        assert (
            profile["contacts"][0]["phone"] == "01 99 00 60 01"
            and profile["shared_supplier"] is True
        )
    finally:
        broker.close()


def test_a_campaign_funded_by_the_pledge_reaching_its_goal_takes_no_more(stack, villages):
    coordinator = stack.login(COORDINATOR)
    bourg = villages["bourg-aux-chenes"]
    deadline = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0).isoformat()
    campaign = call(
        stack,
        "POST",
        "/api/campaigns",
        coordinator,
        {
            "title": "Un four à pain partagé",
            "village_id": bourg,
            "goal_cents": 30000,
            "deadline": deadline,
        },
        201,
    )
    unknown = str(uuid.uuid4())
    refused = call(
        stack,
        "POST",
        f"/api/campaigns/{campaign['id']}/pledges",
        coordinator,
        {"member_id": unknown, "amount_cents": 20000},
        400,
    )
    assert refused["error"]["fields"] == {
        "member_id": [f"Habitant·e inconnu·e du réseau : {unknown}."]
    }
    member = call(stack, "GET", f"/api/villages/{bourg}/members?q=", stack.login(LUCIE))[0]["id"]
    half = call(
        stack,
        "POST",
        f"/api/campaigns/{campaign['id']}/pledges",
        coordinator,
        {"member_id": member, "pledger_name": "Raymond C.", "amount_cents": 20000},
        201,
    )
    assert half["progress_percent"] == 66 and half["status"] == "running"
    funded = call(
        stack,
        "POST",
        f"/api/campaigns/{campaign['id']}/pledges",
        coordinator,
        {"member_id": member, "amount_cents": 10000},
        201,
    )
    assert funded["status"] == "funded"
    closed = call(
        stack,
        "POST",
        f"/api/campaigns/{campaign['id']}/pledges",
        coordinator,
        {"member_id": member, "amount_cents": 10000},
        409,
    )
    assert closed["error"]["code"] == "campaign_closed" and "close" in closed["error"]["message"]
    bad = call(
        stack,
        "POST",
        f"/api/campaigns/{campaign['id']}/pledges",
        coordinator,
        {"amount_cents": 1.5},
        400,
    )
    assert bad["error"]["fields"]["amount_cents"] == ["Nombre entier attendu."]
    mine = call(stack, "GET", f"/api/villages/{bourg}/campaigns", stack.login(LUCIE))
    assert campaign["id"] in [c["id"] for c in mine]
    call(stack, "GET", f"/api/villages/{bourg}/campaigns", stack.login(PAUL), expected=403)
    call(stack, "GET", "/api/campaigns", stack.login(LUCIE), expected=403)


def test_seeding_the_demo_again_changes_no_catalogue_funding_or_campaign(stack, villages):
    import os
    import subprocess
    import sys
    from pathlib import Path

    coordinator = stack.login(COORDINATOR)

    def state():
        return (
            {
                slug: call(stack, "GET", f"/api/villages/{vid}/catalogue/selection", coordinator)[
                    "items"
                ]
                for slug, vid in villages.items()
            },
            call(stack, "GET", "/api/funding", coordinator),
            call(stack, "GET", "/api/campaigns", coordinator),
        )

    before = state()
    env = {**os.environ, "AMQP_URI": stack.amqp_uri, "MAILLAGE_DATA_DIR": str(stack.data_dir)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "maillage"), "seed"],
        env=env,
        capture_output=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert state() == before
