"""The coordinator's grappes in a real browser, against the demo network: a grappe refused with one
village (the error beside the field, what was typed kept), then created with two and a depot, found
in the list, and renamed from its page. It groups Montcalvel and Vialle-sur-Lac: the accessibility
crawl, on the same network, groups the two other villages (a village is in one grappe only)."""

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"


def _tick(browser, fieldset, text):
    for label in browser.find(fieldset).find_elements(By.CSS_SELECTOR, "label"):
        if label.text.strip().startswith(text):
            label.find_element(By.CSS_SELECTOR, "input").click()
            return
    raise AssertionError(f"no box {text!r} in {fieldset}")


def _type(browser, css, text):
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def test_the_coordinator_creates_a_grappe_then_renames_it(stack, browsers):
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    name = f"Grappe des lacs {uuid.uuid4().hex[:6]}"
    coordinator.click('header nav a[href="/console/coordination/tournees"]')
    coordinator.click('nav.tabs a[href="/console/coordination/grappes"]')
    _type(coordinator, "#f-name", name)
    _tick(coordinator, "#f-villages", "Montcalvel")
    Select(coordinator.find("#f-depot")).select_by_visible_text("Montcalvel (camion multiservice)")
    _type(coordinator, "#f-place", "Hangar communal")
    coordinator.click("#grappe-form button[type=submit]")
    coordinator.wait_text("#err-village_ids", "Cochez de 2 à 200 villages")
    assert coordinator.find("#f-name").get_attribute("value") == name  # what was typed stays

    _tick(coordinator, "#f-villages", "Vialle-sur-Lac")
    coordinator.click("#grappe-form button[type=submit]")
    coordinator.wait_text("main .notice", "Grappe créée")
    coordinator.screenshot("coordination-grappe")
    assert coordinator.find("#grappe-figures").text  # this month's figures, even when none yet

    _type(coordinator, "#f-name", name + " (nord)")
    coordinator.click("#grappe-form button[type=submit]")
    coordinator.wait_text("main .notice", "Grappe modifiée")
    coordinator.click('nav.tabs a[href="/console/coordination/grappes"]')
    coordinator.wait_text("#grappes", name + " (nord)")
    row = next(
        r
        for r in coordinator.find("#grappes").find_elements(By.CSS_SELECTOR, "tbody tr")
        if name in r.text
    )
    assert (
        "Montcalvel" in row.text and "Vialle-sur-Lac" in row.text and "Hangar communal" in row.text
    )
