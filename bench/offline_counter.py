"""The offline counter (issue #29): what the device keeps for each demo village, and the time to
replay 100 actions queued offline.

    .venv/bin/python bench/offline_counter.py            # the demo network (about 2 minutes)
    .venv/bin/python bench/offline_counter.py --actions 200 --no-write

Starts the demo network (`maillage run`, as the browser tests do, in a private vhost), then in
headless Chromium signs in each demo concierge, opens their *Comptoir* until the service worker
keeps their village's pages, and sums what the device keeps (the worker's caches, body sizes;
`navigator.storage.estimate()` beside it). For the largest village: cuts the link (DevTools
protocol, the page and its worker), queues N parcel receipts in IndexedDB as the page does,
restores the link and times until the device has replayed them all (each answered); then puts the
same N back (as after a tab closed mid-replay) and times their idempotent replay. Prints and
writes bench/results/offline-counter-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

import requests  # noqa: E402

from maillage.demo import CONCIERGES  # noqa: E402
from tests.support.infrastructure import RABBIT_HOST, drop_vhost, free_port, make_vhost  # noqa: E402
from tests.support.network import launch_network, stop_network  # noqa: E402
from tests.support.offline_counter import (  # noqa: E402
    KEPT_SIZES,
    OFFLINE,
    ONLINE,
    QUEUE_PUT,
    QUEUE_READ,
    network,
)

RESULTS = ROOT / "bench" / "results"
PASSWORD = "maillage-demo"


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr-FR"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(1024, 768)
    return driver


def wait(condition, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def sign_in(driver, base, email):
    from selenium.webdriver.common.by import By

    driver.get(base + "/console/connexion")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(lambda: "/console/connexion" not in driver.current_url)


def kept(driver, base, village) -> dict:
    """Open the counter until the worker keeps the village's four pages; what it keeps."""
    path = f"/console/villages/{village}/comptoir"
    driver.get(base + path)

    def controlled():
        if driver.execute_script("return !!navigator.serviceWorker.controller"):
            return True
        driver.refresh()  # a page opened before its worker was active is not controlled
        return False

    wait(controlled, interval=1.0)
    driver.get(base + path)

    def four_pages():
        found = driver.execute_async_script(KEPT_SIZES)
        pages = [k for k in found.get("sizes", {}) if k.startswith("maillage-pages /console/vil")]
        return found if len(pages) == 4 else None

    return wait(four_pages)


def replay_time(driver, items) -> float:
    """Seconds from the link restored until the device's queue is empty."""
    network(driver, OFFLINE)
    wait(lambda: driver.execute_script("return navigator.onLine") is False)
    driver.execute_async_script(QUEUE_PUT, items)
    started = time.monotonic()
    network(driver, ONLINE)
    wait(lambda: not driver.execute_async_script(QUEUE_READ), timeout=600)
    return time.monotonic() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="maillage-offline-"))
    vhost, port = make_vhost(), free_port()
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@{RABBIT_HOST}:5672/{vhost}",
        "MAILLAGE_DATA_DIR": str(work / "data"),
        "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
        "GATEWAY_SECRET": "bench-" + vhost,
    }
    base = f"http://127.0.0.1:{port}"
    process, log = launch_network(env, work / "run.log")
    lines = []
    try:
        coordinator = requests.post(
            base + "/api/auth/login",
            json={"email": "coordination@maillage.test", "password": PASSWORD},
            timeout=30,
        ).json()["token"]
        villages = {
            v["slug"]: v["id"]
            for v in requests.get(
                base + "/api/villages",
                headers={"Authorization": f"Bearer {coordinator}"},
                timeout=30,
            ).json()
        }
        sizes = {}
        for slug, (email, _name) in CONCIERGES.items():
            driver = chromium()
            try:
                sign_in(driver, base, email)
                found = kept(driver, base, villages[slug])
            finally:
                driver.quit()
            pages = {k: v for k, v in found["sizes"].items() if k.startswith("maillage-pages")}
            sizes[slug] = (sum(pages.values()), sum(found["sizes"].values()), found["usage"])
            lines.append(
                f"{slug:22}  pages {sizes[slug][0] / 1024:7.1f} KB  with the static files "
                f"{sizes[slug][1] / 1024:7.1f} KB  (storage estimate {found['usage'] or 0:,} B)"
            )
            for key, size in sorted(pages.items()):
                lines.append(f"    {key.split(' ', 1)[1]:70} {size / 1024:7.1f} KB")
        largest = max(sizes, key=lambda slug: sizes[slug][0])
        email, village = CONCIERGES[largest][0], villages[largest]
        driver = chromium()
        try:
            sign_in(driver, base, email)
            kept(driver, base, village)
            members = driver.execute_script(
                "return [...document.querySelectorAll('#r-member option')]"
                ".map(o => o.value).filter(v => v)"
            )
            now = dt.datetime.now(dt.UTC).isoformat()
            items = [
                {
                    "village": village,
                    "action": "receive_parcel",
                    "label": f"Colis {n}",
                    "target": None,
                    "idempotency_key": str(uuid.uuid4()),
                    "occurred_at": now,
                    "fields": {
                        "action": "receive_parcel",
                        "member_id": members[n % len(members)],
                        "sender_kind": "la_poste",
                        "sender_name": "",
                        "place_kind": "shelf",
                        "place": f"B{n}",
                    },
                }
                for n in range(args.actions)
            ]
            first = replay_time(driver, items)
            queued_again = [dict(item, seq=n + 10_000) for n, item in enumerate(items)]
            again = replay_time(driver, queued_again)
        finally:
            driver.quit()
        lines += [
            "",
            f"largest village: {largest} ({sizes[largest][0] / 1024:.1f} KB of pages kept)",
            f"replay of {args.actions} parcel receipts: {first:.1f} s "
            f"({first / args.actions * 1000:.0f} ms each)",
            f"the same {args.actions} replayed again (idempotent answers): {again:.1f} s",
        ]
    finally:
        stop_network(process, log)
        drop_vhost(vhost)
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"offline-counter-{started_at:%Y-%m-%d}.md"
        out.write_text(
            f"# Offline counter — {started_at:%Y-%m-%d %H:%M} UTC\n\n```\n{report}\n```\n"
        )
        print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
