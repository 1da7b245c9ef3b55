"""The money in a real browser, against the demo network: the till's sales of a producer's goods (as
the orders service publishes them) make its monthly statement, which the coordinator finds from the
menu and downloads (PDF for the producer, CSV for the accountant); coups de main given in the
commune's village make the month's statement of its contract, from which the coordinator issues the
numbered invoice, then marks it sent and paid."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from backbone.clock import utcnow
from gateway.console.framework import COOKIE
from tests.support.money import help_completed, sale, sale_line
from tests.support.reliability import Broker, wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
PRODUCER = "GAEC des Trois Fontaines"


def _partner_id(stack, name: str) -> str:
    partners = requests.get(
        stack.url("/api/partners"), headers=stack.login(COORDINATOR), timeout=10
    ).json()
    return next(p["id"] for p in partners if p["name"] == name)


def _publish(stack, *envelopes):
    broker = Broker(stack.amqp_uri)
    try:
        for envelope in envelopes:
            broker.publish_envelope(envelope)
    finally:
        broker.close()


def _set_month(browser, css: str, month: str):
    """A month typed into the browser's month field (or set, where the browser has no picker)."""
    field = browser.find(css)
    browser.driver.execute_script("arguments[0].value = arguments[1]", field, month)
    assert field.get_attribute("value") == month


def _answer_shows(browser, submit_css: str, css: str, text: str) -> bool:
    """Whether the page a form answers, sent (again) by `submit_css`, shows `text` in `css`. Read
    once that page has replaced the one the form was sent from: read right after the click, the
    element found could be the old page's, gone by the time its text is asked for."""
    before = browser.find("html")
    browser.click(submit_css)
    browser.wait(EC.staleness_of(before))
    try:
        found = browser.driver.find_elements(By.CSS_SELECTOR, css)
        return bool(found) and text in found[0].text
    except StaleElementReferenceException:  # replaced again as it was read: look again
        return False


def _download(browser, css: str) -> requests.Response:
    href = browser.find(css).get_attribute("href")
    answer = requests.get(
        href, cookies={COOKIE: browser.driver.get_cookie(COOKIE)["value"]}, timeout=60
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer


def test_a_producers_monthly_statement_is_read_and_downloaded(browsers, stack):
    villages = stack.villages()
    producer = _partner_id(stack, PRODUCER)
    at = datetime(2025, 2, 10, 10, 0, tzinfo=UTC)  # a month the demo data never sold in
    _publish(
        stack,
        sale(villages["bourg-aux-chenes"], [sale_line(producer, 6, 320)], at=at),
        sale(villages["montcalvel"], [sale_line(producer, 2, 340), sale_line(None, 1, 150)], at=at),
    )
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open("/console/coordination/financements")
    coordinator.driver.find_element(By.LINK_TEXT, "Relevés des producteurs").click()
    coordinator.wait(lambda d: "/console/coordination/releves" in d.current_url)
    Select(coordinator.find("#f-partner")).select_by_visible_text(PRODUCER)
    _set_month(coordinator, "#f-month", "2025-02")

    wait_until(
        lambda: _answer_shows(
            coordinator, "#statement-form button[type=submit]", "#total-sold", "26,00"
        ),
        timeout=30,
        message="the sales in the statement",
    )
    # 26,00 € sold (19,20 € + 6,80 €), 15 % commission: 3,90 €, 22,10 € due
    assert "3,90" in coordinator.text_of("#total-commission")
    assert "22,10" in coordinator.text_of("#total-due")
    coordinator.screenshot("coordination-releve-producteur")
    pdf = _download(coordinator, "#statement-pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv = _download(coordinator, "#statement-csv").content.decode("utf-8-sig")
    assert csv.splitlines()[-1].split(";")[-4:] == ["26,00", "150", "3,90", "22,10"]


def test_a_communes_invoice_is_issued_from_the_services_delivered(browsers, stack):
    villages = stack.villages()
    year = utcnow().year
    january = f"{year}-01"
    at = datetime(year, 1, 15, 14, 0, tzinfo=UTC)
    _publish(
        stack,
        help_completed(villages["saint-aubin-des-pres"], 90, at=at),
        help_completed(villages["saint-aubin-des-pres"], 60, at=at),
        help_completed(villages["bourg-aux-chenes"], 120, at=at),  # not the contract's village
    )
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open("/console/coordination/financements")
    coordinator.driver.find_element(By.LINK_TEXT, "Contrats des communes").click()
    coordinator.wait(lambda d: d.current_url.endswith("/console/coordination/contrats"))
    coordinator.driver.find_element(
        By.LINK_TEXT, "Services aux aînés de Saint-Aubin-des-Prés"
    ).click()
    coordinator.wait_text("#contract-facts", "Saint-Aubin-des-Prés")
    _set_month(coordinator, "#f-month", january)

    wait_until(  # 2,5 h at 22 €
        lambda: _answer_shows(
            coordinator, "#month-form button[type=submit]", "#invoice-total", "55,00"
        ),
        timeout=30,
        message="the coups de main in the month's statement",
    )
    assert "Brouillon" in coordinator.text_of("#invoice-status")
    coordinator.click("#issue")
    coordinator.wait_text("#done", "Facture émise")
    number = coordinator.text_of("#invoice-number")
    assert number.startswith(f"{year}-") and len(number) == 9
    assert "Émise" in coordinator.text_of("#invoice-status")
    coordinator.screenshot("coordination-facture-commune")
    pdf = _download(coordinator, "#invoice-pdf")
    assert (
        pdf.content.startswith(b"%PDF")
        and f"facture-{number}" in pdf.headers["Content-Disposition"]
    )
    coordinator.find("#f-sent-to").send_keys("mairie@saint-aubin.example")
    coordinator.click("#mark-sent")
    coordinator.wait_text("#invoice-status", "Envoyée")
    coordinator.click("#mark-paid")
    coordinator.wait_text("#invoice-status", "Payée")
    assert number in coordinator.text_of("#invoices")


def test_a_new_commission_from_next_month_leaves_a_past_month_s_statement_as_it_was(
    browsers, stack
):
    """The coordinator changes a producer's rate on its form from the first of next month, reads
    the history there; the statement of a month gone by keeps the old rate, next month's takes
    the new one; a date that is not a first of month is refused beside its field, in French."""
    villages = stack.villages()
    name = "Fromagerie du Plateau"  # 12,5 % in the demo data
    producer = _partner_id(stack, name)
    first = utcnow().date().replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    past = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # a month the demo data never sold in
    coming = datetime(next_month.year, next_month.month, 10, 10, 0, tzinfo=UTC)
    _publish(
        stack,
        *(
            sale(villages["vialle-sur-lac"], [sale_line(producer, 4, 1000)], at=at)
            for at in (past, coming)
        ),
    )
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open(f"/console/coordination/partenaires/{producer}")
    assert coordinator.find("#p-commission").get_attribute("value") == "12,5"

    def change(rate, since):
        field = coordinator.find("#p-commission")
        field.clear()
        field.send_keys(rate)
        _set_month(coordinator, "#p-commission-from", since)
        coordinator.click("#save-partner")

    change("20", str(next_month + timedelta(days=1)))
    coordinator.wait_text("#err-commission_effective_from", "1er d'un mois")
    change("20", str(next_month))
    coordinator.wait(lambda d: "enregistre=1" in d.current_url)
    history = coordinator.text_of("#commission-history")
    assert "20 %" in history and "12,5 %" in history and "depuis l'enregistrement" in history
    coordinator.screenshot("backoffice-partenaire-commission")

    def shown(month, sold, commission):
        coordinator.open(f"/console/coordination/releves?partenaire={producer}&mois={month}")
        found = coordinator.driver.find_elements(By.CSS_SELECTOR, "#total-sold")
        if not found or sold not in found[0].text:
            return False  # the sale still on its way
        assert commission in coordinator.text_of("#total-commission")
        return True

    # 40,00 € sold each month: 12,5 % (5,00 €) in the month gone by, 20 % (8,00 €) next month
    wait_until(lambda: shown(f"{past:%Y-%m}", "40,00", "5,00"), timeout=30, message="March")
    wait_until(lambda: shown(f"{coming:%Y-%m}", "40,00", "8,00"), timeout=30, message="next")
