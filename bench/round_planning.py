"""Planning a round of about 60 stops (issue #26: target under 1 s): the orders service's
`rounds.plan_round` on a fresh SQLite database (or PostgreSQL with `--postgres`), as the
coordinator's « Planifier » does it: candidates read (home deliveries of six villages, their truck
stops, two pooled supplier orders with each village's hub drop-off), trips cut to the vehicle's
capacity, each trip ordered (nearest neighbour, then 2-opt), the round and its stops written with
`round.planned`. Then `round_building.build_round` alone on the same stops. Prints the figures;
asserts nothing.

    .venv/bin/python bench/round_planning.py [--stops 60] [--runs 5] [--capacity 40] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backbone import migrations  # noqa: E402
from backbone.db import Database  # noqa: E402
from backbone.schemas import load  # noqa: E402
from services.orders import rounds  # noqa: E402
from services.orders.models import (  # noqa: E402
    KnownVillage,
    Order,
    OrderLine,
    PurchaseOrder,
    Vehicle,
)
from services.orders.round_building import build_round  # noqa: E402
from services.orders.schemas.rounds import RoundInput  # noqa: E402

NOW = datetime.now(UTC)
VILLAGES = 6
POOLED = 2


def _database(postgres: bool, workdir: Path) -> tuple[Database, callable]:
    if not postgres:
        url = f"sqlite:///{workdir / 'orders.db'}"
        migrations.upgrade("orders", url)
        return Database(url, source="orders"), lambda: None
    import sqlalchemy as sa

    name = f"bench_rounds_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    migrations.upgrade("orders", url)
    database = Database(url, source="orders")

    def drop():
        database.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}"'))

    return database, drop


def _seed(database: Database, day: date, homes: int, capacity: int, rng: random.Random) -> dict:
    """Villages around a depot, `homes` home deliveries spread over them, POOLED sent purchase
    orders with a share in every village, one vehicle."""
    with database.unit_of_work() as uow:
        villages = []
        for n in range(VILLAGES):
            village = KnownVillage(
                id=str(uuid.uuid4()),
                slug=f"v{n}",
                name=f"Village {n}",
                kind="itinerant" if n == VILLAGES - 1 else "fixed",
                latitude=45.5 + rng.uniform(-0.3, 0.3),
                longitude=2.0 + rng.uniform(-0.4, 0.4),
                opened_at=NOW,
            )
            uow.session.add(village)
            villages.append(village.id)
        purchases = []
        for p in range(POOLED):
            purchase = PurchaseOrder(
                supplier_partner_id=f"supplier-{p}",
                supplier_name=f"Fournisseur {p}",
                delivery_date=day,
                cutoff_at=NOW,
                status="sent",
            )
            uow.session.add(purchase)
            purchases.append(purchase)
        uow.session.flush()

        def order(village_id, items, fulfilment, purchase_id=None):
            placed = Order(
                village_id=village_id,
                member_id=str(uuid.uuid4()),
                idempotency_key=str(uuid.uuid4()),
                status="confirmed",
                fulfilment=fulfilment,
                delivery_date=day,
                delivery_address="1 rue du Lavoir" if fulfilment == "home_delivery" else None,
                total_cents=100 * items,
                placed_at=NOW,
            )
            placed.lines = [
                OrderLine(
                    position=1,
                    item_id="i",
                    offer_id="o",
                    partner_id="p",
                    partner_name="P",
                    name="Panier",
                    unit="caisse",
                    quantity=items,
                    unit_price_cents=100,
                    vat_rate=550,
                    status="confirmed",
                    purchase_order_id=purchase_id,
                )
            ]
            uow.session.add(placed)

        for n in range(homes):
            order(villages[n % VILLAGES], rng.randint(1, 4), "home_delivery")
        for purchase in purchases:
            for village_id in villages:
                order(village_id, rng.randint(3, 12), "counter", purchase.id)
        vehicle = Vehicle(
            name=f"Fourgon {uuid.uuid4().hex[:6]}",
            depot_village_id=villages[0],
            capacity=capacity,
            driver_member_id=str(uuid.uuid4()),
        )
        uow.session.add(vehicle)
        uow.commit()
        return {"villages": villages, "vehicle_id": vehicle.id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stops", type=int, default=60, help="stops wanted (about)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--capacity", type=int, default=40)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    # stops: homes + one truck stop + POOLED pick-ups + POOLED × VILLAGES drop-offs
    homes = max(1, args.stops - 1 - POOLED * (1 + VILLAGES))
    rng = random.Random(26)
    planned, pure, sizes = [], [], None
    with tempfile.TemporaryDirectory() as workdir:
        for run in range(args.runs):
            (Path(workdir) / str(run)).mkdir()
            database, drop = _database(args.postgres, Path(workdir) / str(run))
            try:
                day = (NOW + timedelta(days=1)).date()
                world = _seed(database, day, homes, args.capacity, rng)
                data = load(
                    RoundInput(),
                    {
                        "date": day.isoformat(),
                        "vehicle_id": world["vehicle_id"],
                        "village_ids": world["villages"],
                    },
                )
                with database.unit_of_work() as uow:
                    started = time.perf_counter()
                    made = rounds.plan_round(uow, world["villages"][0], data, None, now=NOW)
                    planned.append(time.perf_counter() - started)
                stops = [
                    {k: s[k] for k in ("kind", "items_count", "latitude", "longitude")}
                    | {"purchase_order_id": s["purchase_order_id"]}
                    for s in made["stops"]
                ]
                started = time.perf_counter()
                build_round((45.5, 2.0), stops, args.capacity)
                pure.append(time.perf_counter() - started)
                sizes = (len(made["stops"]), made["trips"], made["load"], made["distance_km"])
            finally:
                database.engine.dispose()
                drop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"round of {sizes[0]} stops, {sizes[1]} trips, {sizes[2]} crates, {sizes[3]} km "
        f"(capacity {args.capacity}), {args.runs} runs on {backend}"
    )
    print(
        f"  plan_round (read, build, write, event): "
        f"median {statistics.median(planned) * 1000:.0f} ms, max {max(planned) * 1000:.0f} ms"
    )
    print(
        f"  build_round alone: "
        f"median {statistics.median(pure) * 1000:.1f} ms, max {max(pure) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
