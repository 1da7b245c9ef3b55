"""National scale: the coordinator's dashboard and exports timed on a network holding 1,000
villages, 300,000 members and 2,000,000 orders, in PostgreSQL (issue #8).

    .venv/bin/python bench/national_data.py                                  # full size (minutes)
    .venv/bin/python bench/national_data.py --villages 50 --members 5000 --orders 20000 --repeat 5

Starts the network on fresh PostgreSQL databases (one per service) in a private vhost, loads the
demo data (accounts), then writes the national-scale data straight into each service's tables with
COPY (as the services would hold it after the events went round: the villages and members in
`members`, the villages in every read model, the members in the read models of `orders` and
`events`, the orders with their lines in `orders`), ANALYZEs, and times, as the coordinator, every
dashboard and export route (coordinator GET routes without path values under /api/network,
/api/suggestions/overview, /api/time-bank, /api/skills-map, or whose path says dashboard, figures
or export), `--repeat` times each: p50/p95/max. Prints and writes
bench/results/national-<date>.md. Target: dashboard p95 < 500 ms.

The tables are filled from the service's own SQLAlchemy models: a NOT NULL column this script does
not know gets a plain value of its type, so the script keeps working as the models grow.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the network, percentiles)
import throughput  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CHUNK = 50_000
FIRST = ["Marie", "Jean", "Anne", "Pierre", "Jeanne", "Louis", "Suzanne", "Marcel", "Odette", "René", "Lucie",
         "Bernard", "Élodie", "Karim", "Inès", "Paul"]
LAST = ["Martin", "Bernard", "Couderc", "Vergne", "Mazière", "Faure", "Roux", "Chassagne", "Bourdarias", "Lafarge",
        "Peyrot", "Delpech", "Meunier", "Tixier"]
KINDS = ["fixed", "itinerant", "locker"]
STATUSES = ["collected"] * 70 + ["delivered"] * 10 + ["cancelled"] * 5 + ["ready"] * 5 + ["confirmed"] * 5 + \
    ["placed"] * 5


def plain_value(column):
    """A value for a NOT NULL column this script does not fill itself."""
    from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric

    kind = column.type
    python_type = getattr(kind, "impl", kind)
    if isinstance(python_type, Boolean):
        return False
    if isinstance(python_type, (Integer, Numeric, Float)):
        return 0
    if isinstance(python_type, DateTime):
        return dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).isoformat()
    if isinstance(python_type, Date):
        return "2026-01-01"
    if isinstance(python_type, JSON):
        return "[]"
    length = getattr(python_type, "length", None) or 20
    return "x"[:length]


def copy_rows(conn, table, rows, known: list[str]) -> int:
    """COPY `rows` (tuples in the order of `known`) into `table`, filling its other NOT NULL columns."""
    extra = [c for c in table.columns if c.name not in known and not c.nullable and c.server_default is None
             and not (c.primary_key and c.autoincrement is True and c.type.python_type is int)]
    columns = [c for c in known if c in table.columns] + [c.name for c in extra]
    keep = [i for i, c in enumerate(known) if c in table.columns]
    fillers = [plain_value(c) for c in extra]
    total = 0
    with conn.cursor() as cursor:
        buffer, writer, pending = io.StringIO(), None, 0

        def flush():
            buffer.seek(0)
            cursor.copy_expert(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')',
                               buffer)

        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([("\\N" if row[i] is None else row[i]) for i in keep] + fillers)
            pending += 1
            total += 1
            if pending >= CHUNK:
                flush()
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        if pending:
            flush()
    conn.commit()
    return total


def generate(args, urls: dict) -> dict:
    import psycopg2

    from services.events.models import Base as EventsBase
    from services.members.models import Base as MembersBase
    from services.orders.models import Base as OrdersBase
    from services.partners.models import Base as PartnersBase

    rnd = random.Random(8)
    now = dt.datetime.now(dt.timezone.utc)
    timings = {}
    villages = []
    for n in range(args.villages):
        villages.append({"id": str(uuid.uuid4()), "slug": f"national-{n:04d}", "name": f"Village national {n}",
                         "commune": f"Commune {n}", "insee_code": f"{10000 + n:05d}"[-5:], "postcode": "19290",
                         "kind": KINDS[n % 3], "population": rnd.randint(400, 1000), "status": "open",
                         "latitude": 45 + rnd.random() * 2, "longitude": 1 + rnd.random() * 3,
                         "opened_at": (now - dt.timedelta(days=800)).isoformat(),
                         "created_at": (now - dt.timedelta(days=800)).isoformat(),
                         "recorded_at": (now - dt.timedelta(days=800)).isoformat(), "services": "[]"})
    village_columns = list(villages[0])

    def village_rows():
        return (tuple(v[c] for c in village_columns) for v in villages)

    member_columns = ["id", "village_id", "first_name", "last_name", "search_name", "phone", "preferred_channel",
                      "joined_on", "fee_cents", "created_at", "updated_at"]
    members = []
    for n in range(args.members):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        members.append((str(uuid.uuid4()), villages[n % len(villages)]["id"], first, f"{last}{n}",
                        f"{first} {last}{n}".lower(), f"+3363{n:07d}"[:12], "phone",
                        (now - dt.timedelta(days=rnd.randint(1, 700))).date().isoformat(), 0,
                        now.isoformat(), now.isoformat()))

    def known_member_rows():
        return ((m[0], m[1], f"{m[2]} {m[3]}", "", m[9]) for m in members)

    started = time.monotonic()
    with psycopg2.connect(urls["members"]) as conn:
        copy_rows(conn, MembersBase.metadata.tables["villages"], village_rows(), village_columns)
        copy_rows(conn, MembersBase.metadata.tables["members"], iter(members), member_columns)
    for service, base in (("orders", OrdersBase), ("events", EventsBase), ("partners", PartnersBase)):
        with psycopg2.connect(urls[service]) as conn:
            copy_rows(conn, base.metadata.tables["known_villages"], village_rows(), village_columns)
            if "known_members" in base.metadata.tables:
                copy_rows(conn, base.metadata.tables["known_members"], known_member_rows(),
                          ["id", "village_id", "display_name", "tags", "registered_at"])
    timings["villages and members"] = time.monotonic() - started

    order_columns = ["id", "village_id", "member_id", "idempotency_key", "status", "fulfilment", "delivery_date",
                     "total_cents", "placed_at", "confirmed_at", "closed_at"]
    line_columns = ["id", "order_id", "position", "item_id", "offer_id", "partner_id", "partner_name", "name", "unit",
                    "quantity", "unit_price_cents", "vat_rate", "status"]
    partners = [(str(uuid.uuid4()), f"Producteur {n}") for n in range(50)]
    products = [(str(uuid.uuid4()), str(uuid.uuid4()), name, unit, price) for name, unit, price in
                [("Pain de campagne", "pièce", 320), ("Œufs fermiers", "douzaine", 450), ("Fromage", "pièce", 690),
                 ("Légumes de saison", "panier", 1200), ("Lait", "litre", 130), ("Médicaments", "sachet", 0)]]
    lines_file = tempfile.TemporaryFile("w+", newline="")  # 2,000,000 lines do not stay in memory
    lines = csv.writer(lines_file)

    def order_rows():
        for n in range(args.orders):
            member = members[rnd.randrange(len(members))]
            order_id = str(uuid.uuid4())
            placed = now - dt.timedelta(minutes=rnd.randint(1, 365 * 24 * 60))
            status = rnd.choice(STATUSES)
            quantity = rnd.randint(1, 4)
            item = rnd.choice(products)
            partner = partners[n % len(partners)]
            lines.writerow((str(uuid.uuid4()), order_id, 1, item[0], item[1], partner[0], partner[1], item[2], item[3],
                          quantity, item[4], 55, "refused" if status == "refused" else "confirmed"))
            closed = status in ("collected", "delivered", "cancelled")
            yield (order_id, member[1], member[0], f"national-{n}", status, "counter",
                   (placed + dt.timedelta(days=2)).date().isoformat(), quantity * item[4], placed.isoformat(),
                   None if status == "placed" else (placed + dt.timedelta(hours=2)).isoformat(),
                   (placed + dt.timedelta(days=2)).isoformat() if closed else None)

    started = time.monotonic()
    with psycopg2.connect(urls["orders"]) as conn:
        copy_rows(conn, OrdersBase.metadata.tables["orders"], order_rows(), order_columns)
        lines_file.seek(0)
        copy_rows(conn, OrdersBase.metadata.tables["order_lines"], csv.reader(lines_file), line_columns)
    lines_file.close()
    timings["orders and their lines"] = time.monotonic() - started
    started = time.monotonic()
    for url in urls.values():
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("ANALYZE")
        conn.close()
    timings["ANALYZE"] = time.monotonic() - started
    return timings


def dashboard_routes(base_url: str) -> list[str]:
    paths = requests.get(base_url + "/api/openapi.json", timeout=10).json()["paths"]
    found = []
    for path, operations in paths.items():
        get = operations.get("get")
        if not get or "{" in path or "coordinator" not in get.get("x-roles", []):
            continue
        if path.startswith(load.DASHBOARD_PREFIXES) or any(w in path for w in ("dashboard", "figures", "export")):
            found.append(path)
    return sorted(found)


def time_routes(base_url: str, headers: dict, paths: list[str], repeat: int) -> list[tuple]:
    today = dt.date.today()
    dates = {"date_from": (today - dt.timedelta(days=365)).isoformat(), "date_to": today.isoformat()}
    results = []
    for path in paths:
        params = None
        first = requests.get(base_url + path, headers=headers, timeout=120)
        if first.status_code == 400:  # a dashboard over a period: the last year
            params = dates
        timings, statuses, size = [], {}, 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = requests.get(base_url + path, headers=headers, params=params, timeout=120)
            timings.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            size = len(response.content)
        results.append((path + ("?date_from=…&date_to=…" if params else ""), timings, statuses, size))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="timings per route")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.timezone.utc)
    work = Path(tempfile.mkdtemp(prefix="maillage-national-"))
    with throughput.Vhost() as vhost:
        network = load.Network("postgresql", work, vhost)
        try:
            print(f"starting the network (PostgreSQL) in {work} …", flush=True)
            network.start()
            from backbone import config
            urls = {s: config.database_url(s) for s in config.SERVICES}
            print(f"writing {args.villages:,} villages, {args.members:,} members, {args.orders:,} orders …", flush=True)
            timings = generate(args, urls)
            login = requests.post(network.base_url + "/api/auth/login", timeout=10,
                                  json={"email": load.COORDINATOR, "password": load.PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            paths = dashboard_routes(network.base_url)
            print(f"timing {len(paths)} routes × {args.repeat} …", flush=True)
            results = time_routes(network.base_url, headers, paths, args.repeat)
        finally:
            network.stop()
    lines = [f"# National scale — {started_at:%Y-%m-%d %H:%M} UTC", "",
             f"{args.villages:,} villages, {args.members:,} members, {args.orders:,} orders (one line each) in "
             "PostgreSQL, plus the demo data. Written with COPY:", ""]
    lines += [f"- {what}: {seconds:.1f} s" for what, seconds in timings.items()]
    lines += ["", f"## Coordinator dashboard and exports ({args.repeat} calls each, one after the other, ms)", "",
              "| route | p50 | p95 | max | answers | bytes |", "|---|---:|---:|---:|---|---:|"]
    for path, values, statuses, size in results:
        lines.append(f"| GET {path} | {load.ms(load.percentile(values, .5))} | {load.ms(load.percentile(values, .95))} "
                     f"| {load.ms(max(values))} | {json.dumps(statuses)} | {size:,} |")
    lines += ["", "Target (issue #8): coordinator dashboard p95 < 500 ms on national-scale data."]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"national-{started_at:%Y-%m-%d-%H%M}.md"
        path.write_text(text)
        print(f"written to {path.relative_to(ROOT)}")
    if args.keep:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
