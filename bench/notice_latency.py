"""How soon a notice leaves after its event (issue 25: within 5 s p99 at the counter's load).

    .venv/bin/python bench/notice_latency.py                          # SQLite, 20 users, 60 s
    .venv/bin/python bench/notice_latency.py --backend postgresql --users 20 --think 1

Starts the network as `maillage run` does (bench/load.py's Network) with real channels pointed at
servers of its own: an SMTP server (aiosmtpd) for e-mails and a local HTTP server answering as
Brevo's transactional SMS API does. Then the counter's mix of bench/load.py runs (orders placed,
made ready, collected; parcels received and handed over; registrations...) for `--duration`
seconds, and the run waits until every notice due is sent.

For each notice sent, the delay is from its event's outbox row in the orders service (the moment
the order was made ready or the parcel received) to `sent_at` in the members service (the moment
the SMTP server or the SMS API accepted the message): what an inhabitant waits. Printed per
channel and event type, p50/p95/p99 and the largest; SMS held by the quiet hours (20:00–08:00
Paris) are counted apart, as they wait on purpose. Writes bench/results/notice-latency-<backend>-
<date>.md. Asserts nothing: the target is printed beside the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import throughput  # noqa: E402  (found through sys.path above, as the other benches do)
from load import Mix, Network, Recorder, finish, free_port, percentile, run_load  # noqa: E402

TARGET = "a notice leaves within 5 s p99 of its event, at the counter's load"
# the orders service's events that tell someone, and the payload field naming what they concern
TOLD_BY_ORDERS = {"order.ready": "order_id", "parcel.received": "parcel_id"}


class Inbox:
    """The SMTP server's handler: counts what arrived."""

    def __init__(self):
        self.lock, self.received = threading.Lock(), 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        with self.lock:
            self.received += 1
        return "250 OK"


def sms_server() -> tuple[ThreadingHTTPServer, dict]:
    """A local HTTP server answering as Brevo's `POST /v3/transactionalSMS/sms` does."""
    seen = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["count"] += 1
            body = json.dumps({"reference": f"bench-{seen['count']}", "messageId": 1}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def add_recipients(base_url: str, per_village: int) -> int:
    """`per_village` inhabitants in each demo village who gave an e-mail and their consent to be
    contacted (the demo's own are mostly reached by SMS, or called): the load's orders and parcels
    go to them too."""
    from maillage.demo import CONCIERGES

    added = 0
    for slug, (email, _name) in CONCIERGES.items():
        token = requests.post(
            f"{base_url}/api/auth/login",
            json={"email": email, "password": "maillage-demo"},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        village_id = requests.get(f"{base_url}/api/villages", headers=headers, timeout=10).json()[
            0
        ]["id"]
        for n in range(per_village):
            answer = requests.post(
                f"{base_url}/api/villages/{village_id}/members",
                headers=headers,
                timeout=10,
                json={
                    "first_name": "Courriel",
                    "last_name": f"{slug[:8]}-{n}",
                    "phone": f"01 99 {50 + len(slug) % 40:02d} {n // 100:02d} {n % 100:02d}",
                    "email": f"courriel.{slug}.{n}@example.org",
                    "preferred_channel": "email",
                    "consents": ["contact"],
                    "fee_cents": 0,
                },
            )
            added += answer.status_code == 201
    return added


def events_written(since: dt.datetime) -> dict[tuple[str, str], dt.datetime]:
    """(event type, what it concerns) -> its outbox row's time, for the events that tell someone."""
    from sqlalchemy import select

    from backbone import config
    from backbone.db import Database
    from backbone.tables import OutboxEvent

    database = Database(config.database_url("orders"), source="bench")
    try:
        with database.engine.connect() as conn:
            rows = conn.execute(
                select(OutboxEvent.type, OutboxEvent.body, OutboxEvent.created_at).where(
                    OutboxEvent.created_at >= since, OutboxEvent.type.in_(tuple(TOLD_BY_ORDERS))
                )
            )
            written = {}
            for type_, body, created in rows:
                payload = json.loads(body).get("payload", {})
                written[(type_, str(payload.get(TOLD_BY_ORDERS[type_])))] = created
            return written
    finally:
        database.dispose()


def notices_since(since: dt.datetime) -> list[tuple]:
    """(type, ref, channel, status, sent_at, next_attempt_at, attempts) of the notices made."""
    from sqlalchemy import select

    from backbone import config
    from backbone.db import Database
    from services.members.models import Notice

    database = Database(config.database_url("members"), source="bench")
    try:
        with database.engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    select(
                        Notice.source_type,
                        Notice.source_ref,
                        Notice.channel,
                        Notice.status,
                        Notice.sent_at,
                        Notice.next_attempt_at,
                        Notice.attempts,
                    ).where(Notice.created_at >= since)
                )
            ]
    finally:
        database.dispose()


def wait_all_sent(since: dt.datetime, timeout: float) -> list[tuple]:
    """The notices made since `since`, once none is due any more (or after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = notices_since(since)
        now = dt.datetime.now(dt.UTC)
        due = [
            r
            for r in rows
            if r[2] in ("sms", "email") and r[3] == "to_send" and (r[5] is None or r[5] <= now)
        ]
        if not due or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:,.0f}"


def report(args, started_at, rows, written, inbox, sms_seen, recorder, elapsed) -> str:
    from backbone import config

    delays, held, unmatched, calls = defaultdict(list), 0, 0, 0
    for type_, ref, channel, status, sent_at, _next_attempt, _attempts in rows:
        if channel == "call":
            calls += 1
            continue
        if status != "sent":
            held += 1  # an SMS waiting for 08:00, or a message still failing
            continue
        event_at = written.get((type_, ref))
        if event_at is None:
            unmatched += 1  # told by another service's event (registrations, campaigns)
            continue
        delays[(channel, type_)].append((sent_at - event_at).total_seconds())
    every = [d for values in delays.values() for d in values]
    writes = sum(recorder.accepted.values())
    lines = [
        f"# Notice latency, {args.backend}, {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"Target: {TARGET}.",
        "",
        f"- load: {args.users} users, think {args.think:g} s, {elapsed:.0f} s "
        f"({writes} accepted writes, the counter's mix of bench/load.py)",
        f"- MAILLAGE_NOTICE_POLL_SECONDS (the senders' fallback look; a commit wakes them): "
        f"{config.value('MAILLAGE_NOTICE_POLL_SECONDS'):g}",
        f"- notices made: {len(rows)} ({calls} calls for the concierge; {held} SMS or e-mails not "
        f"sent at the end: quiet hours 20:00–08:00 Paris, or failing; {unmatched} told by another "
        "service's event, not timed here)",
        f"- received: {inbox.received} e-mails by the SMTP server, {sms_seen['count']} SMS by the "
        "SMS API",
        "",
        "| channel | event | notices | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (channel, type_), values in sorted(delays.items()):
        lines.append(
            f"| {channel} | {type_} | {len(values)} | {ms(percentile(values, 0.50))} | "
            f"{ms(percentile(values, 0.95))} | {ms(percentile(values, 0.99))} | {ms(max(values))} |"
        )
    if every:
        lines.append(
            f"| **all** | | {len(every)} | {ms(percentile(every, 0.50))} | "
            f"{ms(percentile(every, 0.95))} | **{ms(percentile(every, 0.99))}** | "
            f"{ms(max(every))} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between two actions")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument(
        "--emails-per-village",
        type=int,
        default=10,
        help="inhabitants reached by e-mail added to each demo village before the load",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (logs, SQLite files)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only, write no file under bench/results"
    )
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-notices-"))
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    sms, sms_seen = sms_server()
    os.environ.update(
        {
            "MAILLAGE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "MAILLAGE_MAIL_FROM": "Maillage <bench@maillage.test>",
            "MAILLAGE_SMS_API_KEY": "bench-key",
            "MAILLAGE_SMS_BASE_URL": f"http://127.0.0.1:{sms.server_address[1]}",
        }
    )
    try:
        with throughput.Vhost() as vhost:
            network = Network(args.backend, work, vhost)
            try:
                print(f"starting the network ({args.backend}) in {work} …", flush=True)
                print(f"up in {network.start():.1f} s", flush=True)
                added = add_recipients(network.base_url, args.emails_per_village)
                print(f"{added} inhabitants reached by e-mail added", flush=True)
                mix = Mix(network.base_url)
                since = dt.datetime.now(dt.UTC)
                recorder = Recorder()
                print(f"{args.users} users for {args.duration:.0f} s …", flush=True)
                elapsed = run_load(mix, args.users, args.duration, recorder, think=args.think)
                rows = wait_all_sent(since, timeout=120)
                written = events_written(since)
            finally:
                network.stop()
    finally:
        smtp.stop()
        sms.shutdown()
    text = report(args, started_at, rows, written, inbox, sms_seen, recorder, elapsed)
    return finish(text, f"notice-latency-{args.backend}", started_at, args, work)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
