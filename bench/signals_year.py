"""The coordinator's « Signaux » over a national year (issue #26: under 2 s): the events service's
`signals.signals` (by theme and month, the villages and grappes concerned) and `signal_rows` (the
CSV's rows), then the whole CSV path (`signal_rows`, its reply through the RPC's JSON serializer
and back, the gateway's CSV written: gateway/console/exports.py, signal_chunks), on a ledger of a
thousand villages' needs for twelve months (counted as services/events/signals.py counts them), in
a fresh SQLite database (or PostgreSQL with `--postgres`). Prints the figures; asserts nothing.

    .venv/bin/python bench/signals_year.py [--villages 1000] [--per-month 25] [--runs 3]
        [--postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kombu.serialization import dumps, loads  # noqa: E402

from backbone import migrations  # noqa: E402
from backbone.db import Database  # noqa: E402
from gateway.console.exports import signal_chunks  # noqa: E402
from services.events import signals  # noqa: E402
from services.events.models import KnownGrappe, Signal  # noqa: E402
from services.events.schemas import CATEGORY_LABELS  # noqa: E402

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
GRAPPE_SIZE = 10


def _database(postgres: bool, workdir: Path):
    if not postgres:
        url = f"sqlite:///{workdir / 'events.db'}"
        migrations.upgrade("events", url)
        return Database(url, source="events"), lambda: None
    import sqlalchemy as sa

    name = f"bench_signals_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    migrations.upgrade("events", url)
    database = Database(url, source="events")

    def drop():
        database.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}"'))

    return database, drop


def _seed(database: Database, villages: int, per_month: int) -> int:
    rng = random.Random(26)
    village_ids = [str(uuid.uuid4()) for _ in range(villages)]
    themes = list(CATEGORY_LABELS)
    sources = list(signals.SOURCES)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    rows = []
    for village_id in village_ids:
        for month in MONTHS:
            for _ in range(rng.randint(per_month // 2, per_month * 3 // 2)):
                rows.append(
                    {
                        "source": rng.choice(sources),
                        "source_id": uuid.uuid4().hex,
                        "theme": rng.choice(themes),
                        "detail": None,
                        "village_id": village_id,
                        "month": month,
                        "seen_at": now,
                    }
                )
    with database.unit_of_work() as uow:
        for start in range(0, len(rows), 20000):
            uow.session.execute(Signal.__table__.insert(), rows[start : start + 20000])
        for n in range(0, villages, GRAPPE_SIZE):
            uow.session.add(
                KnownGrappe(
                    grappe_id=str(uuid.uuid4()),
                    name=f"Grappe {n // GRAPPE_SIZE}",
                    village_ids=village_ids[n : n + GRAPPE_SIZE],
                    changed_at=now,
                )
            )
        signals.recount(uow)  # what record() keeps one need at a time
        uow.commit()
    return len(rows), {v: f"Village {n}" for n, v in enumerate(village_ids)}


def _csv(database: Database, names: dict) -> tuple[int, int]:
    """The CSV path as the gateway runs it, the broker's hop aside: (rows, bytes)."""
    with database.unit_of_work() as uow:
        table = signals.signal_rows(uow, MONTHS[0], MONTHS[-1])
    content_type, encoding, body = dumps(table, serializer="json")
    table = loads(body, content_type, encoding)
    header = ["Thème", "Mois", "Village", "Grappe", *signals.SOURCES.values(), "Total"]
    size = sum(len(p) for p in signal_chunks(header, table, CATEGORY_LABELS, names))
    return len(table["village"]), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--per-month", type=int, default=25, help="needs per village and month")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        database, drop = _database(args.postgres, Path(workdir))
        try:
            count, names = _seed(database, args.villages, args.per_month)
            page, csv, whole = [], [], []
            for _ in range(args.runs):
                with database.unit_of_work() as uow:
                    started = time.perf_counter()
                    result = signals.signals(uow, MONTHS[0], MONTHS[-1])
                    page.append(time.perf_counter() - started)
                with database.unit_of_work() as uow:
                    started = time.perf_counter()
                    signals.signal_rows(uow, MONTHS[0], MONTHS[-1])
                    csv.append(time.perf_counter() - started)
                started = time.perf_counter()
                rows, size = _csv(database, names)
                whole.append(time.perf_counter() - started)
        finally:
            database.engine.dispose()
            drop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{count} needs of {args.villages} villages over 12 months on {backend}: "
        f"{len(result['themes'])} themes, {rows} CSV rows ({size // 1000} kB)"
    )
    print(f"  signals (the page): median {statistics.median(page):.2f} s, max {max(page):.2f} s")
    print(
        f"  signal_rows (the CSV's rows): median {statistics.median(csv):.2f} s,"
        f" max {max(csv):.2f} s"
    )
    print(
        f"  the CSV (rows, RPC reply's JSON, CSV written): median {statistics.median(whole):.2f} s,"
        f" max {max(whole):.2f} s"
    )


if __name__ == "__main__":
    main()
