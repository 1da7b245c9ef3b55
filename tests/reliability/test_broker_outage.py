"""The broker goes away while the services keep writing: nothing is lost, nothing is doubled.

Runs against a private RabbitMQ node (fixture `private_rabbit`), never the shared one at :5672,
which other engineers and CI use at the same time."""

import re

import pytest
from sqlalchemy import select

from services.orders.models import KnownVillage
from services.orders.service import OrdersService
from tests.support.reliability import count, inbox_count, open_village, pending, wait_until

pytestmark = pytest.mark.broker


def test_relay_and_consumer_ride_out_a_broker_outage(
    private_rabbit, service_db, relay, start_container, monkeypatch
):
    monkeypatch.setenv("AMQP_URI", private_rabbit.amqp_uri)
    members, orders = service_db("members"), service_db("orders")
    _container, workers = start_container(
        OrdersService,
        {"AMQP_URI": private_rabbit.amqp_uri, "max_workers": 10, "serializer": "json"},
    )
    process = relay("members", amqp_uri=private_rabbit.amqp_uri)

    written = [open_village(members)["id"] for _ in range(5)]
    wait_until(
        lambda: count(orders, KnownVillage) == 5, message="the first events before the outage"
    )

    with private_rabbit.outage():
        for _ in range(10):
            written.append(open_village(members)["id"])  # writes go on: they only fill the outbox
        assert pending(members) == 10
        wait_until(
            lambda: (
                len(
                    re.findall(
                        r"broker unreachable .* 10 events waiting; retrying in", process.output()
                    )
                )
                >= 2
            ),
            timeout=30,
            message="the relay to retry (with backoff) while the broker is away",
        )
        assert process.returncode is None, "the relay keeps running while the broker is away"
        delays = [float(d) for d in re.findall(r"retrying in ([\d.]+)s", process.output())]
        assert delays == sorted(delays) and delays[-1] > delays[0], f"backoff grows: {delays}"
        assert count(orders, KnownVillage) == 5

    for _ in range(5):
        written.append(open_village(members)["id"])

    wait_until(
        lambda: pending(members) == 0, timeout=60, message="the relay to publish the backlog"
    )
    wait_until(
        lambda: count(orders, KnownVillage) == 20,
        timeout=60,
        message="the orders consumer (reconnected) to process every event",
    )
    assert inbox_count(orders) == 20, "exactly once in effect"
    with orders.engine.connect() as conn:
        assert set(conn.execute(select(KnownVillage.id)).scalars()) == set(written)
    assert workers.runs("on_village_opened", ok=False) == 0
    assert process.returncode is None, process.output()
