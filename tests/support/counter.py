"""The orders counter's world, which the counter tests stand on (fixture `counter_world` in
tests/services/conftest.py): two villages known to orders, `village` (a local baker, a shared
cheese-maker, members Alice and Bruno) and `other_village` (the cheese-maker only, member Chloé),
their catalogues as `catalogue.changed` left them; and the steps the tests take in it."""

import uuid
from datetime import UTC, date, datetime, timedelta

from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from services.orders import catalogue, ordering, parcels
from services.orders.models import KnownMember, KnownVillage
from services.orders.schemas.orders import (
    OrderInput,
)
from services.orders.schemas.parcels import (
    ParcelInput,
)

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
    """`village` with a local baker and members Alice and Bruno; `other_village` with member Chloé;
    a cheese-maker shared by both (its item there is `cheese_b`)."""

    def __init__(self, database):
        self.db = database
        self.village, self.other_village = str(uuid.uuid4()), str(uuid.uuid4())
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
            for n, village in enumerate((self.village, self.other_village)):
                uow.session.add(
                    KnownVillage(
                        id=village, slug=f"v{n}", name=f"Village {n}", kind="fixed", opened_at=NOW
                    )
                )
            uow.session.add(
                KnownMember(
                    id=self.alice,
                    village_id=self.village,
                    display_name="Alice Martin",
                    tags="fragile",
                )
            )
            uow.session.add(
                KnownMember(
                    id=self.bruno, village_id=self.village, display_name="Bruno Petit", tags=""
                )
            )
            uow.session.add(
                KnownMember(
                    id=self.chloe, village_id=self.other_village, display_name="Chloé Roux", tags=""
                )
            )
            uow.commit()
        self.publish(
            self.village,
            [self.bread, self.cheese, self.soldout, self.fridays],
            NOW - timedelta(days=1),
        )
        self.publish(self.other_village, [self.cheese_b], NOW - timedelta(days=1))

    def publish(self, village_id, items, occurred_at):
        with self.db.unit_of_work() as uow:
            return catalogue.record_catalogue_changed(
                uow, catalogue_event(village_id, items, occurred_at)
            )


def order_input(world, *lines, **change):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "member_id": world.alice,
        "delivery_date": THURSDAY.isoformat(),
        "fulfilment": "counter",
        "lines": [{"item_id": i["item_id"], "quantity": q} for i, q in lines],
    }
    data.update(change)
    return data


def place(world, village_id, data, now=NOW):
    with world.db.unit_of_work() as uow:
        return ordering.place_order(uow, village_id, load(OrderInput(), data), now)


def receive(world, village_id=None, when=NOW, **change):
    data = {
        "member_id": world.alice,
        "sender_kind": "la_poste",
        "sender_name": "La Poste",
        "description": "Colissimo",
        "place_kind": "shelf",
        "place": "A3",
    }
    data.update(change)
    with world.db.unit_of_work() as uow:
        return parcels.receive(uow, village_id or world.village, load(ParcelInput(), data), when)
