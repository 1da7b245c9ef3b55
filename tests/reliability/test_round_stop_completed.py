"""`round.stop_completed` over the real broker: a stop closed in orders (the driver's page, the
concierge's) is published through the outbox and reaches the partners service, which tells the
partner driving the round; the same event delivered twice is handled once."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.tables import OutboxEvent
from services.orders.models import Round, RoundStop, Vehicle
from services.orders.service import OrdersService
from services.partners.service import PartnersService
from tests.support.reliability import inbox_count, wait_until

pytestmark = pytest.mark.broker


def _round(orders_db, village_id) -> tuple[str, str]:
    with orders_db.unit_of_work() as uow:
        vehicle = Vehicle(
            name="Fourgon", depot_village_id=village_id, capacity=20, driver_partner_id="p-1"
        )
        uow.session.add(vehicle)
        uow.session.flush()
        round_ = Round(
            vehicle_id=vehicle.id,
            on_date=datetime.now(UTC).date(),
            depot_village_id=village_id,
            village_ids=[village_id],
            driver_partner_id="p-1",
            capacity=20,
            load=6,
            distance_km=0,
            status="planned",
        )
        round_.stops = [
            RoundStop(
                sequence=1,
                kind="hub_drop",
                village_id=village_id,
                purchase_order_id=str(uuid.uuid4()),
                items_count=6,
                status="pending",
            )
        ]
        uow.session.add(round_)
        uow.commit()
        return round_.id, round_.stops[0].id


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_stop_closed_in_orders_reaches_partners_once_even_delivered_twice(
    amqp_uri, nameko_config, service_db, start_container, relay, broker_client
):
    orders_db, partners_db = service_db("orders"), service_db("partners")
    _container, workers = start_container(PartnersService, nameko_config)
    start_container(OrdersService, nameko_config)
    relay("orders")
    village_id = str(uuid.uuid4())
    round_id, stop_id = _round(orders_db, village_id)
    with ServiceRpcProxy("orders", nameko_config, timeout=10) as orders:
        closed = orders.record_round_stop(round_id, stop_id, {"outcome": "done"}, None)
    assert closed["status"] == "completed"
    wait_until(
        lambda: inbox_count(partners_db, "partners.on_partner_event") == 1,
        message="partners received the stop closed",
    )
    with orders_db.unit_of_work() as uow:
        (body,) = uow.session.scalars(
            select(OutboxEvent.body).where(OutboxEvent.type == "round.stop_completed")
        ).all()
    envelope = json.loads(body)
    assert envelope["village_id"] == village_id and envelope["payload"]["round_completed"]
    assert envelope["payload"]["driver_partner_id"] == "p-1"
    broker_client(amqp_uri).publish_envelope(envelope)  # delivered again
    wait_until(lambda: workers.runs("on_partner_event", ok=True) >= 2, message="the copy handled")
    assert inbox_count(partners_db, "partners.on_partner_event") == 1
