"""Does an order cost more when the database holds more? (issue #30, "flat cost with data").

    .venv/bin/python bench/order_growth.py                          # 0, 100k and 2M stored orders
    .venv/bin/python bench/order_growth.py --sizes 0 100000 --placements 200

On a fresh, migrated orders database in PostgreSQL, with the counter's world of the service tests
(tests/support/counter.py: a village, a local baker, a shared cheese-maker, two members), for each
size in turn (cumulative: the rows written for 100k are kept for 2M):

1. fills ONE village and ONE delivery date with that many orders (one line each), written with COPY
   as bench/national_data.py does, each with its `order.placed` outbox row, published (what the
   relay leaves behind until the retention purge), then ANALYZE;
2. places one order of a local item and one of a shared supplier's item through the service layer
   (`ordering.place_order`, as the RPC does), capturing every statement it sends with SQLAlchemy's
   `before_cursor_execute`, plus the in-process relay's poll (`OutboxReader.read`,
   `pending_count`); then replays them, in order, under `EXPLAIN (ANALYZE, BUFFERS)` in one
   transaction rolled back: execution time, plan's top node and buffers per statement;
3. places `--placements` orders (half local, half shared) and measures the CPU they cost: this
   process (service layer, SQLAlchemy, psycopg2) and the PostgreSQL backend serving it (/proc);
   as many on a second, empty orders database, alternating in 5 slices (`cost`): the machine's
   drift within minutes moves both alike, their ratio is what the stored orders cost.

Prints, per statement, its time and buffers at each size (a statement whose buffers grow with the
stored orders is named "grows"), the CPU ms per order at each size on both databases and the
median ratio stored / empty; appends the tables to
bench/results/order_cost.md unless --no-write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: /proc readings)
import throughput  # noqa: E402  (databases)

RESULTS_FILE = ROOT / "bench" / "results" / "order_cost.md"
CHUNK = 100_000


def shorten(statement: str) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"SELECT .*? FROM", "SELECT … FROM", text, count=1)
    text = re.sub(r"\(([a-z_]+, ){3,}[a-z_]+\)", "(…)", text)
    text = re.sub(r"VALUES \(.*\)", "VALUES (…)", text)
    return text[:110]


class Capture:
    def __init__(self, engine):
        from sqlalchemy import event

        self.engine, self.statements, self.on = engine, [], False

        @event.listens_for(engine, "before_cursor_execute")
        def _record(_conn, _cursor, statement, parameters, _context, executemany):
            if self.on:
                params = (
                    parameters[0]
                    if executemany and isinstance(parameters, list | tuple)
                    else parameters
                )
                self.statements.append((statement, params))

    def __enter__(self):
        self.statements, self.on = [], True
        return self

    def __exit__(self, *exc):
        self.on = False
        return False


def fill(url: str, world, start: int, stop: int) -> float:
    """Orders start..stop-1 of the world's village and Thursday, one bread line each, and their
    published `order.placed` outbox rows (COPY), then ANALYZE."""
    import psycopg2

    from tests.support.counter import NOW, THURSDAY

    started = time.monotonic()
    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    placed = NOW - dt.timedelta(days=1)
    body = json.dumps({"padding": "x" * 600})  # about an order.placed envelope's size
    with conn, conn.cursor() as cursor:
        for low in range(start, stop, CHUNK):
            high = min(stop, low + CHUNK)
            orders, lines, outbox = io.StringIO(), io.StringIO(), io.StringIO()
            for n in range(low, high):
                order_id = uuid.UUID(int=n + 1).hex
                orders.write(
                    f"{order_id}\t{world.village}\t{world.bruno}\tgrowth-{n}\tconfirmed\tcounter\t"
                    f"{THURSDAY.isoformat()}\t320\t{placed.isoformat()}\t{placed.isoformat()}\n"
                )
                lines.write(
                    f"{uuid.uuid4().hex}\t{order_id}\t0\t{world.bread['item_id']}\t"
                    f"{world.bread['offer_id']}\t{world.baker}\tBoulanger\tPain\tpiece\t1\t320\t"
                    "55\tconfirmed\n"
                )
                outbox.write(
                    f"{uuid.uuid4()}\torder.placed\t1\t{world.village}\t{body}\t"
                    f"{placed.isoformat()}\t{placed.isoformat()}\n"
                )
            for table, columns, buffer in (
                (
                    "orders",
                    "id, village_id, member_id, idempotency_key, status, fulfilment, "
                    "delivery_date, total_cents, placed_at, confirmed_at",
                    orders,
                ),
                (
                    "order_lines",
                    "id, order_id, position, item_id, offer_id, partner_id, partner_name, name, "
                    "unit, quantity, unit_price_cents, vat_rate, status",
                    lines,
                ),
                (
                    "outbox",
                    "event_id, type, version, village_id, body, created_at, published_at",
                    outbox,
                ),
            ):
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("ANALYZE")
    conn.close()
    return time.monotonic() - started


_ORDER_INPUT = []  # one schema instance, as the RPC method keeps one (backbone/rpc.py)


def place(world, shared: bool):
    from backbone.schemas import load as load_input
    from services.orders import ordering
    from services.orders.schemas.orders import OrderInput
    from tests.support.counter import NOW, order_input

    if not _ORDER_INPUT:
        _ORDER_INPUT.append(OrderInput())
    thing = world.cheese if shared else world.bread
    with world.db.unit_of_work() as uow:
        return ordering.place_order(
            uow, world.village, load_input(_ORDER_INPUT[0], order_input(world, (thing, 1))), NOW
        )


def relay_poll(database):
    from backbone.relay_outbox import OutboxReader

    reader = OutboxReader(database.engine)
    reader.read(100, set())
    reader.pending_count()


def _connect(url: str):
    import psycopg2

    return psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))


def max_outbox_id(url: str) -> int:
    conn = _connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM outbox")
        (top,) = cursor.fetchone()
    conn.close()
    return top


def forget(url: str, order_ids: list[str], last_event: int) -> None:
    conn = _connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("DELETE FROM order_lines WHERE order_id = ANY(%s)", (order_ids,))
        cursor.execute("DELETE FROM orders WHERE id = ANY(%s)", (order_ids,))
        cursor.execute("DELETE FROM outbox WHERE id > %s", (last_event,))
    conn.close()


def publish_all(url: str) -> None:
    """What the relay does with the pending rows, then what autovacuum does after it (the index
    entries of rows no longer pending go)."""
    conn = _connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) outbox")
    conn.close()


def backlog(url: str, world, rows: int) -> None:
    """`rows` pending outbox rows (the broker away a while), then ANALYZE."""
    conn = _connect(url)
    body = json.dumps({"padding": "x" * 600})
    buffer = io.StringIO()
    now = dt.datetime.now(dt.UTC).isoformat()
    for _ in range(rows):
        buffer.write(f"{uuid.uuid4()}\torder.placed\t1\t{world.village}\t{body}\t{now}\t\\N\n")
    buffer.seek(0)
    with conn, conn.cursor() as cursor:
        cursor.copy_expert(
            "COPY outbox (event_id, type, version, village_id, body, created_at, published_at) "
            "FROM STDIN",
            buffer,
        )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("ANALYZE outbox")
    conn.close()


def explain(url: str, statements) -> list[dict]:
    """Each statement under EXPLAIN (ANALYZE, BUFFERS), in order, in one transaction rolled back."""
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    out = []
    try:
        with conn.cursor() as cursor:
            for statement, params in statements:
                if (
                    not statement.lstrip()
                    .upper()
                    .startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))
                ):
                    continue
                cursor.execute(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params or None
                )
                plan = cursor.fetchone()[0][0]
                top = plan["Plan"]
                nodes, stack = [], [top]
                while stack:
                    node = stack.pop()
                    label = node["Node Type"]
                    if "Index Name" in node:
                        label += f" {node['Index Name']}"
                    elif "Relation Name" in node:
                        label += f" {node['Relation Name']}"
                    nodes.append(label)
                    stack.extend(node.get("Plans", []))
                out.append(
                    {
                        "statement": shorten(statement),
                        "ms": plan["Execution Time"],
                        "buffers": top.get("Shared Hit Blocks", 0)
                        + top.get("Shared Read Blocks", 0),
                        "plan": ", ".join(nodes[:3]),
                    }
                )
    finally:
        conn.rollback()
        conn.close()
    return out


def backend_cpu(url: str) -> float:
    import psycopg2

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(throughput.PG_ADMIN_DSN)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            return sum(load.cpu_seconds(pid) for (pid,) in cursor.fetchall())
    finally:
        conn.close()


SLICES = 5  # the placements of a size are measured in this many slices, alternating


def cost(world, url: str, reference, reference_url: str, placements: int) -> dict:
    """CPU ms per order placed (this process, the PostgreSQL backends), half local, half shared,
    on the filled database and, alternating slice by slice, on an empty one (`reference`): the
    medians over the slices of each, and of their ratios slice by slice. This machine's speed
    drifts by up to half from one minute to the next, every process at once (one measure of 400
    placements moved by ±50 % between runs of the same code); the ratio to the empty database,
    measured in the same minute, is what the stored orders themselves cost."""
    place(world, False)  # the pools' connections open before measuring
    place(reference, False)
    each = max(placements // SLICES, 2)
    slices = {"python": [], "postgres": [], "ref_python": [], "ref_postgres": []}
    for _ in range(SLICES):
        for which, target, target_url in (("", world, url), ("ref_", reference, reference_url)):
            py_before, pg_before = time.process_time(), backend_cpu(target_url)
            for n in range(each):
                place(target, n % 2 == 1)
            slices[which + "python"].append((time.process_time() - py_before) * 1000 / each)
            slices[which + "postgres"].append((backend_cpu(target_url) - pg_before) * 1000 / each)
    ratios = [
        (py + pg) / (ref_py + ref_pg)
        for py, pg, ref_py, ref_pg in zip(*slices.values(), strict=True)
    ]
    return {
        **{name: statistics.median(values) for name, values in slices.items()},
        "ratio": statistics.median(ratios),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100_000, 2_000_000])
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--label", default="", help="said in the results' title (before/after)")
    parser.add_argument(
        "--backlog",
        type=int,
        default=20_000,
        help="pending outbox rows for the relay's poll under a backlog (the broker was away)",
    )
    parser.add_argument(
        "--without-unpublished-index",
        action="store_true",
        help="drop the outbox's index of pending rows after migrating (the figures before it)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import order_cost  # bench/order_cost.py: the commit

    from backbone import migrations
    from backbone.db import Database
    from tests.support.counter import World

    started_at = dt.datetime.now(dt.UTC)
    code = order_cost.commit()  # the code this run imported, whatever is committed meanwhile
    url = "postgresql+psycopg2://" + throughput.create_pg_database("growth_orders").split("://")[1]
    os.environ["ORDERS_DATABASE_URL"] = url
    reference_url = (
        "postgresql+psycopg2://" + throughput.create_pg_database("growth_reference").split("://")[1]
    )
    database = reference_db = None
    results = []
    try:
        migrations.upgrade("orders")
        if args.without_unpublished_index:
            conn = _connect(url)
            with conn, conn.cursor() as cursor:
                cursor.execute("DROP INDEX ix_outbox_unpublished")
            conn.close()
        database = Database(url, source="orders")
        world = World(database)
        migrations.upgrade("orders", reference_url)
        reference_db = Database(reference_url, source="orders")
        reference = World(reference_db)
        place(reference, True)
        capture = Capture(database.engine)
        place(world, True)  # the supplier's cycle made: every size then runs the same statements
        stored = 0
        for size in sorted(args.sizes):
            took = fill(url, world, stored, size) if size > stored else 0.0
            stored = max(stored, size)
            print(f"{size:,} stored orders (filled in {took:.0f} s) …", flush=True)
            last_event = max_outbox_id(url)
            with capture:
                placed = [place(world, False)["id"], place(world, True)["id"]]
                relay_poll(database)
            forget(url, placed, last_event)  # replayed under EXPLAIN: no clash with what it wrote
            plans = explain(url, capture.statements)
            measured = cost(world, url, reference, reference_url, args.placements)
            publish_all(url)  # what the relay does with them
            with capture:
                relay_poll(database)
            relay_statements = capture.statements
            backlog(url, world, args.backlog)
            under_backlog = explain(url, relay_statements)
            publish_all(url)
            results.append((size, plans, measured, os.getloadavg()[0], under_backlog))
            print(
                f"  CPU per order: {measured['python']:.2f} ms Python + "
                f"{measured['postgres']:.2f} ms PostgreSQL; "
                f"{measured['ratio']:.2f}x an empty database's in the same slices"
            )
    finally:
        for opened in (database, reference_db):
            if opened is not None:
                opened.dispose()
        throughput.drop_pg_database(url)
        throughput.drop_pg_database(reference_url)

    sizes = [r[0] for r in results]
    index = "without" if args.without_unpublished_index else "with"
    label = f" — {args.label}" if args.label else ""
    lines = [
        f"## Cost per order with stored orders, {index} the outbox's index of pending rows{label}: "
        f"{started_at:%Y-%m-%d %H:%M} UTC, commit {code}",
        "",
        f"bench/order_growth.py: one village and delivery date holding N orders (and N published "
        f"outbox rows); {args.placements} placements through the service layer at each size "
        f"and as many on an empty database, alternating in {SLICES} slices each (medians).",
        "",
        "| stored orders | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
        *(
            f"| {title} | " + " | ".join(f"{r[2][key]:.2f}" for r in results) + " |"
            for title, key in (
                ("CPU ms per order, orders service layer (Python)", "python"),
                ("CPU ms per order, PostgreSQL backend", "postgres"),
                ("the same two on the empty database, same minutes: Python", "ref_python"),
                ("the same two on the empty database, same minutes: PostgreSQL", "ref_postgres"),
                ("**CPU per order, stored / empty (median of the slices' ratios)**", "ratio"),
            )
        ),
        "| load average during the size | " + " | ".join(f"{r[3]:.2f}" for r in results) + " |",
        "",
        "Each statement of two placements (local, shared) and of the relay's poll, EXPLAIN "
        "ANALYZE: ms / shared buffers, at each size:",
        "",
        "| # | statement | plan (top nodes) | " + " | ".join(f"{s:,}" for s in sizes) + " | |",
        "|---:|---|---|" + "---:|" * len(sizes) + "---|",
    ]
    for n, first in enumerate(results[0][1][: min(len(r[1]) for r in results)]):
        cells = []
        buffers = []
        for r in results:
            plan = r[1][n] if n < len(r[1]) else None
            if plan is None:
                cells.append("-")
                continue
            cells.append(f"{plan['ms']:.3f} / {plan['buffers']}")
            buffers.append(plan["buffers"])
        grows = "**grows**" if len(buffers) > 1 and buffers[-1] > 2 * buffers[0] + 10 else ""
        lines.append(
            f"| {n + 1} | `{first['statement']}` | {results[-1][1][n]['plan']} | "
            + " | ".join(cells)
            + f" | {grows} |"
        )
    lines += [
        "",
        f"The relay's poll with {args.backlog:,} pending rows (a backlog), ms / shared buffers:",
        "",
        "| statement | plan (top nodes) | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes),
    ]
    for n, first in enumerate(results[0][4]):
        cells = [f"{r[4][n]['ms']:.3f} / {r[4][n]['buffers']}" for r in results]
        lines.append(
            f"| `{first['statement']}` | {results[-1][4][n]['plan']} | " + " | ".join(cells) + " |"
        )
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not args.no_write:
        previous = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else ""
        RESULTS_FILE.write_text(previous + "\n" + text)
        print(f"appended to {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
