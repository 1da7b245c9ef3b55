"""What each console page weighs at its first load on a national network (issue #24: under 150 KB,
HTML + CSS + JS + images, as Chromium's Performance API reports them), and whether it fits 768 px.

    .venv/bin/python bench/console_weight.py                       # 1,000 villages (a few minutes)
    .venv/bin/python bench/console_weight.py --villages 100 --orders 10000 --no-write

Starts a national network (bench/national_network.py), signs the coordinator in to the console in
headless Chromium and opens every GET page of gateway.console.framework.PAGES as
tests/browser/test_accessibility.py does (tests/support/page_checks.py, without axe), plus the
coordination page over the last 12 months and its second page of villages. Prints and writes
bench/results/console-weight-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402
import national_data  # noqa: E402
import requests  # noqa: E402
from national_network import add_size_arguments, national_network  # noqa: E402

RESULTS = ROOT / "bench" / "results"


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


def sign_in(driver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/console/connexion")
    driver.find_element(By.ID, "email").send_keys(load.COORDINATOR)
    driver.find_element(By.ID, "password").send_keys(load.PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser, orders=100_000, members=30_000, parcels=50_000)
    args = parser.parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)

    import gateway.service  # noqa: F401  (its pages fill PAGES)
    from gateway.console.framework import PAGES
    from tests.support import page_checks

    with national_network(args.villages, args.members, args.orders, args.parcels) as (
        network,
        timings,
    ):
        base = network.base_url
        login = requests.post(
            base + "/api/auth/login",
            json={"email": "lucie@maillage.test", "password": load.PASSWORD},
            timeout=30,
        ).json()
        headers = {"Authorization": f"Bearer {login['token']}"}
        village_id = requests.get(base + "/api/me", headers=headers, timeout=30).json()[
            "village_id"
        ]
        slug = next(
            v["slug"]
            for v in requests.get(base + "/api/villages", headers=headers, timeout=30).json()
            if v["id"] == village_id
        )
        first, last = national_data.last_12_months()
        driver = chromium()
        try:
            sign_in(driver, base)
            paths = page_checks.html_pages(PAGES, ("coordinator",))
            results, unreachable = page_checks.check_pages(
                driver, base, paths, {"village_id": village_id, "slug": slug}, axe=False
            )
            axe_source = None
            for url in (
                f"/console/coordination?du={first}&au={last}",
                f"/console/coordination?du={first}&au={last}&page=2",
                f"/console/coordination/rapport?du={first}&au={last}",
            ):
                results.append(
                    page_checks.check_page(driver, base, url, url.split("?")[0], axe_source)
                )
        finally:
            driver.quit()

    limit = page_checks.WEIGHT_LIMIT
    lines = [
        f"# Console pages' weight — {started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.villages:,} villages, {args.members:,} members, {args.orders:,} orders, "
        f"{args.parcels:,} parcels in PostgreSQL, plus the demo data; signed in as the "
        "coordinator, headless Chromium. Bytes of the first load (the document and every "
        "resource, as the Performance API reports them: transfer size, or the encoded body of "
        f"what the browser kept from an earlier page); limit {limit:,} bytes. Widths: "
        "document.documentElement.scrollWidth at 768 px and 1024 px wide.",
        "",
        "| page | bytes | of which HTML | width at 768 | width at 1024 | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        html = r.resources.get(base + r.url, 0) or max(r.resources.values(), default=0)
        ok = "ok" if not r.problems() else "**over**"
        short = r.url.replace(village_id, "<village>")
        lines.append(
            f"| {short} | {r.weight:,} | {html:,} | {r.narrow_width} | {r.wide_width} | {ok} |"
        )
    lines += ["", f"- pages no link reached: {', '.join(unreachable) or 'none'}"]
    heaviest = max(results, key=lambda r: r.weight)
    lines.append(f"- heaviest: {heaviest.url} ({heaviest.weight:,} bytes)")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"console-weight-{started_at:%Y-%m-%d-%H%M}.md"
        path.write_text(text)
        print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
