"""Orders' read model of the villages' catalogues (from `catalogue.changed`) and the order cycle:
the newest snapshot wins and replaces the village's items, a duplicate changes nothing, on SQLite
and PostgreSQL, and on the real broker; cut-offs in Europe/Paris.

Also the helpers the other counter tests stand on (`counter_world`, `catalogue_event`, `item`)."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone import topology
from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.dead_letters import DeadLetterQueue
from backbone.tables import InboxEntry
from services.orders import catalogue
from services.orders.models import CatalogueItem, KnownMember, KnownVillage
from services.orders.service import OrdersService
from tests.reliability.support import Broker, WorkerLog, wait_until

CONSUMER = "orders.on_catalogue_changed"
ALL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Paris
THURSDAY = date(2026, 12, 3)


def item(name, partner_id, *, shared=False, **change):
    data = {
        "item_id": str(uuid.uuid4()),
        "offer_id": str(uuid.uuid4()),
        "partner_id": partner_id,
        "partner_name": f"Partenaire {partner_id[:4]}",
        "shared_supplier": shared,
        "name": name,
        "kind": "product",
        "unit": "piece",
        "price_cents": 250,
        "vat_rate": 55,
        "lead_time_days": 0,
        "cutoff_time": "18:00",
        "days": ALL_DAYS,
        "perishable": False,
        "available": True,
    }
    data.update(change)
    return data


def catalogue_event(village_id, items, occurred_at=None):
    return parse_envelope(
        build_envelope(
            "catalogue.changed",
            {"village_id": village_id, "items": items},
            village_id=village_id,
            source="partners",
            occurred_at=occurred_at or datetime.now(UTC),
        )
    )


class World:
    """Two villages A and B; a local baker in A; a shared cheese-maker in both; members in each."""

    def __init__(self, database):
        self.db = database
        self.a, self.b = str(uuid.uuid4()), str(uuid.uuid4())
        self.baker, self.cheese_maker = str(uuid.uuid4()), str(uuid.uuid4())
        self.bread = item("Pain de campagne", self.baker, price_cents=320)
        self.cheese = item(
            "Tomme",
            self.cheese_maker,
            shared=True,
            price_cents=1250,
            unit="kg",
            lead_time_days=1,
            cutoff_time="12:00",
        )
        self.cheese_b = dict(self.cheese, item_id=str(uuid.uuid4()), price_cents=1300)
        self.soldout = item("Œufs", self.baker, available=False)
        self.fridays = item("Poisson", self.baker, days=["friday"])
        self.alice, self.bruno, self.chloe = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        with database.unit_of_work() as uow:
            for n, village in enumerate((self.a, self.b)):
                uow.session.add(
                    KnownVillage(
                        id=village, slug=f"v{n}", name=f"Village {n}", kind="fixed", opened_at=NOW
                    )
                )
            uow.session.add(
                KnownMember(
                    id=self.alice, village_id=self.a, display_name="Alice Martin", tags="fragile"
                )
            )
            uow.session.add(
                KnownMember(id=self.bruno, village_id=self.a, display_name="Bruno Petit", tags="")
            )
            uow.session.add(
                KnownMember(id=self.chloe, village_id=self.b, display_name="Chloé Roux", tags="")
            )
            uow.commit()
        self.publish(
            self.a, [self.bread, self.cheese, self.soldout, self.fridays], NOW - timedelta(days=1)
        )
        self.publish(self.b, [self.cheese_b], NOW - timedelta(days=1))

    def publish(self, village_id, items, occurred_at):
        with self.db.unit_of_work() as uow:
            return catalogue.record_catalogue_changed(
                uow, catalogue_event(village_id, items, occurred_at)
            )


@pytest.fixture
def counter_world(service_db):
    return World(service_db("orders"))


def _items(database, village_id):
    with database.unit_of_work() as uow:
        return {i["name"]: i for i in catalogue.village_catalogue(uow, village_id, now=NOW)}


def test_the_newest_catalogue_replaces_the_village_items_and_duplicates_change_nothing(
    counter_world,
):
    w = counter_world
    assert set(_items(w.db, w.a)) == {"Pain de campagne", "Tomme", "Œufs", "Poisson"}
    newer = catalogue_event(w.a, [dict(w.bread, price_cents=350)], NOW)
    with w.db.unit_of_work() as uow:
        assert claim_and_handle(uow, CONSUMER, catalogue.record_catalogue_changed, newer)
    with w.db.unit_of_work() as uow:  # the same event again: the inbox says no
        assert not claim_and_handle(uow, CONSUMER, catalogue.record_catalogue_changed, newer)
    assert {n: i["price_cents"] for n, i in _items(w.db, w.a).items()} == {"Pain de campagne": 350}
    # an older snapshot arriving late is ignored
    assert not w.publish(w.a, [w.bread, w.cheese], NOW - timedelta(hours=1))
    assert set(_items(w.db, w.a)) == {"Pain de campagne"}
    assert set(_items(w.db, w.b)) == {"Tomme"}, "another village's catalogue is untouched"


def test_available_only_and_the_next_delivery_day(counter_world):
    w = counter_world
    with w.db.unit_of_work() as uow:
        available = {
            i["name"]: i
            for i in catalogue.village_catalogue(uow, w.a, available_only=True, now=NOW)
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
