"""How fast the public pages answer (issue 25 point 4: a village's page p95 < 100 ms).

    .venv/bin/python bench/public_page.py                         # SQLite, 4 visitors, 30 s
    .venv/bin/python bench/public_page.py --backend postgresql --visitors 8 --duration 60
    .venv/bin/python bench/public_page.py --cache-seconds 0       # every page built: the worst case

Starts the network as `maillage run` does (bench/load.py's Network: four services with their relays,
the gateway, the demo data), then `--visitors` people, each with their own connection and no
session, open pages one after the other without pause for `--duration` seconds: a village's page
(`/village/<slug>`, a demo village drawn at random: one call to members, then orders and events at
the same time) nine times out of ten, the network's list (`/villages`) otherwise. The gateway keeps
a complete page `--cache-seconds` (MAILLAGE_PUBLIC_CACHE_SECONDS, 30 by default, as deployed); with
0 every request builds its page. It prints, per route, the requests, p50/p95/p99 and the largest
answer in bytes (the page must stay under 50 KB), and writes
bench/results/public-page-<backend>[-uncached]-<date>.md. Asserts nothing: the target is
printed beside the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import throughput  # noqa: E402  (found through sys.path above, as the other benches do)
from load import Network, finish, percentile  # noqa: E402

TARGET = "a village's public page p95 < 100 ms; every page < 50 KB"
VILLAGE_ROUTE, LIST_ROUTE = "GET /village/<slug>", "GET /villages"


def visitor(base: str, slugs: list[str], stop: threading.Event, seen: dict, lock) -> None:
    session = requests.Session()
    draw = random.Random()
    while not stop.is_set():
        if draw.random() < 0.9:
            route, path = VILLAGE_ROUTE, f"/village/{draw.choice(slugs)}"
        else:
            route, path = LIST_ROUTE, "/villages"
        started = time.perf_counter()
        response = session.get(base + path, timeout=30)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            route = f"{route} → {response.status_code}"
        with lock:
            timings, largest = seen.setdefault(route, ([], [0]))
            timings.append(elapsed)
            largest[0] = max(largest[0], len(response.content))


def measure(base: str, visitors: int, duration: float) -> dict:
    slugs = [
        link.split('"')[0]
        for link in requests.get(base + "/villages", timeout=30).text.split('href="/village/')[1:]
    ]
    for slug in slugs:  # each village's first answer (templates compiled, connections opened)
        requests.get(f"{base}/village/{slug}", timeout=30)
    stop, seen, lock = threading.Event(), {}, threading.Lock()
    threads = [
        threading.Thread(target=visitor, args=(base, slugs, stop, seen, lock))
        for _ in range(visitors)
    ]
    print(f"  {visitors} visitors on {len(slugs)} villages for {duration:.0f} s …", flush=True)
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return seen


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(args, started_at, seen: dict) -> str:
    lines = [
        f"# Public pages benchmark — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        (
            f"`bench/public_page.py --backend {args.backend} --visitors {args.visitors} "
            f"--duration {args.duration:g} --cache-seconds {args.cache_seconds:g}` on "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end. "
            f"Target: {TARGET}."
        ),
        "",
        "| route | requests | req/s | p50 ms | p95 ms | p99 ms | largest bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for route, (timings, largest) in sorted(seen.items()):
        lines.append(
            f"| {route} | {len(timings)} | {len(timings) / args.duration:.1f} "
            f"| {ms(percentile(timings, 0.5))} | **{ms(percentile(timings, 0.95))}** "
            f"| {ms(percentile(timings, 0.99))} | {largest[0]:,} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--visitors", type=int, default=4, help="people opening pages at once")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of measure")
    parser.add_argument(
        "--cache-seconds",
        type=float,
        default=float(os.environ.get("MAILLAGE_PUBLIC_CACHE_SECONDS", "30")),
        help="the gateway's MAILLAGE_PUBLIC_CACHE_SECONDS (0: every page built, the worst case)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (logs, SQLite files)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only, write no file under bench/results"
    )
    args = parser.parse_args(argv)
    os.environ["MAILLAGE_PUBLIC_CACHE_SECONDS"] = f"{args.cache_seconds:g}"
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-public-"))
    with throughput.Vhost() as vhost:
        network = Network(args.backend, work, vhost)
        try:
            print(f"starting the network ({args.backend}) in {work} …", flush=True)
            print(f"up in {network.start():.1f} s", flush=True)
            seen = measure(network.base_url, args.visitors, args.duration)
        finally:
            network.stop()
    return finish(
        report(args, started_at, seen),
        f"public-page-{args.backend}" + ("-uncached" if args.cache_seconds <= 0 else ""),
        started_at,
        args,
        work,
    )


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
