"""The hub's till in a real browser, against the demo network: a walk-in sale paid in cash with the
change shown on the receipt, a quantity refused in French beside its field; a refund confirmed
with its reason; the day's closing (Z) with a cash difference; another village's till refused."""

import re

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.stack, pytest.mark.broker]

KARIM = "karim@maillage.test"  # Saint-Aubin-des-Prés
# Montcalvel's till is the one closed for the day: no other test of a worker's shared network sells
# there today, so the order the tests run in does not matter
JEANNE = "jeanne@maillage.test"  # Montcalvel


def _cents(text: str) -> int:
    """« 12,50 € » (a minus sign kept) in cents."""
    digits = re.sub(r"[^\d,\-−]", "", text).replace("−", "-")
    whole, _, rest = digits.partition(",")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 100 + int((rest or "0").ljust(2, "0")))


def test_a_walk_in_sale_in_cash_a_refund_and_the_closing_with_a_cash_difference(stack, browsers):
    villages = stack.villages()
    village, other = villages["montcalvel"], villages["saint-aubin-des-pres"]
    jeanne = browsers()
    jeanne.log_in(JEANNE)
    jeanne.open(f"/console/villages/{village}/aujourdhui")
    jeanne.click(f'nav a[href="/console/villages/{village}/caisse"]')
    first = jeanne.find("input[id^=qty-]")
    item_id = first.get_attribute("id")
    sales_before = jeanne.driver.find_elements(By.CSS_SELECTOR, "#last-sales li")

    # a negative quantity: refused beside its field, in French, nothing sold
    first.send_keys("-2")
    jeanne.find("#pay-cash").send_keys("50")
    jeanne.click("#record-sale")
    error = jeanne.find(f"#err-{item_id}")
    assert "quantité" in error.text.lower(), error.text
    assert len(jeanne.driver.find_elements(By.CSS_SELECTOR, "#last-sales li")) == len(
        sales_before
    ), "nothing sold"

    field = jeanne.find(f"#{item_id}")
    field.clear()
    field.send_keys("2")
    cash = jeanne.find("#pay-cash")
    cash.clear()
    cash.send_keys("50")
    jeanne.click("#record-sale")
    jeanne.find("#change")
    total = _cents(jeanne.text_of("#sale-total"))
    assert 0 < total <= 5000
    assert _cents(jeanne.text_of("#change")) == 5000 - total
    jeanne.screenshot("till-receipt")

    # a refund of one unit, with its reason, after a confirmation
    jeanne.click("a[href$='/remboursement']")
    jeanne.find("input[id^=back-]").send_keys("1")
    Select(jeanne.find("#method")).select_by_value("cash")
    jeanne.find("#reason").send_keys("Article abîmé")
    jeanne.click("#check-refund")
    refund = _cents(jeanne.text_of("#refund-amount"))
    assert refund == total // 2
    jeanne.click("#confirm-refund")
    jeanne.wait_text(".notice[role=status]", "Remboursement enregistré")
    assert "Article abîmé" in jeanne.driver.page_source

    # the day's closing: 1 € missing from the drawer
    jeanne.click(f'nav.tabs a[href="/console/villages/{village}/caisse/cloture"]')
    jeanne.find("#float").send_keys("20")
    cash_of_the_day = _cents(jeanne.text_of("#cash-so-far"))  # the demo's sale too
    assert cash_of_the_day >= total - refund
    counted = 2000 + cash_of_the_day - 100
    jeanne.find("#counted").send_keys(f"{counted // 100},{counted % 100:02d}")
    jeanne.click("#close-till")
    assert _cents(jeanne.text_of("#expected-cash")) == 2000 + cash_of_the_day
    assert _cents(jeanne.text_of("#cash-difference")) == -100
    assert not jeanne.driver.find_elements(By.ID, "close-till"), "closed once"
    jeanne.screenshot("till-closing", full_page=True)

    # another village's till is not his
    session = requests.Session()
    stack.console_sign_in(session, JEANNE)
    assert (
        session.get(stack.url(f"/console/villages/{other}/caisse"), timeout=10).status_code == 403
    )
    assert session.get(stack.url(f"/console/villages/{other}/stock"), timeout=10).status_code == 403


def test_a_solidarity_price_applies_to_an_eligible_inhabitant_only(stack, browsers):
    """The concierge sets an item's solidarity price (a bad amount refused beside its field), notes
    an inhabitant's eligibility given by a social partner, and the till charges that price to her
    and the usual one to a walk-in."""
    village = stack.villages()["saint-aubin-des-pres"]
    karim = browsers()
    karim.log_in(KARIM)
    karim.open(f"/console/villages/{village}/caisse")
    karim.click(f'a[href="/console/villages/{village}/caisse/solidaire"]')

    choice = Select(karim.find("#item_id"))
    choice.select_by_index(1)
    item_id = choice.first_selected_option.get_attribute("value")
    karim.find("#price").send_keys("un euro")
    karim.click("#set-solidarity-price")
    refused = karim.text_of("#err-price")
    assert refused and "valid" not in refused.lower(), f"a French reason: {refused!r}"
    assert "un euro" not in karim.text_of("section[aria-labelledby=h-prices] ul, #h-prices + p")
    Select(karim.find("#item_id")).select_by_value(item_id)
    price = karim.find("#price")
    price.clear()
    price.send_keys("0,50")
    karim.click("#set-solidarity-price")
    karim.wait_text("section[aria-labelledby=h-prices]", "0,50")

    karim.find("#q").send_keys("01 99 00 20 01")
    karim.click("form[role=search] button")
    karim.click("ul.list a[href*='member_id=']")
    member_id = karim.driver.current_url.split("member_id=")[1]
    karim.find("#given_by").send_keys("CCAS de Saint-Aubin")
    karim.driver.execute_script("document.getElementById('ends_on').value = '2099-12-31'")
    karim.click("#record-eligibility")
    karim.wait_text("section[aria-labelledby=h-who]", "CCAS de Saint-Aubin")

    def sale_total(query: str) -> int:
        karim.open(f"/console/villages/{village}/caisse{query}")
        karim.find(f"#qty-{item_id}").send_keys("1")
        karim.find("#pay-cash").send_keys("20")
        karim.click("#record-sale")
        karim.find("#change")
        return _cents(karim.text_of("#sale-total"))

    assert sale_total(f"?member_id={member_id}") == 50
    assert sale_total("") > 50, "a walk-in pays the usual price"
