"""What feeds the network's signals, over the real broker: `help_request.unmatched`,
`order.refused` and `item.asked` (from orders) and `grappe.created` / `grappe.updated` (from
members) reach the events service; each need is counted once however often it is delivered, and a
grappe's creation arriving after its update leaves the update."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.contracts import build_envelope
from services.events import signals
from services.events.models import KnownGrappe, Signal
from services.events.service import EventsService
from services.orders.models import KnownMember as OrdersMember
from services.orders.models import KnownVillage as OrdersVillage
from services.orders.service import OrdersService
from tests.support.reliability import inbox_count, outbox, wait_until

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_needs_and_grappes_told_twice_or_late_count_once(
    amqp_uri, nameko_config, service_db, start_container, broker_client
):
    events_db = service_db("events")
    _container, workers = start_container(EventsService, nameko_config)
    client = broker_client(amqp_uri)
    now, village, grappe = datetime.now(UTC), str(uuid.uuid4()), str(uuid.uuid4())
    unmatched = build_envelope(
        "help_request.unmatched",
        {"help_request_id": str(uuid.uuid4()), "village_id": village, "skill": "plomberie"},
        village_id=village,
        source="orders",
    )
    refused = build_envelope(
        "order.refused",
        {
            "order_id": str(uuid.uuid4()),
            "village_id": village,
            "status": "refused",
            "fulfilment": "counter",
            "delivery_date": now.date(),
            "partner_ids": [],
            "total_cents": 0,
            "reason": "Rupture",
            "occurred_at": now,
        },
        village_id=village,
        source="orders",
    )

    def grappe_told(type_, name, when):
        return build_envelope(
            type_,
            {
                "grappe_id": grappe,
                "name": name,
                "village_ids": [village, str(uuid.uuid4())],
                "supplier_partner_ids": [],
                "depot_village_id": village,
                "depot_place": None,
            },
            village_id=None,
            source="members",
            occurred_at=when,
        )

    for envelope in (
        unmatched,
        unmatched,
        refused,
        grappe_told("grappe.updated", "Nouveau nom", now),
        refused,
        grappe_told("grappe.created", "Ancien nom", now - timedelta(hours=1)),
    ):
        client.publish_envelope(envelope)
    wait_until(
        lambda: (
            workers.runs("on_help_request_unmatched", ok=True) == 2
            and workers.runs("on_order_refused", ok=True) == 2
            and workers.runs("on_grappe_created", ok=True) == 1
            and workers.runs("on_grappe_updated", ok=True) == 1
        ),
        message="every delivery handled",
    )
    month = signals.month_of(now)
    with events_db.unit_of_work() as uow:
        seen = signals.signals(uow, month, month)
        assert uow.session.get(KnownGrappe, grappe).name == "Nouveau nom"
    totals = {t["theme"]: t["total"] for t in seen["themes"]}
    assert totals == {"aide_domicile": 1, "commerce": 1}
    assert all(
        t["grappes"] == [{"grappe_id": grappe, "name": "Nouveau nom"}] for t in seen["themes"]
    )
    assert inbox_count(events_db, "events.on_help_request_unmatched") == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_item_asked_at_a_counter_reaches_the_signals_once_without_who_asked(
    amqp_uri, nameko_config, service_db, start_container, broker_client, relay
):
    """Issue #26: the concierge notes an item the catalogue does not offer (orders, through its
    outbox); the events service counts it once, redelivered or not, and never learns who asked."""
    orders_db, events_db = service_db("orders"), service_db("events")
    now, village, member = datetime.now(UTC), str(uuid.uuid4()), str(uuid.uuid4())
    with orders_db.unit_of_work() as uow:
        uow.session.add(
            OrdersVillage(id=village, slug="bourg", name="Bourg", kind="hub", opened_at=now)
        )
        uow.session.add(OrdersMember(id=member, village_id=village, display_name="Lucienne"))
        uow.commit()
    _orders, _ = start_container(OrdersService, nameko_config)
    _events, workers = start_container(EventsService, nameko_config)
    relay("orders")
    with ServiceRpcProxy("orders", nameko_config, timeout=10) as orders:
        asked = orders.ask_item(
            village,
            {
                "item": "Piles  AA",
                "theme": "numerique",
                "member_id": member,
                "idempotency_key": "k" * 8,
            },
        )
        again = orders.ask_item(village, {"item": "Piles AA", "idempotency_key": "k" * 8})
    assert asked["id"] == again["id"] and asked["item"] == "Piles AA"
    [told] = outbox(orders_db, "item.asked")
    assert member not in json.dumps(told) and "Lucienne" not in json.dumps(told)
    month = signals.month_of(now)

    def counted():
        with events_db.unit_of_work() as uow:
            return {t["theme"]: t["total"] for t in signals.signals(uow, month, month)["themes"]}

    wait_until(lambda: counted() == {"numerique": 1}, message="the item asked counted")
    broker_client(amqp_uri).publish_envelope(told)  # delivered again
    wait_until(
        lambda: workers.runs("on_item_asked", ok=True) == 2, message="the redelivery handled"
    )
    assert counted() == {"numerique": 1}
    assert inbox_count(events_db, "events.on_item_asked") == 1
    with events_db.unit_of_work() as uow:
        [seen] = uow.session.scalars(select(Signal).where(Signal.source == "item_asked")).all()
        assert (seen.village_id, seen.detail) == (village, "Piles AA")
