"""Time of a sale at the hub's till (issue #27: p95 under 100 ms at the counter's load), measured on
the orders service's own code in this process: `till.record_sale` in its unit of work (the lines
priced from the catalogue read model and the shelf, the shelf's rows locked and decremented, the
sale, its lines and payments and the `sale.recorded` outbox row written, one commit), against a
freshly migrated database.

    .venv/bin/python bench/till.py                          # SQLite file, 500 sales
    .venv/bin/python bench/till.py --database-url postgresql://postgres@127.0.0.1/bench_till \\
        --sales 1000                                        # PostgreSQL (the database must exist)

The till holds a day's worth of sales already (`--before`, written first) and a catalogue of 60
items, 20 of them tracked on the shelf; each sale has 1 to 5 lines (one in three a shelf item),
paid in cash with change or split card and cash. Prints p50, p95, p99 and max in milliseconds.
The broker's part (the relay publishing the row after the commit) is not in the sale's time: the
sale answers once committed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--before", type=int, default=300, help="sales written before timing")
    args = parser.parse_args(argv)

    from backbone import migrations
    from backbone.contracts import build_envelope, parse_envelope
    from backbone.db import Database
    from backbone.schemas import load
    from services.orders import catalogue, stock, till
    from services.orders.models import KnownVillage
    from services.orders.schemas.till import MovementInput, SaleInput, StockItemInput

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-till-')}/orders.db"
    migrations.upgrade("orders", url)
    database = Database(url, source="orders")
    village = str(uuid.uuid4())
    now = datetime.now(UTC)
    items = [
        {
            "item_id": str(uuid.uuid4()),
            "offer_id": str(uuid.uuid4()),
            "partner_id": str(uuid.uuid4()),
            "partner_name": f"Producteur {n}",
            "shared_supplier": False,
            "name": f"Article {n}",
            "kind": "product",
            "unit": "piece",
            "price_cents": 150 + 37 * n,
            "vat_rate": (55, 100, 200)[n % 3],
            "lead_time_days": 0,
            "cutoff_time": "18:00",
            "days": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
            "perishable": False,
            "available": True,
        }
        for n in range(60)
    ]
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(id=village, slug="bench", name="Bench", kind="fixed", opened_at=now)
        )
        uow.commit()
    with database.unit_of_work() as uow:
        catalogue.record_catalogue_changed(
            uow,
            parse_envelope(
                build_envelope(
                    "catalogue.changed",
                    {"village_id": village, "items": items},
                    village_id=village,
                    source="partners",
                    occurred_at=now - timedelta(minutes=1),
                )
            ),
        )
    shelf = []
    for item in items[:20]:
        with database.unit_of_work() as uow:
            made = stock.add_item(
                uow, village, load(StockItemInput(), {"item_id": item["item_id"], "low_at": 3})
            )
        with database.unit_of_work() as uow:
            stock.record_movement(
                uow,
                village,
                made["id"],
                load(MovementInput(), {"kind": "received", "quantity": 99_999}),
            )
        shelf.append(item)
    others = items[20:]
    rng = random.Random(27)

    def one_sale() -> float:
        count = rng.randint(1, 5)
        chosen = rng.sample(others, count)
        if rng.random() < 1 / 3:
            chosen[0] = rng.choice(shelf)
        lines = [{"item_id": i["item_id"], "quantity": rng.randint(1, 3)} for i in chosen]
        total = sum(i["price_cents"] * line["quantity"] for i, line in zip(chosen, lines))
        if rng.random() < 0.5:
            payments = [{"method": "cash", "amount_cents": (total // 1000 + 1) * 1000}]
        else:
            card = total // 2 or total
            payments = [{"method": "card", "amount_cents": card}] + (
                [{"method": "cash", "amount_cents": total - card}] if total - card else []
            )
        data = load(
            SaleInput(),
            {"idempotency_key": str(uuid.uuid4()), "lines": lines, "payments": payments},
        )
        started = time.perf_counter()
        with database.unit_of_work() as uow:
            till.record_sale(uow, village, data)
        return (time.perf_counter() - started) * 1000

    for _ in range(args.before):
        one_sale()
    times = sorted(one_sale() for _ in range(args.sales))
    cut = statistics.quantiles(times, n=100)
    backend = url.split(":", 1)[0]
    print(
        f"till sale ({backend}, {args.sales} sales after {args.before}): "
        f"p50 {cut[49]:.1f} ms, p95 {cut[94]:.1f} ms, p99 {cut[98]:.1f} ms, max {times[-1]:.1f} ms"
    )
    database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
