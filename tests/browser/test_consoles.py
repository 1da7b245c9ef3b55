"""The consoles in a real browser, against the demo network: a concierge's day at the counter, the
coordinator seeing it counted live, and a concierge kept out of another village's pages."""

import pytest
import requests
from selenium.webdriver.common.by import By

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CONCIERGE = "lucie@maillage.test"  # Le Bourg-aux-Chênes
COORDINATOR = "coordination@maillage.test"


def _orders_total(browser) -> int:
    """The network's orders of the period, read from the coordinator's table (its Total row)."""
    headers = [
        th.text for th in browser.driver.find_elements(By.CSS_SELECTOR, "#table-activite thead th")
    ]
    cells = browser.driver.find_elements(By.CSS_SELECTOR, "#table-activite tbody tr:last-child > *")
    if not cells or cells[0].text != "Total" or "Commandes" not in headers:
        return None  # being replaced by a live refresh: read it again
    return int(cells[headers.index("Commandes")].text.replace("\u202f", ""))


def _read(value):
    """For a wait: a value that may be 0, once it could be read."""
    return None if value is None else (value,)


def test_a_concierge_takes_an_order_and_hands_it_over_and_the_coordinator_sees_it_live(browsers):
    coordinator, concierge = browsers(), browsers()
    coordinator.log_in(COORDINATOR)
    assert coordinator.driver.current_url.endswith("/console/coordination")
    coordinator.find(
        '#live-figures[data-connected="1"]'
    )  # the page listens to the network's events
    before = coordinator.wait(lambda _d: _read(_orders_total(coordinator)))[0]
    coordinator.screenshot("coordination")

    concierge.log_in(CONCIERGE)
    assert "/aujourdhui" in concierge.driver.current_url
    concierge.find("#h-prepare")
    concierge.screenshot("concierge-aujourdhui", full_page=True)
    concierge.click('a.button[href$="/commandes/nouvelle"]')
    concierge.find("#q").send_keys("a")
    concierge.click("form[role=search] button[type=submit]")
    concierge.click("a.pick-member")
    concierge.find('input.qty[data-shared="0"]').send_keys("2")
    concierge.screenshot("concierge-commande-nouvelle")
    concierge.click("#place-order")
    concierge.wait_text("#order-status", "Confirmée")
    concierge.click("#mark-ready")
    concierge.wait_text("#order-status", "Prête")
    concierge.click("#hand-over")
    concierge.wait_text("#order-status", "Retirée")
    concierge.screenshot("concierge-commande-remise")

    # no reload: the coordinator's page re-fetched its figures when the order's events arrived
    coordinator.wait(lambda _d: _orders_total(coordinator) == before + 1)
    assert int(coordinator.find("#live-figures").get_attribute("data-version") or 0) >= 1
    coordinator.screenshot("coordination-apres-commande", full_page=True)


def test_a_concierge_of_village_a_cannot_open_a_page_of_village_b(stack, browsers):
    villages = requests.get(
        stack.url("/api/villages"), headers=stack.login(COORDINATOR), timeout=10
    ).json()
    own = requests.get(stack.url("/api/me"), headers=stack.login(CONCIERGE), timeout=10).json()[
        "village_id"
    ]
    other = next(v for v in villages if v["id"] != own)
    concierge = browsers()
    concierge.log_in(CONCIERGE)
    for page in ("aujourdhui", "habitants", "commandes"):
        concierge.open(f"/console/villages/{other['id']}/{page}")
        assert "autre village" in concierge.text_of("[role=alert]")
        assert other["name"] not in concierge.driver.page_source
    concierge.screenshot("concierge-autre-village-refuse")
    concierge.open("/console/coordination")
    assert "réservée à la coordination" in concierge.text_of("[role=alert]")


def test_a_form_sent_is_not_sent_again_by_a_second_click(browsers):
    """Two submits of "Recevoir un colis" in a row (a double click): the second is held back while
    the first's answer is on its way, and the button says it is busy. (The page's own listener on
    `window` counts what would leave and keeps the page where it is.)"""
    concierge = browsers()
    concierge.log_in(CONCIERGE)
    concierge.driver.get(concierge.driver.current_url.replace("/aujourdhui", "/colis"))
    sent = concierge.driver.execute_script("""
        var form = document.querySelector("form[method=post] input[name=idempotency_key]").form;
        var count = 0;
        window.addEventListener("submit", function (e) {
            if (!e.defaultPrevented) { count++; }
            e.preventDefault();
        });
        form.requestSubmit(); form.requestSubmit(); form.requestSubmit();
        return [count, form.querySelector("button[type=submit]").getAttribute("aria-disabled")];""")
    assert sent == [1, "true"]


def test_the_main_pages_open_for_review(stack, browsers):
    concierge = browsers()
    concierge.open("/console")
    concierge.find("#email")
    concierge.screenshot("connexion")
    concierge.log_in(CONCIERGE)
    home = concierge.driver.current_url.rsplit("/", 1)[0]
    for page in (
        "habitants",
        "benevoles",
        "animations",
        "suggestions",
        "colis",
        "coups-de-main",
        "commandes",
    ):
        concierge.driver.get(f"{home}/{page}")
        concierge.find("main h1")
        assert not concierge.driver.find_elements(By.CSS_SELECTOR, "[data-status]"), (
            page
        )  # no error page
        concierge.screenshot(f"concierge-{page}")

    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open("/console/coordination/rapport")
    coordinator.find("#du")
    coordinator.screenshot("coordination-rapport")

    session = requests.Session()
    stack.console_sign_in(session, COORDINATOR)
    report = session.get(stack.url("/console/coordination/rapport.pdf"), timeout=30)
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")
    export = session.get(stack.url("/console/coordination/export/villages.csv"), timeout=30)
    assert export.status_code == 200 and export.content.startswith("\ufeffVillage;".encode())
    page = session.get(stack.url("/console/coordination"), timeout=30)
    assert (
        page.status_code == 200 and 'id="h-partner_sales"' in page.text
    )  # the partners, every village together
    assert (
        'id="export-sales_by_partner"' in page.text
    )  # by village and partner: its export only, asked for there
    by_partner = session.get(
        stack.url("/console/coordination/export/sales_by_partner.csv"), timeout=30
    )
    assert by_partner.status_code == 200 and by_partner.headers["Content-Type"].startswith(
        "text/csv"
    )
