"""The coordinator's exports at national scale (issue #24: each under 1 s p95): the CSV of sales by
village and partner and the PDF impact report, over the last 12 months, every village.

    .venv/bin/python bench/exports.py                        # 1,000 villages, 2 M orders (minutes)
    .venv/bin/python bench/exports.py --orders 100000 --repeat 5 --no-write

Starts a national network (bench/national_network.py: bench/national_data.py's data, rolled up),
signs the coordinator in to the console and asks each export `--repeat` times, one after the other:
the time to the first byte and to the last, the status and the size. Prints p50/p95/max and
writes bench/results/exports-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import national_data  # noqa: E402
from national_network import add_size_arguments, national_network  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def timed(session, url: str, params: dict) -> tuple[float, float, int, int, bytes]:
    """(seconds to the first byte, to the last, status, bytes, the body's first bytes)."""
    started = time.perf_counter()
    with session.get(url, params=params, stream=True, timeout=120, allow_redirects=False) as r:
        first, size, head = None, 0, b""
        for chunk in r.iter_content(65536):
            first = first or time.perf_counter()
            size += len(chunk)
            head = head or chunk[:16]
        last = time.perf_counter()
    return (first or last) - started, last - started, r.status_code, size, head


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser, orders=2_000_000, members=300_000, parcels=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    first_day, last_day = national_data.last_12_months()
    year = {"du": first_day.isoformat(), "au": last_day.isoformat()}
    exports = [
        ("/console/coordination/export/sales_by_partner.csv", "\ufeff".encode()),
        ("/console/coordination/rapport.pdf", b"%PDF"),
        ("/console/coordination/export/villages.csv", "\ufeff".encode()),
    ]
    rows = []
    with national_network(args.villages, args.members, args.orders, args.parcels) as (
        network,
        timings,
    ):
        session = national_data.console_session(network.base_url)
        for path, magic in exports:
            timed(session, network.base_url + path, year)  # first call: imports, caches
            firsts, lasts, answers, size = [], [], {}, 0
            for _ in range(args.repeat):
                first, last, status, size, head = timed(session, network.base_url + path, year)
                firsts.append(first)
                lasts.append(last)
                answer = "200" if status == 200 and head.startswith(magic) else f"{status}"
                answers[answer] = answers.get(answer, 0) + 1
            rows.append((path, firsts, lasts, answers, size))
            print(f"{path}: p95 {load.percentile(lasts, 0.95) * 1000:.0f} ms", flush=True)

    def ms(values, q):
        return f"{load.percentile(values, q) * 1000:,.0f}"

    lines = [
        f"# Coordinator exports at national scale — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.villages:,} villages, {args.members:,} members, {args.orders:,} orders, "
        f"{args.parcels:,} parcels in PostgreSQL (bench/national_data.py), rolled up:",
        "",
    ]
    lines += [f"- {what}: {seconds:.1f} s" for what, seconds in timings.items()]
    lines += [
        "",
        f"Period {first_day} – {last_day}, every village; {args.repeat} calls each after one "
        "untimed, one after the other, signed in as the coordinator (ms). First byte: when the "
        "answer starts (a streamed CSV starts before its last row is written); complete: its last "
        "byte.",
        "",
        "| export | first byte p50 | first byte p95 | complete p50 | complete p95 | max | answers "
        "| bytes |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for path, firsts, lasts, answers, size in rows:
        lines.append(
            f"| GET {path} | {ms(firsts, 0.5)} | {ms(firsts, 0.95)} | {ms(lasts, 0.5)} | "
            f"{ms(lasts, 0.95)} | {max(lasts) * 1000:,.0f} | {answers} | {size:,} |"
        )
    slow = [p for p, _f, lasts, _a, _s in rows if load.percentile(lasts, 0.95) > 1.0]
    lines += ["", "Target: complete in under 1 s p95: " + (", ".join(slow) or "all met")]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"exports-{started_at:%Y-%m-%d-%H%M}.md"
        path.write_text(text)
        print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
