"""National scale: the coordinator's dashboard and exports timed on a network holding 1,000
villages, 300,000 members and 2,000,000 orders, in PostgreSQL (issue #8).

    .venv/bin/python bench/national_data.py                                  # full size (minutes)
    .venv/bin/python bench/national_data.py --villages 50 --members 5000 --orders 20000 --repeat 5

Starts the network on fresh PostgreSQL databases (one per service) in a private vhost, loads the
demo data (accounts), then writes the national-scale data straight into each service's tables with
COPY (as the services would hold it after the events went round: the villages and members in
`members`, the villages in every read model, the members in the read models of `orders` and
`events`, the orders with their lines in `orders`), ANALYZEs, and times, `--repeat` times each
(p50/p95/max, the answers and their size):

- the coordinator's console, signed in through its sign-in form (session cookie): the coordination
  page (HTML) of the current month (what a coordinator lands on) and of the last 12 months, the
  CSV exports of that page (the villages' table, the sales by partner), the impact report's form
  and the PDF impact report of the last 12 months. An answer counts as a success only if it is a
  200 of the right content type with the right body (a PDF starts with %PDF, a CSV with the
  villages' header; a page or CSV whose figures are partly "unavailable" — a service's
  `village_figures` RPC failed or timed out — is a failure, named in the table);
- the coordinator's API dashboard and export routes (coordinator GET routes without path values
  under /api/network, /api/suggestions/overview, /api/time-bank, /api/skills-map, or whose path
  says dashboard, figures or export);
- each service's `village_figures` RPC over the last 12 months, all villages (what the console
  pages wait for, one service after the other).

The orders are placed, spread evenly, over the last 12 months (the period timed: the 365 days up to
today included, on the Europe/Paris wall clock), written in the order they were placed, and closed
1 hour to 3 days after they were placed (one whose closing would come after now is left ready); the
script checks that the CSV export's total of orders and of sales equals what SQL counts in the
orders database for that period. Prints and writes bench/results/national-<date>.md.
Target: dashboard p95 < 500 ms.

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
import re
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the network, percentiles)
import throughput  # noqa: E402

CHUNK = 50_000
FIRST = [
    "Marie",
    "Jean",
    "Anne",
    "Pierre",
    "Jeanne",
    "Louis",
    "Suzanne",
    "Marcel",
    "Odette",
    "René",
    "Lucie",
    "Bernard",
    "Élodie",
    "Karim",
    "Inès",
    "Paul",
]
LAST = [
    "Martin",
    "Bernard",
    "Couderc",
    "Vergne",
    "Mazière",
    "Faure",
    "Roux",
    "Chassagne",
    "Bourdarias",
    "Lafarge",
    "Peyrot",
    "Delpech",
    "Meunier",
    "Tixier",
]
KINDS = ["fixed", "itinerant", "locker"]
STATUSES = (
    ["collected"] * 70
    + ["delivered"] * 10
    + ["cancelled"] * 5
    + ["ready"] * 5
    + ["confirmed"] * 5
    + ["placed"] * 5
)
CLOSED = ("collected", "delivered", "cancelled")
SENDER_KINDS = ["la_poste", "carrier", "la_poste", "carrier", "neighbour", "other"]
CARRIERS = ["Chronopost", "DPD", "GLS", "Colis Privé", "UPS", "Mondial Relay"]


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
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
    if isinstance(python_type, Date):
        return "2026-01-01"
    if isinstance(python_type, JSON):
        return "[]"
    length = getattr(python_type, "length", None) or 20
    return "x"[:length]


def copy_rows(conn, table, rows, known: list[str]) -> int:
    """COPY `rows` (tuples in the order of `known`) into `table`, filling its
    other NOT NULL columns."""
    extra = [
        c
        for c in table.columns
        if c.name not in known
        and not c.nullable
        and c.server_default is None
        and not (c.primary_key and c.autoincrement is True and c.type.python_type is int)
    ]
    columns = [c for c in known if c in table.columns] + [c.name for c in extra]
    keep = [i for i, c in enumerate(known) if c in table.columns]
    fillers = [plain_value(c) for c in extra]
    total = 0
    with conn.cursor() as cursor:
        buffer, writer, pending = io.StringIO(), None, 0

        def flush():
            buffer.seek(0)
            cursor.copy_expert(
                f'COPY "{table.name}" ({", ".join(columns)}) '
                "FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                buffer,
            )

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


def last_12_months() -> tuple[dt.date, dt.date]:
    """The period timed: the 365 days up to today included, Europe/Paris (the
    console's wall clock)."""
    from backbone.clock import PARIS

    today = dt.datetime.now(PARIS).date()
    return today - dt.timedelta(days=364), today


def generate(args, urls: dict) -> dict:
    import psycopg2

    from backbone.figures import period_bounds
    from services.events.models import Base as EventsBase
    from services.members.models import Base as MembersBase
    from services.orders.models import Base as OrdersBase
    from services.partners.models import Base as PartnersBase

    rnd = random.Random(8)
    now = dt.datetime.now(dt.UTC)
    # the orders: placed evenly over the period timed (not before its first local midnight), and
    # what happened to them afterwards (confirmed, closed) never later than now
    period_start, _end = period_bounds(*last_12_months())
    span_minutes = int((now - period_start).total_seconds() // 60) - 2
    timings = {}
    villages = []
    for n in range(args.villages):
        villages.append(
            {
                "id": str(uuid.uuid4()),
                "slug": f"national-{n:04d}",
                "name": f"Village national {n}",
                "commune": f"Commune {n}",
                "insee_code": f"{10000 + n:05d}"[-5:],
                "postcode": "19290",
                "kind": KINDS[n % 3],
                "population": rnd.randint(400, 1000),
                "status": "open",
                "latitude": 45 + rnd.random() * 2,
                "longitude": 1 + rnd.random() * 3,
                "opened_at": (now - dt.timedelta(days=800)).isoformat(),
                "created_at": (now - dt.timedelta(days=800)).isoformat(),
                "recorded_at": (now - dt.timedelta(days=800)).isoformat(),
                "services": "[]",
            }
        )
    village_columns = list(villages[0])

    def village_rows():
        return (tuple(v[c] for c in village_columns) for v in villages)

    member_columns = [
        "id",
        "village_id",
        "first_name",
        "last_name",
        "search_name",
        "phone",
        "preferred_channel",
        "joined_on",
        "fee_cents",
        "created_at",
        "updated_at",
    ]
    members = []
    for n in range(args.members):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        members.append(
            (
                str(uuid.uuid4()),
                villages[n % len(villages)]["id"],
                first,
                f"{last}{n}",
                f"{first} {last}{n}".lower(),
                f"+3363{n:07d}"[:12],
                "phone",
                (now - dt.timedelta(days=rnd.randint(1, 700))).date().isoformat(),
                0,
                now.isoformat(),
                now.isoformat(),
            )
        )

    def known_member_rows():
        return ((m[0], m[1], f"{m[2]} {m[3]}", "", m[9]) for m in members)

    started = time.monotonic()
    with psycopg2.connect(urls["members"]) as conn:
        copy_rows(conn, MembersBase.metadata.tables["villages"], village_rows(), village_columns)
        copy_rows(conn, MembersBase.metadata.tables["members"], iter(members), member_columns)
    for service, base in (
        ("orders", OrdersBase),
        ("events", EventsBase),
        ("partners", PartnersBase),
    ):
        with psycopg2.connect(urls[service]) as conn:
            copy_rows(conn, base.metadata.tables["known_villages"], village_rows(), village_columns)
            if "known_members" in base.metadata.tables:
                copy_rows(
                    conn,
                    base.metadata.tables["known_members"],
                    known_member_rows(),
                    ["id", "village_id", "display_name", "tags", "registered_at"],
                )
    timings["villages and members"] = time.monotonic() - started

    order_columns = [
        "id",
        "village_id",
        "member_id",
        "idempotency_key",
        "status",
        "fulfilment",
        "delivery_date",
        "total_cents",
        "placed_at",
        "confirmed_at",
        "closed_at",
    ]
    line_columns = [
        "id",
        "order_id",
        "position",
        "item_id",
        "offer_id",
        "partner_id",
        "partner_name",
        "name",
        "unit",
        "quantity",
        "unit_price_cents",
        "vat_rate",
        "status",
    ]
    partners = [(str(uuid.uuid4()), f"Producteur {n}") for n in range(50)]
    products = [
        (str(uuid.uuid4()), str(uuid.uuid4()), name, unit, price)
        for name, unit, price in [
            ("Pain de campagne", "pièce", 320),
            ("Œufs fermiers", "douzaine", 450),
            ("Fromage", "pièce", 690),
            ("Légumes de saison", "panier", 1200),
            ("Lait", "litre", 130),
            ("Médicaments", "sachet", 0),
        ]
    ]
    lines_file = tempfile.TemporaryFile("w+", newline="")  # 2,000,000 lines do not stay in memory
    lines = csv.writer(lines_file)

    def order_rows():
        # in the order they were placed, as a running network writes them (one table's pages hold
        # the orders of a few hours, not of a random year)
        placements = sorted(rnd.randint(1, span_minutes) for _ in range(args.orders))
        for n, minute in enumerate(placements):
            member = members[rnd.randrange(len(members))]
            order_id = str(uuid.uuid4())
            placed = period_start + dt.timedelta(minutes=minute)
            confirmed = min(placed + dt.timedelta(minutes=rnd.randint(5, 180)), now)
            closed_at = placed + dt.timedelta(minutes=rnd.randint(60, 3 * 24 * 60))
            status = rnd.choice(STATUSES)
            if status in CLOSED and closed_at > now:  # to be collected later: not closed yet
                status = "ready"
            quantity = rnd.randint(1, 4)
            item = rnd.choice(products)
            partner = partners[n % len(partners)]
            lines.writerow(
                (
                    str(uuid.uuid4()),
                    order_id,
                    1,
                    item[0],
                    item[1],
                    partner[0],
                    partner[1],
                    item[2],
                    item[3],
                    quantity,
                    item[4],
                    55,
                    "refused" if status == "refused" else "confirmed",
                )
            )
            yield (
                order_id,
                member[1],
                member[0],
                f"national-{n}",
                status,
                "counter",
                (placed + dt.timedelta(days=2)).date().isoformat(),
                quantity * item[4],
                placed.isoformat(),
                None if status == "placed" else confirmed.isoformat(),
                closed_at.isoformat() if status in CLOSED else None,
            )

    started = time.monotonic()
    with psycopg2.connect(urls["orders"]) as conn:
        copy_rows(conn, OrdersBase.metadata.tables["orders"], order_rows(), order_columns)
        lines_file.seek(0)
        copy_rows(
            conn, OrdersBase.metadata.tables["order_lines"], csv.reader(lines_file), line_columns
        )
    lines_file.close()
    timings["orders and their lines"] = time.monotonic() - started

    parcel_columns = [
        "id",
        "village_id",
        "member_id",
        "sender_kind",
        "sender_name",
        "place_kind",
        "place",
        "pickup_code",
        "status",
        "received_at",
        "closed_at",
    ]

    def parcel_rows():
        # left at the counters in the order they came, by La Poste, carriers and neighbours; handed
        # over within days (one in twenty sent back), those whose day has not come yet still waiting
        receptions = sorted(rnd.randint(1, span_minutes) for _ in range(args.parcels))
        for n, minute in enumerate(receptions):
            member = members[rnd.randrange(len(members))]
            received = period_start + dt.timedelta(minutes=minute)
            closed = received + dt.timedelta(minutes=rnd.randint(30, 6 * 24 * 60))
            kind = SENDER_KINDS[n % len(SENDER_KINDS)]
            status = "waiting" if closed > now else "returned" if n % 20 == 0 else "handed_over"
            yield (
                str(uuid.uuid4()),
                member[1],
                member[0],
                kind,
                rnd.choice(CARRIERS) if kind == "carrier" else None,
                "shelf",
                f"A{n % 40}",
                f"{n % 1_000_000:06d}",
                status,
                received.isoformat(),
                None if status == "waiting" else closed.isoformat(),
            )

    started = time.monotonic()
    with psycopg2.connect(urls["orders"]) as conn:
        copy_rows(conn, OrdersBase.metadata.tables["parcels"], parcel_rows(), parcel_columns)
    timings["parcels"] = time.monotonic() - started
    started = time.monotonic()
    for url in urls.values():
        conn = psycopg2.connect(url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("ANALYZE")
        conn.close()
    timings["ANALYZE"] = time.monotonic() - started
    # the days that are over, rolled up as the orders service's timer does
    # (services/orders/figures.py)
    from backbone.db import Database
    from services.orders import figures as order_figures

    started = time.monotonic()
    database = Database(urls["orders"], source="orders")
    with database.unit_of_work() as uow:
        days = order_figures.roll_up(uow)
    database.dispose()
    timings[f"roll-up of the orders' figures ({len(days)} days, then their whole months)"] = (
        time.monotonic() - started
    )
    started = time.monotonic()
    conn = psycopg2.connect(urls["orders"])
    conn.autocommit = True
    with conn.cursor() as cursor:  # what autovacuum does to tables this size soon after
        cursor.execute("ANALYZE")
    conn.close()
    timings["ANALYZE of the roll-up"] = time.monotonic() - started
    return timings


def expected_figures(orders_url: str, period: tuple[dt.date, dt.date]) -> dict:
    """What the orders service must count for the period, straight from SQL (the rules of
    services/orders/figures.py): orders placed in it, sales of the orders collected or delivered in
    it; and how many orders fall outside it."""
    import psycopg2

    from backbone.figures import period_bounds

    start, end = period_bounds(*period)
    with psycopg2.connect(orders_url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE placed_at >= %s "
            "AND placed_at < %s), count(*) FROM orders",
            (start, end),
        )
        in_period, every = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(l.quantity * l.unit_price_cents), 0) FROM order_lines l "
            "JOIN orders o ON o.id = l.order_id WHERE o.status IN ('collected', 'delivered') "
            "AND l.status <> 'refused' AND o.closed_at >= %s AND o.closed_at < %s",
            (start, end),
        )
        sales = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM orders WHERE closed_at > now() OR confirmed_at > now() "
            "OR placed_at > now()"
        )
        future = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE received_at >= %s AND received_at < %s), "
            "count(*) FILTER (WHERE status = 'handed_over' AND closed_at >= %s AND closed_at < %s) "
            "FROM parcels",
            (start, end, start, end),
        )
        received, handed_over = cursor.fetchone()
    conn.close()
    return {
        "orders": in_period,
        "orders_outside": every - in_period,
        "sales_cents": int(sales),
        "in_the_future": future,
        "parcels_received": received,
        "parcels_handed_over": handed_over,
    }


def csv_totals(body: bytes) -> dict[str, str]:
    """The "Total" row of the villages' CSV export, by column header."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    total = next((r for r in rows[1:] if r and r[0] == "Total"), None)
    return dict(zip(rows[0], total)) if rows and total else {}


def check_figures(expected: dict, villages_csv: bytes | None) -> list[str]:
    """Lines for the report: do the exported totals match SQL?"""
    if not villages_csv:
        return [
            "- no successful villages' CSV export to check the figures against: **not checked**"
        ]
    totals = csv_totals(villages_csv)
    got_orders = totals.get("Commandes")
    got_sales = totals.get("Ventes (€)")
    want_sales = f"{expected['sales_cents'] / 100:.2f}".replace(".", ",")
    lines = []
    for what, got, want in (
        ("orders placed in the period", got_orders, str(expected["orders"])),
        ("sales of the period (€)", got_sales, want_sales),
        (
            "parcels received in the period",
            totals.get("Colis reçus"),
            str(expected["parcels_received"]),
        ),
        (
            "parcels handed over in the period",
            totals.get("Colis remis"),
            str(expected["parcels_handed_over"]),
        ),
    ):
        verdict = "matches" if got == want else "**DOES NOT MATCH**"
        lines.append(f"- {what}: SQL {want}, the CSV export's total {got}: {verdict}")
    lines.append(
        f"- orders outside the period: {expected['orders_outside']:,}; orders placed, confirmed "
        f"or closed in the future: {expected['in_the_future']:,}"
    )
    return lines


def console_session(base_url: str) -> requests.Session:
    """The coordinator signed in to the console through its sign-in form (the session cookie)."""
    session = requests.Session()
    form = session.get(base_url + "/console/connexion", timeout=30)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
    response = session.post(
        base_url + "/console/connexion",
        timeout=30,
        allow_redirects=False,
        data={"email": load.COORDINATOR, "password": load.PASSWORD, "csrf": token},
    )
    if response.status_code != 303 or COOKIE not in response.cookies:
        raise RuntimeError(
            f"console sign-in answered {response.status_code} "
            f"without a session: {response.text[:300]}"
        )
    session.cookies.set(COOKIE, response.cookies[COOKIE])
    return session


COOKIE = "maillage_console"
UNAVAILABLE_HTML = "Chiffres indisponibles pour le moment : "


def check_html(response) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("text/html"):
        return f"not HTML ({response.headers.get('Content-Type')})"
    text = response.text
    if UNAVAILABLE_HTML in text:
        return "unavailable: " + text.split(UNAVAILABLE_HTML, 1)[1].split("<", 1)[0].rstrip(".")
    if "<form" not in text or "connexion" in response.url:
        return "not the page (sign-in form?)"
    return None


def check_coordination(response) -> str | None:
    problem = check_html(response)
    if problem is None and 'id="export-villages"' not in response.text:
        return "no villages' table"
    return problem


def check_csv(response) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("text/csv"):
        return f"not CSV ({response.headers.get('Content-Type')})"
    if not response.content.startswith("\ufeff".encode()):
        return "no BOM"
    return None


def villages_csv_check(columns: set[str]):
    """The villages' CSV must have a "Total" row and a column for every figure the services
    answered over RPC (a service unavailable to the gateway leaves its columns out, silently)."""

    def check(response) -> str | None:
        problem = check_csv(response)
        if problem is None:
            header = response.content.decode("utf-8-sig").split("\r\n", 1)[0].split(";")
            missing = sorted(columns - set(header))
            if header[:1] != ["Village"] or csv_totals(response.content).get("Village") != "Total":
                return f"unexpected table: {';'.join(header[:4])}"
            if missing:
                return (
                    "missing columns: " + ", ".join(missing[:4]) + ("…" if len(missing) > 4 else "")
                )
        return problem

    return check


def pdf_text(body: bytes) -> str:
    """The text of a PDF written by fpdf2 (core fonts, or TrueType fonts in Identity-H with their
    ToUnicode maps), enough to find a sentence in it."""
    text = body.decode("latin-1")
    objects = {
        int(m.group(1)): m.group(2) for m in re.finditer(r"(\d+) 0 obj(.*?)endobj", text, re.S)
    }

    def stream(number: int) -> str:
        raw = objects.get(number, "")
        match = re.search(r"stream\r?\n(.*)\r?\nendstream", raw, re.S)
        if not match:
            return ""
        data = match.group(1).encode("latin-1")
        return (zlib.decompress(data) if "/FlateDecode" in raw else data).decode("latin-1")

    cmaps = {}  # font resource name -> {code: text}
    for resources in re.findall(r"/Font\s*<<(.*?)>>", text, re.S):
        for name, number in re.findall(r"/(\w+)\s+(\d+) 0 R", resources):
            unicode_map = re.search(r"/ToUnicode (\d+) 0 R", objects.get(int(number), ""))
            mapping = {}
            if unicode_map:
                cmap = stream(int(unicode_map.group(1)))
                for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                    for code, value in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                        mapping[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be", "replace")
                for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                    for low, high, value in re.findall(
                        r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
                    ):
                        first = int(value, 16)
                        for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                            mapping[code] = chr(first + offset)
            cmaps[name] = mapping
    out = []
    for number, raw in objects.items():
        if "stream" not in raw or "/Length1" in raw or "/FontFile" in raw:
            continue
        try:
            content = stream(number)
        except zlib.error:
            continue
        if "Tf" not in content:
            continue
        font = None
        for token in re.finditer(
            r"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\(((?:\\.|[^\\)])*)\)\s*Tj", content
        ):
            if token.group(1):
                font = token.group(1)
            elif token.group(2) is not None:
                codes = token.group(2)
                mapping = cmaps.get(font, {})
                out.append(
                    "".join(
                        mapping.get(int(codes[i : i + 4], 16), "?") for i in range(0, len(codes), 4)
                    )
                )
            else:
                raw = _unescape(token.group(3))
                mapping = cmaps.get(font, {})
                if mapping:
                    out.append(
                        "".join(
                            mapping.get(int.from_bytes(raw[i : i + 2], "big"), "?")
                            for i in range(0, len(raw) - 1, 2)
                        )
                    )
                else:
                    out.append(raw.decode("latin-1"))
        out.append("\n")
    return " ".join(out)


_ESCAPES = {
    "n": b"\n",
    "r": b"\r",
    "t": b"\t",
    "b": b"\b",
    "f": b"\f",
    "(": b"(",
    ")": b")",
    "\\": b"\\",
}


def _unescape(literal: str) -> bytes:
    """A PDF literal string's bytes (its backslash escapes undone)."""
    out, i = bytearray(), 0
    while i < len(literal):
        char = literal[i]
        if char == "\\" and i + 1 < len(literal):
            nxt = literal[i + 1]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            octal = re.match(r"[0-7]{1,3}", literal[i + 1 :])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            i += 1
            continue
        out += char.encode("latin-1")
        i += 1
    return bytes(out)


UNAVAILABLE_PDF = "Chiffres non disponibles pour ce rapport : "


def check_pdf(response) -> str | None:
    if not response.headers.get("Content-Type", "").startswith("application/pdf"):
        return f"not PDF ({response.headers.get('Content-Type')})"
    if not response.content.startswith(b"%PDF"):
        return "does not start with %PDF"
    if b"%%EOF" not in response.content[-64:]:
        return "truncated (no %%EOF)"
    text = pdf_text(response.content)
    if UNAVAILABLE_PDF in text:
        return "unavailable: " + text.split(UNAVAILABLE_PDF, 1)[1].split(".", 1)[0]
    if "Rapport d'impact" not in text:
        return "no text found in it"
    return None


def console_routes(
    period: tuple[dt.date, dt.date], columns: set[str]
) -> list[tuple[str, str, dict | None, object]]:
    """(label, path, query, check) of the coordinator's console pages timed."""
    year = {"du": period[0].isoformat(), "au": period[1].isoformat()}
    shown = f"?du={year['du']}&au={year['au']}"
    return [
        ("/console/coordination (this month)", "/console/coordination", None, check_coordination),
        ("/console/coordination" + shown, "/console/coordination", year, check_coordination),
        (
            "/console/coordination/export/villages.csv" + shown,
            "/console/coordination/export/villages.csv",
            year,
            villages_csv_check(columns),
        ),
        (
            "/console/coordination/export/sales_by_partner.csv" + shown,
            "/console/coordination/export/sales_by_partner.csv",
            year,
            check_csv,
        ),
        (
            "/console/coordination/rapport" + shown,
            "/console/coordination/rapport",
            year,
            check_html,
        ),
        (
            "/console/coordination/rapport.pdf" + shown,
            "/console/coordination/rapport.pdf",
            year,
            check_pdf,
        ),
    ]


def wait_idle(network, limit: float = 300.0) -> float:
    """Wait until the network has stopped working — its processes use less than 30 % of a core over
    half a second and none of its databases' connections is in a query or a transaction — at most
    `limit` seconds; the seconds waited. After an answer whose figures timed out in the gateway, the
    service is still computing them: the next call waits for it rather than piling another
    computation on top (every call is timed alone, one after the other)."""
    import psycopg2

    started = time.monotonic()
    pids = [pid for _name, pid, _rss in network.memory()]
    names = [url.rsplit("/", 1)[1] for url in network.databases]
    conn = psycopg2.connect(network.databases[0]) if names else None
    try:
        if conn is not None:
            conn.autocommit = True
        while time.monotonic() - started < limit:
            before = sum(load.cpu_seconds(pid) for pid in pids)
            time.sleep(0.5)
            busy = sum(load.cpu_seconds(pid) for pid in pids) - before >= 0.15
            if not busy and conn is not None:
                with conn.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> "
                        "pg_backend_pid() AND state IN ('active', 'idle in transaction') AND "
                        "now() - query_start > interval '1 second'",
                        (names,),
                    )
                    busy = cursor.fetchone()[0] > 0
            if not busy:
                break
    finally:
        if conn is not None:
            conn.close()
    return time.monotonic() - started


GIVE_UP = 3  # failures in a row after which a console page is not asked again


def time_console(
    base_url: str, session: requests.Session, routes, repeat: int, network=None
) -> tuple[list[tuple], dict]:
    """Each console page `repeat` times, redirects not followed (a redirect to the sign-in page is a
    failure). Answers: "200" for a real success, else the status and what was wrong."""
    results, last_good = [], {}
    for label, path, params, check in routes:
        timings, statuses, size, failures = [], {}, 0, 0
        for done in range(repeat):
            if failures >= GIVE_UP:
                statuses[f"not asked again ({GIVE_UP} failures in a row)"] = repeat - done
                break
            started = time.perf_counter()
            try:
                response = session.get(
                    base_url + path, params=params, timeout=300, allow_redirects=False
                )
            except requests.RequestException as exc:
                timings.append(time.perf_counter() - started)
                statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                failures += 1
                continue
            timings.append(time.perf_counter() - started)
            problem = None if response.status_code != 200 else check(response)
            if response.status_code == 200 and problem is None:
                answer = "200"
                last_good[path] = response.content
            elif response.status_code == 200:
                answer = f"200 but {problem}"
            else:
                answer = f"{response.status_code} {response.headers.get('Location', '')}".strip()
            statuses[answer] = statuses.get(answer, 0) + 1
            size = len(response.content)
            failures = 0 if answer == "200" else failures + 1
            if answer != "200" and network is not None:
                print(
                    f"  {label}: {answer} in {timings[-1]:.1f} s; the network idle again after "
                    f"{wait_idle(network):.1f} s",
                    flush=True,
                )
        results.append((label, timings, statuses, size))
    return results, last_good


def time_village_figures(
    period: tuple[dt.date, dt.date], repeat: int
) -> tuple[list[tuple], set[str]]:
    """Each service's `village_figures` RPC over the period, all villages, straight over RPC; and
    the villages' CSV columns their figures make."""
    from backbone import config
    from gateway.console import figures as F
    from maillage.network import rpc_client

    results, columns = [], set()
    with rpc_client(timeout=600) as rpc:
        for service in config.SERVICES:
            timings, statuses, size = [], {}, 0
            for _ in range(repeat):
                if sum(timings) > 120:  # a very slow one: a few calls tell enough
                    break
                started = time.perf_counter()
                try:
                    answer = getattr(rpc, service).village_figures(
                        period[0].isoformat(), period[1].isoformat(), None
                    )
                    status = "ok"
                    size = len(json.dumps(answer))
                    columns.update(
                        F.csv_label(name)
                        for values in answer["figures"].values()
                        for name in values
                    )
                except Exception as exc:  # noqa: BLE001  named in the report
                    status = type(exc).__name__
                timings.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
            results.append(
                (
                    f"{service}.village_figures (last 12 months, all villages)",
                    timings,
                    statuses,
                    size,
                )
            )
    return results, columns


def table_lines(results, prefix="") -> list[str]:
    lines = ["| route | p50 | p95 | max | answers | bytes |", "|---|---:|---:|---:|---|---:|"]
    for path, values, statuses, size in results:
        lines.append(
            f"| {prefix}{path} | {load.ms(load.percentile(values, 0.5))} | "
            f"{load.ms(load.percentile(values, 0.95))} | {load.ms(max(values))} | "
            f"{json.dumps(statuses, ensure_ascii=False)} | {size:,} |"
        )
    return lines


def dashboard_routes(base_url: str) -> list[str]:
    paths = requests.get(base_url + "/api/openapi.json", timeout=10).json()["paths"]
    found = []
    for path, operations in paths.items():
        get = operations.get("get")
        if not get or "{" in path or "coordinator" not in get.get("x-roles", []):
            continue
        if path.startswith(load.DASHBOARD_PREFIXES) or any(
            w in path for w in ("dashboard", "figures", "export")
        ):
            found.append(path)
    return sorted(found)


def time_routes(base_url: str, headers: dict, paths: list[str], repeat: int) -> list[tuple]:
    today = dt.date.today()
    dates = {
        "date_from": (today - dt.timedelta(days=365)).isoformat(),
        "date_to": today.isoformat(),
    }
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
        results.append(
            (path + ("?date_from=…&date_to=…" if params else ""), timings, statuses, size)
        )
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    parser.add_argument(
        "--parcels",
        type=int,
        default=1_000_000,
        help="parcels left at the counters over the year (La Poste, carriers, neighbours)",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timings per route")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--only",
        metavar="TEXT",
        help="time only the console pages and API routes whose address "
        "contains TEXT (and each service's village_figures once)",
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0,
        metavar="SECONDS",
        help="after the timings, keep the network and its databases up this long (or until the "
        "file <work>/hold is deleted), to profile by hand (EXPLAIN ANALYZE, py-spy)",
    )
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-national-"))
    with throughput.Vhost() as vhost:
        network = load.Network("postgresql", work, vhost)
        try:
            print(f"starting the network (PostgreSQL) in {work} …", flush=True)
            network.start()
            from backbone import config

            urls = {s: config.database_url(s) for s in config.SERVICES}
            print(
                f"writing {args.villages:,} villages, {args.members:,} members, "
                f"{args.orders:,} orders, {args.parcels:,} parcels …",
                flush=True,
            )
            timings = generate(args, urls)
            period = last_12_months()
            expected = expected_figures(urls["orders"], period)
            print(
                f"orders in the period {period[0]} – {period[1]}: {expected['orders']:,} "
                f"(outside: {expected['orders_outside']:,})",
                flush=True,
            )
            print("timing each service's village_figures …", flush=True)
            rpc_results, columns = time_village_figures(
                period, 1 if args.only else min(args.repeat, 5)
            )
            session = console_session(network.base_url)
            routes = [
                r for r in console_routes(period, columns) if not args.only or args.only in r[0]
            ]
            print(f"timing {len(routes)} console pages × {args.repeat} …", flush=True)
            console_results, last_good = time_console(
                network.base_url, session, routes, args.repeat, network
            )
            print(
                "\n".join(table_lines(rpc_results) + table_lines(console_results, "GET ")),
                flush=True,
            )
            figures_check = check_figures(
                expected, last_good.get("/console/coordination/export/villages.csv")
            )
            login = requests.post(
                network.base_url + "/api/auth/login",
                timeout=10,
                json={"email": load.COORDINATOR, "password": load.PASSWORD},
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            paths = [
                p for p in dashboard_routes(network.base_url) if not args.only or args.only in p
            ]
            print(f"timing {len(paths)} API routes × {args.repeat} …", flush=True)
            results = time_routes(network.base_url, headers, paths, args.repeat)
            if args.hold:
                hold = work / "hold"
                hold.touch()
                print(
                    f"holding {args.hold:.0f} s (delete {hold} "
                    f"to stop): databases {urls}; processes "
                    + ", ".join(f"{name} {pid}" for name, pid, _rss in network.memory()),
                    flush=True,
                )
                until = time.monotonic() + args.hold
                while hold.exists() and time.monotonic() < until:
                    time.sleep(1)
        finally:
            network.stop()
    lines = [
        f"# National scale — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.villages:,} villages, {args.members:,} members, {args.orders:,} orders (one line "
        f"each), {args.parcels:,} parcels in PostgreSQL, plus the demo data. Written with COPY:",
        "",
    ]
    lines += [f"- {what}: {seconds:.1f} s" for what, seconds in timings.items()]
    slow = [
        label
        for label, values, _s, _b in console_results + results
        if load.percentile(values, 0.95) > 0.5
    ]
    failed = [
        label
        for label, _v, statuses, _b in console_results + results
        if set(statuses) - {"200", 200}
    ]
    lines += [
        "",
        f"The period timed: {period[0]} – {period[1]} (the last 12 months, Europe/Paris).",
        "",
        "## Do the pages show the data? (the villages' CSV "
        "export against SQL on the orders database)",
        "",
    ]
    lines += figures_check
    lines += [
        "",
        "## Coordinator console, signed in (session cookie) "
        f"({args.repeat} calls each, one after the other, ms)",
        "",
        'Answers: "200" only for a 200 of the right type and body (HTML page with its figures '
        "all available, CSV with its table, PDF starting with %PDF); anything else is named.",
        "",
    ]
    lines += table_lines(console_results, "GET ")
    lines += [
        "",
        f"## Coordinator API dashboard and export routes ({args.repeat} calls each, ms)",
        "",
    ]
    lines += table_lines(results, "GET ")
    lines += [
        "",
        f"## Each service's village_figures RPC ({min(args.repeat, 5)} calls each, ms)",
        "",
        "What the console's coordination page, CSV and PDF wait for: the four services are asked "
        "at once, the slowest sets the time (the gateway gives each call MAILLAGE_RPC_TIMEOUT, 5 "
        "s by default, then shows the service's figures as unavailable, and refuses the exports).",
        "",
    ]
    lines += table_lines(rpc_results)
    lines += [
        "",
        "Target (issue #8): coordinator dashboard p95 < 500 ms on national-scale data.",
        "",
        "- over the target (p95 > 500 ms): " + (", ".join(slow) if slow else "none"),
        "- with answers other than a real success: " + (", ".join(failed) if failed else "none"),
    ]
    return load.finish("\n".join(lines) + "\n", "national", started_at, args, work)


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the network, drop the databases
    sys.exit(main())
