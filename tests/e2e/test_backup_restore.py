"""Issue 28, point 5, end to end: the whole network (`maillage run` in a vhost of its own, on
PostgreSQL databases, then on SQLite files as `make run` keeps them) holds data — a village's
member, an order, a partner with its offer in the village's catalogue and its AMQP feed account —
is backed up while it runs (`maillage backup`), stopped and wiped (databases dropped, vhost and
partner's broker user deleted, the generated gateway secret removed), restored (`maillage
restore`) and started again without the demo data: the same data is served, a token signed before
the backup is still valid, the partner's broker user connects again, and a new order reaches the
partners service and the partner's feed."""

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pika
import pytest
import requests

from backbone import config
from tests.support import network
from tests.support.infrastructure import (
    RABBIT_AUTH,
    RABBIT_HOST,
    RABBIT_MANAGEMENT,
    create_pg_database,
    drop_pg_database,
    drop_vhost,
    free_port,
    make_vhost,
)
from tests.support.network import REPO, Stack, launch_network, stop_network, wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker, pytest.mark.timeout(1200)]

COORDINATOR = "coordination@maillage.test"
LUCIE = "lucie@maillage.test"  # concierge of bourg-aux-chenes
ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def call(stack, method, path, headers, body=None, expected=200):
    return network.call(stack, method, path, headers, body, expected, timeout=20)


def maillage(env, *args):
    done = subprocess.run(
        [str(Path(sys.executable).parent / "maillage"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.returncode, done.stdout + done.stderr


def place_order(stack, headers, village_id, member_id, item_id):
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "member_id": member_id,
        "delivery_date": (
            datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=2)
        ).isoformat(),
        "fulfilment": "counter",
        "lines": [{"item_id": item_id, "quantity": 2}],
    }

    def attempt():  # the member reaches orders' read model through the broker
        response = requests.post(
            stack.url(f"/api/villages/{village_id}/orders"), headers=headers, json=body, timeout=20
        )
        if response.status_code == 400 and "member_id" in response.json()["error"].get(
            "fields_en", {}
        ):
            return None
        assert response.status_code == 201, response.text
        return response.json()

    return wait_until(attempt, timeout=60)


def write_data(stack):
    """What the network holds before the backup, through the API as its users write it."""
    coordinator, lucie = stack.login(COORDINATOR), stack.login(LUCIE)
    village = stack.villages()["bourg-aux-chenes"]
    created = call(
        stack,
        "POST",
        "/api/partners",
        coordinator,
        {
            "name": f"Ferme de la Sauvegarde {uuid.uuid4().hex[:6]}",
            "kind": "producer",
            "village_ids": [village],
            "relationships": ["supplier"],
        },
        201,
    )
    partner_id, key = created["partner"]["id"], {"X-API-Key": created["api_key"]}
    offer = call(
        stack,
        "POST",
        f"/api/partners/{partner_id}/offers",
        coordinator,
        {
            "name": "Miel de châtaignier",
            "kind": "product",
            "unit": "jar",
            "price_cents": 900,
            "vat_rate": 55,
            "lead_time_days": 1,
            "cutoff_time": "23:59",
            "days": ALL_DAYS,
            "village_ids": [village],
        },
        201,
    )
    call(
        stack,
        "POST",
        f"/api/villages/{village}/catalogue",
        lucie,
        {"offer_id": offer["id"], "price_cents": 950},
        201,
    )
    item = wait_until(  # catalogue.changed reaches orders' read model through the broker
        lambda: next(
            (
                i
                for i in call(stack, "GET", f"/api/villages/{village}/counter/catalogue", lucie)
                if i["offer_id"] == offer["id"]
            ),
            None,
        ),
        timeout=60,
    )
    member = call(
        stack,
        "POST",
        f"/api/villages/{village}/members",
        lucie,
        {
            "first_name": "Odette",
            "last_name": f"Sauvegarde{uuid.uuid4().hex[:6]}",
            "address": "1 place du Foirail",
            "phone": "06 12 34 56 78",
            "preferred_channel": "phone",
            "confirm_duplicate": True,
        },
        201,
    )
    order = place_order(stack, lucie, village, member["id"], item["item_id"])
    wait_until(  # order.placed reaches the partners service (its copy of the partner's orders)
        lambda: order["id"] in {o["id"] for o in call(stack, "GET", "/api/partner/orders", key)},
        timeout=60,
    )
    feed = call(stack, "POST", "/api/partner/feed", key, {}, 201)
    return {
        "village": village,
        "lucie": lucie,
        "coordinator": coordinator,
        "key": key,
        "partner_id": partner_id,
        "item_id": item["item_id"],
        "member": member,
        "order": order,
        "feed": feed,
    }


def served(stack, data) -> dict:
    """What the API serves of that data (the concierge's and coordinator's tokens of before)."""
    village, lucie = data["village"], data["lucie"]
    order = call(stack, "GET", f"/api/villages/{village}/orders/{data['order']['id']}", lucie)
    member = call(stack, "GET", f"/api/villages/{village}/members/{data['member']['id']}", lucie)
    partner = call(stack, "GET", f"/api/partners/{data['partner_id']}", data["coordinator"])
    partner_orders = call(stack, "GET", "/api/partner/orders", data["key"])
    return {
        "order": {k: order[k] for k in ("id", "status", "total_cents", "member_id")},
        "member": {k: member[k] for k in ("id", "first_name", "last_name", "phone")},
        "partner": {k: partner[k] for k in ("id", "name", "kind")},
        "partner_orders": sorted(o["id"] for o in partner_orders),
    }


def feed_connection(amqp_vhost, feed):
    return pika.BlockingConnection(
        pika.URLParameters(
            f"amqp://{feed['username']}:{feed['password']}@{RABBIT_HOST}:5672/"
            + quote(amqp_vhost, safe="")
        )
    )


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_a_network_backed_up_wiped_and_restored_serves_its_data_and_events_flow_again(
    tmp_path, backend
):
    vhost, port = make_vhost(), free_port()
    databases = (
        {service: create_pg_database() for service in config.SERVICES}
        if backend == "postgresql"
        else {}  # SQLite files in the data folder, as `make run` keeps them
    )
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}",
        "MAILLAGE_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        **{f"{s.upper()}_DATABASE_URL": url for s, url in databases.items()},
    }
    for generated in ("GATEWAY_SECRET", "MAILLAGE_OPT_OUT_SECRET"):  # kept in the data folder
        env.pop(generated, None)
    log_path, partner_user = tmp_path / "run.log", None
    try:
        process, log = launch_network(env, log_path)
        stack = Stack(f"http://127.0.0.1:{port}", env["AMQP_URI"], tmp_path / "data", process)
        data = write_data(stack)
        partner_user = data["feed"]["username"]
        before = served(stack, data)
        assert before["partner_orders"] == [data["order"]["id"]]

        code, output = maillage(env, "backup", str(tmp_path / "backup"))  # while it runs
        assert code == 0, output
        manifest = json.loads((tmp_path / "backup/manifest.json").read_text())
        assert all(e["engine"] == backend for e in manifest["databases"].values())
        assert manifest["broker"]["vhosts"] == [vhost]
        assert "gateway-secret" in manifest["secrets"]
        stop_network(process, log)

        # everything wiped
        for url in databases.values():
            drop_pg_database(url)
        for sqlite_file in (tmp_path / "data").glob("*.db*"):
            sqlite_file.unlink()
        drop_vhost(vhost)
        requests.delete(
            f"{RABBIT_MANAGEMENT}/users/{quote(partner_user, safe='')}",
            auth=RABBIT_AUTH,
            timeout=10,
        )
        for secret in ("gateway-secret", "opt-out-secret"):
            (tmp_path / "data" / secret).unlink(missing_ok=True)
        with pytest.raises(pika.exceptions.AMQPConnectionError):
            feed_connection(vhost, data["feed"])

        code, output = maillage(env, "restore", str(tmp_path / "backup"))
        assert code == 0, output
        assert "restauration faite" in output

        process, log = launch_network(env, log_path, "--no-demo")
        assert served(stack, data) == before, "the same data, read with the tokens of before"

        connection = feed_connection(vhost, data["feed"])  # the partner's account is back
        try:
            channel = connection.channel()
            new_order = place_order(
                stack, data["lucie"], data["village"], data["member"]["id"], data["item_id"]
            )
            wait_until(  # orders → partners, on the restored queues
                lambda: (
                    new_order["id"]
                    in {o["id"] for o in call(stack, "GET", "/api/partner/orders", data["key"])}
                ),
                timeout=60,
            )

            def in_feed():
                method, _props, body = channel.basic_get(data["feed"]["queue"], auto_ack=True)
                while method is not None:
                    event = json.loads(body)
                    if event["type"] == "order.placed" and new_order["id"] in body.decode():
                        return event
                    method, _props, body = channel.basic_get(data["feed"]["queue"], auto_ack=True)
                return None

            # partners → the partner's own feed, on its own queue
            event = wait_until(in_feed, timeout=60)
            assert event["village_id"] == data["village"]
        finally:
            connection.close()
        stop_network(process, log)
    finally:
        for url in databases.values():
            drop_pg_database(url)
        drop_vhost(vhost)
        if partner_user:
            requests.delete(
                f"{RABBIT_MANAGEMENT}/users/{quote(partner_user, safe='')}",
                auth=RABBIT_AUTH,
                timeout=10,
            )
