"""Time of `maillage backup` and `maillage restore` for a given amount of data (issue #28).

    .venv/bin/python bench/backup.py                                   # 100,000 orders
    .venv/bin/python bench/backup.py --villages 1000 --members 300000 --orders 2000000 \\
        --parcels 1000000                                              # the national data (~25 min)

Starts the network on fresh PostgreSQL databases in a private vhost (bench/load.py), writes the data
as bench/national_data.py does (COPY into each service's tables), then, with the network running as
in production, times a backup (pg_dump of each database, the broker's definitions, the secrets,
the checksums); stops the network and times a restore over the databases (`--force`: each restored
into a fresh database, the four swapped in at once); checks that the restored orders database holds
as many orders as before. Prints and writes bench/results/backup-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402  (bench/load.py: the network)
import national_data  # noqa: E402  (the data, written with COPY)
import throughput  # noqa: E402


def count_orders(url: str) -> int:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orders")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--villages", type=int, default=100)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore jobs per database")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-backup-"))
    lines = []
    with throughput.Vhost() as vhost:
        network = load.Network("postgresql", work, vhost)
        try:
            print(f"starting the network (PostgreSQL) in {work} …", flush=True)
            network.start()
            from backbone import config
            from maillage import backup

            urls = {s: config.database_url(s) for s in config.SERVICES}
            print(
                f"writing {args.villages:,} villages, {args.members:,} members, "
                f"{args.orders:,} orders, {args.parcels:,} parcels …",
                flush=True,
            )
            written = national_data.generate(args, urls)
            orders_before = count_orders(urls["orders"])

            target = work / "backup"
            steps = {"backup": [], "restore": []}

            def report(step):
                def say(line):
                    print("  " + line, flush=True)
                    steps[step].append(line)

                return say

            t0 = time.monotonic()
            manifest = backup.backup(target, report=report("backup"))
            backup_seconds = time.monotonic() - t0
            sizes = {name: entry["bytes"] for name, entry in manifest["files"].items()}

            network.runner.stop()  # a restore is made with the services stopped
            t0 = time.monotonic()
            backup.restore(
                target,
                force=True,
                jobs=args.jobs,
                report=report("restore"),
            )
            restore_seconds = time.monotonic() - t0
            orders_after = count_orders(urls["orders"])
        finally:
            network.stop()
    lines += [
        f"# Backup and restore — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.villages:,} villages, {args.members:,} members, {args.orders:,} orders, "
        f"{args.parcels:,} parcels in PostgreSQL (bench/national_data.py's data, written with "
        "COPY), plus the demo data. Written in:",
        "",
        *[f"- {what}: {seconds:.1f} s" for what, seconds in written.items()],
        "",
        "| step | seconds | |",
        "| --- | ---: | --- |",
        f"| backup (network running) | {backup_seconds:.1f} | "
        f"{sum(sizes.values()) / 1e6:.1f} MB in {len(sizes)} files |",
        f"| restore --force (network stopped, pg_restore --jobs {args.jobs}) | "
        f"{restore_seconds:.1f} | orders before {orders_before:,}, after {orders_after:,} |",
        "",
        "What each step said (its own times per database):",
        "",
        *[f"- {step}: {line}" for step, said in steps.items() for line in said],
        "",
        "Files:",
        "",
        *[f"- `{name}`: {size / 1e6:.2f} MB" for name, size in sorted(sizes.items())],
        "",
        f"Machine load when it ended: {' '.join(f'{x:.1f}' for x in _load())}.",
    ]
    if orders_after != orders_before:
        lines.append(f"\n**The restored orders differ: {orders_after} != {orders_before}.**")
    return load.finish("\n".join(lines) + "\n", "backup", started_at, args, work)


def _load():
    import os

    return os.getloadavg()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the network, drop the databases
    sys.exit(main())
