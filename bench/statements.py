"""A national month of producers' consignment statements (issue #27): how long the partners service
and the gateway take to make every producer's statement of a month, its PDF and the accountant's
CSV, on a network of 1,000 villages and 300 partners.

    .venv/bin/python bench/statements.py                       # 1,000 villages, 300 partners
    .venv/bin/python bench/statements.py --spread every        # each partner sells everywhere
    .venv/bin/python bench/statements.py --villages 50 --partners 20 --backend sqlite

On a fresh database (PostgreSQL by default, created and dropped here) migrated as the service's,
it writes the month's read model as the events would have left it (`monthly_sales`: one row per
partner, village and channel, straight into the table), then times, as the service and the gateway
do them:

1. `consignment.statements_of_month`: every producer's statement of the month (three queries and
   the commission shared among the villages), checked against SQL's own sum of the month's sales;
2. the accountant's CSV of them all (`money_documents.statements_csv`);
3. the PDF of each producer's statement (`money_pdf.statement_pdf`), one after the other.

Before that, `--events` sales and orders (default 20,000 events) go through the consumer's
function (`consignment.record_money_events`, batches of 50, one transaction each, as the inbox
hands them over) into a second month, to measure what feeding the read model costs.

`--spread local` (the default) is how producers sell: 80 % of the partners in 5 to 20 villages,
20 % (shared suppliers) in 100 to 1,000; `--spread every` puts every partner in every village (300
statements of 1,000 villages each: the worst case). Prints and writes
bench/results/statements-<date>.md. Target: the month's statements in under a minute.

To time two versions of the code on the same data (the machine being shared, in turn): `--keep`
leaves the filled database (its address printed), `--database URL` times on it again (nothing
filled or fed, nothing dropped, `--print-only`: no results file), e.g. run from an older tree's
copy of this file, which imports that tree's code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import throughput  # noqa: E402  (bench/throughput.py: create_pg_database, drop_pg_database)

MONTH = "2026-11"
FED_MONTH = "2026-10"


def _villages_of(partner: int, villages: list[str], spread: str, rng) -> list[str]:
    if spread == "every":
        return villages
    count = (
        rng.randint(5, 20) if partner % 5 else rng.randint(min(100, len(villages)), len(villages))
    )
    return rng.sample(villages, min(count, len(villages)))


def fill(database, n_villages: int, n_partners: int, spread: str, rng) -> tuple[int, int]:
    """Villages, partners and the month's sales rows; returns (rows, sum of their amounts)."""
    from services.partners.models import CommissionRate, KnownVillage, MonthlySales, Partner

    villages = [str(uuid.uuid4()) for _ in range(n_villages)]
    partners = [str(uuid.uuid4()) for _ in range(n_partners)]
    now = dt.datetime.now(dt.UTC)
    with database.engine.begin() as conn:
        conn.execute(
            KnownVillage.__table__.insert(),
            [
                {
                    "id": v,
                    "slug": f"village-{n}",
                    "name": f"Village {n:04d}",
                    "commune": f"Commune {n}",
                    "insee_code": "19164",
                    "opened_at": now,
                    "changed_at": now,
                }
                for n, v in enumerate(villages)
            ],
        )
        conn.execute(
            Partner.__table__.insert(),
            [
                {
                    "id": p,
                    "name": f"Producteur {n:03d}",
                    "kind": "producer",
                    "siret": None,
                    "created_at": now,
                }
                for n, p in enumerate(partners)
            ],
        )
        # each partner's agreed rate, some changed since (the statement takes the month's)
        rates = []
        for p in partners:
            rate = rng.choice([None, 100, 125, 150, 200])
            if rate is not None:
                rates.append({"partner_id": p, "effective_from": dt.date(1970, 1, 1)})
                rates[-1].update(per_mille=rate, recorded_at=now)
            if rng.random() < 0.3:
                rates.append({"partner_id": p, "effective_from": dt.date(2026, 12, 1)})
                rates[-1].update(per_mille=rng.choice([100, 150]), recorded_at=now)
        if rates:
            conn.execute(CommissionRate.__table__.insert(), rates)
    rows, total = 0, 0
    batch = []
    with database.engine.begin() as conn:
        for n, partner in enumerate(partners):
            for village in _villages_of(n, villages, spread, rng):
                for channel in ("till", "order"):
                    quantity = rng.randint(0, 60)
                    amount = quantity * rng.randint(80, 2500) - rng.choice([0, 0, 0, 350])
                    batch.append(
                        {
                            "month": MONTH,
                            "partner_id": partner,
                            "village_id": village,
                            "channel": channel,
                            "quantity": quantity,
                            "amount_cents": amount,
                        }
                    )
                    rows, total = rows + 1, total + amount
            if len(batch) >= 20_000:
                conn.execute(MonthlySales.__table__.insert(), batch)
                batch = []
        if batch:
            conn.execute(MonthlySales.__table__.insert(), batch)
    return rows, total


def feed(database, events: int, rng) -> float:
    """`events` money events through the consumer's function: seconds taken."""
    from backbone.contracts import parse_envelope
    from services.partners import consignment
    from services.partners.models import KnownVillage, Partner
    from tests.support import money

    with database.unit_of_work() as uow:
        villages = list(
            uow.session.scalars(
                KnownVillage.__table__.select().with_only_columns(KnownVillage.id).limit(200)
            )
        )
        partners = list(
            uow.session.scalars(Partner.__table__.select().with_only_columns(Partner.id).limit(100))
        )
    at = dt.datetime(2026, 10, 15, 10, 0, tzinfo=dt.UTC)
    envelopes = []
    while len(envelopes) < events:
        village = rng.choice(villages)
        if rng.random() < 0.6:
            lines = [
                money.sale_line(rng.choice(partners), rng.randint(1, 4), rng.randint(100, 900))
                for _ in range(rng.randint(1, 4))
            ]
            envelopes.append(money.sale(village, lines, at=at))
        else:
            order_id = str(uuid.uuid4())
            lines = [money.order_line(rng.choice(partners), 2, 450)]
            envelopes.append(money.order_event("placed", village, order_id, lines, at=at))
            envelopes.append(money.order_event("collected", village, order_id, lines, at=at))
    parsed = [parse_envelope(e) for e in envelopes[:events]]
    started = time.perf_counter()
    for start in range(0, len(parsed), 50):
        with database.unit_of_work() as uow:
            consignment.record_money_events(uow, parsed[start : start + 50])
            uow.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--partners", type=int, default=300)
    parser.add_argument("--spread", choices=("local", "every"), default="local")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--keep", action="store_true", help="leave the filled database")
    parser.add_argument("--database", help="time on this database, filled by a --keep run")
    parser.add_argument("--print-only", action="store_true", help="write no results file")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from backbone import migrations
    from backbone.db import Database
    from gateway.console import money_documents, money_pdf
    from services.partners import consignment
    from services.partners.models import MonthlySales

    rng = random.Random(27)
    tmp = tempfile.mkdtemp(prefix="statements-")
    if args.database:
        url = args.database
    elif args.backend == "postgresql":
        url = throughput.create_pg_database("bench_statements")
    else:
        url = f"sqlite:///{tmp}/partners.db"
    try:
        database = Database(url, "partners")
        if args.database:
            with database.unit_of_work() as uow:
                rows, expected = uow.session.execute(
                    select(func.count(), func.sum(MonthlySales.amount_cents)).where(
                        MonthlySales.month == MONTH
                    )
                ).one()
            fed = 0.0
        else:
            migrations.upgrade("partners", url)
            started = time.perf_counter()
            rows, expected = fill(database, args.villages, args.partners, args.spread, rng)
            print(f"filled {rows:,} monthly rows in {time.perf_counter() - started:.1f} s")
            fed = feed(database, args.events, rng) if args.events else 0.0

        timings, cpu = {}, {}  # wall clock and this process's CPU time (the machine is shared)
        started, cpu_started = time.perf_counter(), time.process_time()
        with database.unit_of_work() as uow:
            statements = consignment.statements_of_month(uow, MONTH)
        timings["statements"] = time.perf_counter() - started
        cpu["statements"] = time.process_time() - cpu_started
        with database.unit_of_work() as uow:
            in_sql = uow.session.scalar(
                select(func.sum(MonthlySales.amount_cents)).where(MonthlySales.month == MONTH)
            )
        counted = sum(s["totals"]["sold_cents"] for s in statements)
        assert counted == expected == in_sql, (counted, expected, in_sql)
        for s in statements:
            t = s["totals"]
            assert t["due_cents"] == t["sold_cents"] - t["commission_cents"]
        started, cpu_started = time.perf_counter(), time.process_time()
        csv_body = money_documents.statements_csv(statements)
        timings["csv"] = time.perf_counter() - started
        cpu["csv"] = time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf_bytes = 0
        out = Path(tmp)
        for s in statements:
            body = money_pdf.statement_pdf(s)
            (out / f"{s['partner_id']}.pdf").write_bytes(body)
            pdf_bytes += len(body)
        timings["pdf"] = time.perf_counter() - started
        cpu["pdf"] = time.process_time() - cpu_started
        total = sum(timings.values())
        village_rows = sum(len(s["villages"]) for s in statements)
        lines = [
            f"# Producers' statements of a national month — {dt.datetime.now():%Y-%m-%d %H:%M}",
            "",
            f"{args.backend}; {args.villages:,} villages, {args.partners:,} partners, spread "
            f"`{args.spread}`: {rows:,} rows of `monthly_sales` for the month, "
            f"{len(statements)} statements, {village_rows:,} village lines.",
            "",
            "| step | seconds | CPU seconds |",
            "|---|---|---|",
            f"| every statement (query + commission) | {timings['statements']:.2f} "
            f"| {cpu['statements']:.2f} |",
            f"| the accountant's CSV ({len(csv_body) / 1e6:.1f} MB) | {timings['csv']:.2f} "
            f"| {cpu['csv']:.2f} |",
            f"| {len(statements)} PDFs ({pdf_bytes / 1e6:.1f} MB) | {timings['pdf']:.2f} "
            f"| {cpu['pdf']:.2f} |",
            f"| **total** | **{total:.2f}** | {sum(cpu.values()):.2f} |",
            "",
            f"Totals checked: the statements' sales = SQL's sum = {expected / 100:,.2f} €.",
            f"Load average when done: {' / '.join(f'{n:.1f}' for n in os.getloadavg())} (1/5/15 "
            "min, 2 cores).",
        ]
        if fed:
            lines.append(
                f"Feeding the read model: {args.events:,} events in {fed:.1f} s "
                f"({args.events / fed:,.0f} events/s, batches of 50)."
            )
        lines.append(f"Target: under 60 s — {'met' if total < 60 else 'not met'}.")
        report = "\n".join(lines) + "\n"
        print(report)
        if args.print_only or args.database:
            return
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        name = f"statements-{args.spread}-{dt.datetime.now():%Y-%m-%d-%H%M}.md"
        (results / name).write_text(report)
        print(f"written bench/results/{name}")
    finally:
        if args.keep or args.database:
            print(f"database kept: {url}")
        elif args.backend == "postgresql":
            throughput.drop_pg_database(url)


if __name__ == "__main__":
    main()
