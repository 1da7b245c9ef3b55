"""The network's signals in a real browser, against the demo network: the coordinator opens them
from the network's tabs, reads the themes the villages raised (the demo's suggestions), is refused
a period that ends before it starts (in French, beside the field), and downloads the CSV."""

import pytest
import requests
from selenium.webdriver.common.by import By

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


def test_the_coordinator_reads_the_signals_then_exports_them(stack, browsers):
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open("/console/coordination/villages")
    coordinator.click('nav.tabs a[href="/console/coordination/signaux"]')
    rows = coordinator.driver.find_elements(By.CSS_SELECTOR, "#signals tbody tr")
    assert rows, "the demo's suggestions are signals"
    assert coordinator.driver.find_elements(By.CSS_SELECTOR, "#signal-villages li")

    coordinator.open("/console/coordination/signaux?du=2026-12&au=2026-01")
    refused = coordinator.find(".error, [role=alert]").text
    assert refused and "must" not in refused.lower(), f"a French reason: {refused!r}"

    coordinator.open("/console/coordination/signaux")
    link = coordinator.find("#signals-csv").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in coordinator.driver.get_cookies()}
    answer = requests.get(link, cookies=cookies, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/csv")
    header = answer.content.decode("utf-8-sig").splitlines()[0]
    assert ";" in header
    assert len(answer.content.decode("utf-8-sig").splitlines()) > 1, "the themes' rows"
