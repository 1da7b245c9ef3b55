"""Orders' read model of the villages' catalogues (from `catalogue.changed`) and the order cycle:
the newest snapshot wins and replaces the village's items, a duplicate changes nothing, on SQLite
and PostgreSQL, and on the real broker; cut-offs in Europe/Paris."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone import topology
from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope
from backbone.dead_letters import DeadLetterQueue
from backbone.tables import InboxEntry
from services.orders import catalogue
from services.orders.models import CatalogueItem
from services.orders.service import OrdersService
from tests.support.counter import NOW, catalogue_event, item
from tests.support.reliability import Broker, WorkerLog, wait_until

CONSUMER = "orders.on_catalogue_changed"


def _items(database, village_id):
    with database.unit_of_work() as uow:
        return {i["name"]: i for i in catalogue.village_catalogue(uow, village_id, now=NOW)}


def test_the_newest_catalogue_replaces_the_village_items_and_duplicates_change_nothing(
    counter_world,
):
    world = counter_world
    assert set(_items(world.db, world.village)) == {"Pain de campagne", "Tomme", "Œufs", "Poisson"}
    newer = catalogue_event(world.village, [dict(world.bread, price_cents=350)], NOW)
    with world.db.unit_of_work() as uow:
        assert claim_and_handle(uow, CONSUMER, catalogue.record_catalogue_changed, newer)
    with world.db.unit_of_work() as uow:  # the same event again: the inbox says no
        assert not claim_and_handle(uow, CONSUMER, catalogue.record_catalogue_changed, newer)
    assert {n: i["price_cents"] for n, i in _items(world.db, world.village).items()} == {
        "Pain de campagne": 350
    }
    # an older snapshot arriving late is ignored
    assert not world.publish(world.village, [world.bread, world.cheese], NOW - timedelta(hours=1))
    assert set(_items(world.db, world.village)) == {"Pain de campagne"}
    assert set(_items(world.db, world.other_village)) == {"Tomme"}, (
        "another village's catalogue is untouched"
    )


def test_available_only_and_the_next_delivery_day(counter_world):
    world = counter_world
    with world.db.unit_of_work() as uow:
        available = {
            i["name"]: i
            for i in catalogue.village_catalogue(uow, world.village, available_only=True, now=NOW)
        }
    assert "Œufs" not in available
    assert (
        available["Pain de campagne"]["next_delivery_date"] == "2026-12-01"
    )  # today, before 18:00
    assert available["Tomme"]["next_delivery_date"] == "2026-12-02"  # a day's lead, cut at noon
    assert available["Tomme"]["next_cutoff_at"] == "2026-12-01T11:00:00+00:00"
    assert available["Poisson"]["next_delivery_date"] == "2026-12-04"  # fridays only


def test_the_order_cycle_in_paris_time():
    cheese = CatalogueItem(
        **{
            k: v
            for k, v in item(
                "Tomme", "p", shared=True, lead_time_days=2, cutoff_time="18:00"
            ).items()
        },
        village_id="v",
    )
    # delivery on Friday 2026-12-04: orders close on Wednesday 18:00 in Paris (17:00 UTC in winter)
    assert catalogue.cutoff_at(cheese, date(2026, 12, 4)) == datetime(
        2026, 12, 2, 17, 0, tzinfo=UTC
    )
    # in summer Paris is UTC+2
    assert catalogue.cutoff_at(cheese, date(2026, 7, 3)) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert (
        catalogue.problem(cheese, date(2026, 12, 4), datetime(2026, 12, 2, 16, 59, tzinfo=UTC))
        is None
    )
    assert catalogue.problem(
        cheese, date(2026, 12, 4), datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    ).startswith("Too late for that day")
    fish = CatalogueItem(**item("Poisson", "p", days=["friday"]), village_id="v")
    assert catalogue.problem(fish, date(2026, 12, 3), NOW).startswith("Not delivered on that day")
    eggs = CatalogueItem(**item("Œufs", "p", available=False), village_id="v")
    assert catalogue.problem(eggs, date(2026, 12, 4), NOW) == "Out of stock: Œufs."


@pytest.mark.broker
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_catalogue_delivered_twice_on_the_real_broker_is_applied_once(
    amqp_uri, nameko_config, service_db, container_factory
):
    database = service_db("orders")
    container = container_factory(OrdersService, nameko_config)
    workers = WorkerLog(container)
    container.start()
    client = Broker(amqp_uri, topology.subscriptions_of(OrdersService))
    try:
        village_id = str(uuid.uuid4())
        envelope = build_envelope(
            "catalogue.changed",
            {
                "village_id": village_id,
                "items": [
                    item("Pain", str(uuid.uuid4())),
                    item("Tomme", str(uuid.uuid4()), shared=True),
                ],
            },
            village_id=village_id,
            source="partners",
        )
        client.publish_envelope(envelope)
        client.publish_envelope(envelope)
        wait_until(
            lambda: workers.runs("on_catalogue_changed", ok=True) == 2,
            message="both copies handled",
        )
        with database.engine.connect() as conn:
            assert (
                conn.execute(
                    select(func.count())
                    .select_from(CatalogueItem)
                    .where(CatalogueItem.village_id == village_id)
                ).scalar_one()
                == 2
            )
            assert (
                conn.execute(
                    select(func.count())
                    .select_from(InboxEntry)
                    .where(InboxEntry.consumer == CONSUMER)
                ).scalar_one()
                == 1
            )
        assert DeadLetterQueue(amqp_uri).list() == []
    finally:
        client.close()
        container.kill()
