"""Wrong sign-ins against a running network, and what the counter feels meanwhile (issue 21).

    .venv/bin/python bench/signin.py        # SQLite, 20 wrong sign-ins/s, 30 s a phase
    .venv/bin/python bench/signin.py --backend postgresql --rate 20 --duration 30

Starts the network as `maillage run` does (bench/load.py's Network: four services with their relays,
the gateway, the demo data) with GATEWAY_TRUSTED_PROXIES=127.0.0.1, so that an attempt's
X-Forwarded-For stands for its client address. A concierge at the counter searches an inhabitant
(GET /api/villages/<id>/members?q=…, a members call) and reads the day's counter
(GET /api/villages/<id>/counter/today), one request after the other with a 50 ms pause, through
three phases of `--duration` seconds:

    quiet        no attack: the reference
    distributed  `--rate` wrong sign-ins a second, each from another address and for another unknown
                 e-mail: no counter ever locks, so every attempt costs an argon2 check (64 MiB,
                 ~160 ms of CPU) in the members service; the worst case for the event loop
    one address  the same rate from one address: locked after 20 failures, the rest answered 429
                 without a password check

It prints, per phase, the counter routes' p50/p95/p99 and the sign-in answers by status, and writes
bench/results/signin-<backend>-<date>.md. Asserts nothing: the target (counter p95 < 100 ms with 20
wrong sign-ins a second) is printed beside the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import throughput  # noqa: E402
from load import Network, finish, percentile  # noqa: E402

CONCIERGE, PASSWORD = "lucie@maillage.test", "maillage-demo"
TARGET = "counter routes p95 < 100 ms while 20 wrong sign-ins a second arrive"


def counter_client(base: str, stop: threading.Event, timings: dict[str, list[float]]) -> None:
    session = requests.Session()
    token = session.post(
        f"{base}/api/auth/login", json={"email": CONCIERGE, "password": PASSWORD}, timeout=30
    ).json()["token"]
    session.headers["Authorization"] = f"Bearer {token}"
    village_id = session.get(f"{base}/api/me", timeout=30).json()["village_id"]
    village = f"{base}/api/villages/{village_id}"
    routes = {
        "GET /api/villages/{village_id}/members?q=": f"{village}/members?q=mar",
        "GET /api/villages/{village_id}/counter/today": f"{village}/counter/today",
    }
    while not stop.is_set():
        for route, url in routes.items():
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            elapsed = time.perf_counter() - started
            timings.setdefault(
                route if response.status_code == 200 else f"{route} → {response.status_code}", []
            ).append(elapsed)
            time.sleep(0.05)


def attacker(
    base: str, rate: float, stop: threading.Event, statuses: Counter, spread: bool
) -> None:
    """`rate` wrong sign-ins a second on a fixed schedule, whatever the answers' delay."""

    def attempt(number: int) -> None:
        headers = {
            "X-Forwarded-For": f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
            if spread
            else "203.0.113.66"
        }
        try:
            response = requests.post(
                f"{base}/api/auth/login",
                headers=headers,
                timeout=60,
                json={
                    "email": f"intrus-{uuid.uuid4().hex[:10]}@example.org",
                    "password": "devine-moi",
                },
            )
            statuses[response.status_code] += 1
        except requests.RequestException as exc:
            statuses[type(exc).__name__] += 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        started, number = time.monotonic(), 0
        while not stop.is_set():
            pool.submit(attempt, number)
            number += 1
            time.sleep(max(0.0, started + number / rate - time.monotonic()))


def phase(base: str, name: str, duration: float, rate: float | None, spread: bool) -> dict:
    stop, timings, statuses = threading.Event(), {}, Counter()
    threads = [threading.Thread(target=counter_client, args=(base, stop, timings))]
    if rate:
        threads.append(threading.Thread(target=attacker, args=(base, rate, stop, statuses, spread)))
    print(f"  {name} ({duration:.0f} s) …", flush=True)
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return {"name": name, "timings": timings, "statuses": statuses}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(args, started_at, phases) -> str:
    lines = [
        f"# Sign-in protection benchmark — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"`bench/signin.py --backend {args.backend} --rate {args.rate:g} --duration "
        f"{args.duration:g}` on {os.cpu_count()} cores. Target: {TARGET}.",
        "",
    ]
    for result in phases:
        lines += [
            f"## {result['name']}",
            "",
            "| route | requests | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for route, values in sorted(result["timings"].items()):
            lines.append(
                f"| {route} | {len(values)} | {ms(percentile(values, 0.5))} | "
                f"{ms(percentile(values, 0.95))} | {ms(percentile(values, 0.99))} |"
            )
        every = [v for values in result["timings"].values() for v in values]
        lines.append(
            f"| all counter requests | {len(every)} | {ms(percentile(every, 0.5))} "
            f"| **{ms(percentile(every, 0.95))}** | {ms(percentile(every, 0.99))} |"
        )
        if result["statuses"]:
            answered = ", ".join(
                f"{status}: {count}"
                for status, count in sorted(result["statuses"].items(), key=str)
            )
            lines += [
                "",
                f"Wrong sign-ins answered: {answered} "
                f"({sum(result['statuses'].values()) / args.duration:.1f}/s).",
            ]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rate", type=float, default=20.0, help="wrong sign-ins a second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of each phase")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (logs, SQLite files)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only, write no file under bench/results"
    )
    args = parser.parse_args(argv)
    os.environ["GATEWAY_TRUSTED_PROXIES"] = "127.0.0.1"
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-signin-"))
    with throughput.Vhost() as vhost:
        network = Network(args.backend, work, vhost)
        try:
            print(f"starting the network ({args.backend}) in {work} …", flush=True)
            print(f"up in {network.start():.1f} s", flush=True)
            base = network.base_url
            phases = [
                phase(base, "quiet", args.duration, None, False),
                phase(
                    base,
                    f"distributed: {args.rate:g} wrong sign-ins/s, each from another address",
                    args.duration,
                    args.rate,
                    True,
                ),
                phase(
                    base,
                    f"one address: {args.rate:g} wrong sign-ins/s",
                    args.duration,
                    args.rate,
                    False,
                ),
            ]
        finally:
            network.stop()
    return finish(
        report(args, started_at, phases), f"signin-{args.backend}", started_at, args, work
    )


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
