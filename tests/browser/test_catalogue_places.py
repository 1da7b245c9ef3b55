"""A concierge keeps her village's catalogue and its hours and places in the browser, as she would:
from the menu, typing, clicking, confirming a removal; the effect is checked through the API and on
the village's public page (issue #24)."""

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.stack, pytest.mark.broker]

PRICE_HELP = "Indiquez un prix en euros supérieur à zéro, par exemple 3,50."


def _village_id(browser) -> str:
    return browser.driver.current_url.split("/console/villages/")[1].split("/")[0]


def _menu(browser, label, tail):
    browser.driver.find_element(By.LINK_TEXT, label).click()
    browser.wait(lambda d: d.current_url.endswith(tail))


def _type(browser, css, text):
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def _type_date(browser, css, iso):
    """A date field as a French Chromium shows it (jj/mm/aaaa): typed in that order."""
    field = browser.find(css)
    year, month, day = iso.split("-")
    field.send_keys(day + month + year)
    if field.get_attribute("value") != iso:  # another locale's order: set as the picker would
        browser.driver.execute_script("arguments[0].value = arguments[1]", field, iso)


def _catalogue(stack, headers, village_id) -> dict:
    answer = requests.get(
        stack.url(f"/api/villages/{village_id}/catalogue/selection"), headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {item["offer_id"]: item for item in answer.json()["items"]}


def test_a_concierge_adds_prices_and_removes_a_catalogue_item(browsers, stack):
    karim = browsers()
    karim.log_in("karim@maillage.test")
    village_id = _village_id(karim)
    headers = stack.login("karim@maillage.test")
    _menu(karim, "Catalogue", "/catalogue")
    assert karim.text_of("h1") == "Catalogue du village"

    offer = Select(karim.find("#offer_id"))
    offer.select_by_index(1)
    offer_id = offer.first_selected_option.get_attribute("value")
    _type(karim, "#price", "trois euros")
    karim.click("form:has(#offer_id) button[type=submit]")
    assert karim.text_of("#err-price") == PRICE_HELP
    assert karim.find("#price").get_attribute("value") == "trois euros"
    assert offer_id not in _catalogue(stack, headers, village_id), "nothing written"

    assert Select(karim.find("#offer_id")).first_selected_option.get_attribute("value") == offer_id
    _type(karim, "#price", "1,45")
    karim.click("form:has(#offer_id) button[type=submit]")
    karim.wait_text(".notice", "Catalogue enregistré")
    item = _catalogue(stack, headers, village_id)[offer_id]
    assert item["price_cents"] == 145
    name, item_id = item["name"], item["item_id"]
    _type(karim, f"#price-{item_id}", "0")
    karim.click(f"#item-{item_id} form button[type=submit]")
    assert karim.text_of(f"#err-price-{item_id}") == PRICE_HELP
    _type(karim, f"#price-{item_id}", "1,60")
    karim.click(f"#item-{item_id} form button[type=submit]")
    karim.wait_text(".notice", "Catalogue enregistré")
    assert _catalogue(stack, headers, village_id)[offer_id]["price_cents"] == 160
    karim.screenshot("console-catalogue", full_page=True)
    karim.assert_fits_a_tablet()

    karim.click(f'#item-{item_id} a[href$="/retirer"]')
    assert "Retirer « " + name in karim.text_of("main h2")
    assert offer_id in _catalogue(stack, headers, village_id), "asked first, not removed yet"
    karim.click("main form button[type=submit]")
    karim.wait_text(".notice", "retiré du catalogue")
    assert offer_id not in _catalogue(stack, headers, village_id)


def _hours(stack, headers, village_id) -> dict:
    answer = requests.get(
        stack.url(f"/api/villages/{village_id}/opening-hours"), headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_concierge_sets_hours_a_permanence_and_a_closure_the_public_page_shows_them(
    browsers, stack
):
    lucie = browsers()
    lucie.log_in("lucie@maillage.test")
    village_id = _village_id(lucie)
    headers = stack.login("lucie@maillage.test")
    _menu(lucie, "Horaires et lieux", "/horaires")
    assert lucie.text_of("h1") == "Horaires et lieux"

    # Thursday: a morning and, in the free row, an afternoon that first ends before it starts
    _type(lucie, "#opens-thursday-0", "8h30")
    _type(lucie, "#closes-thursday-0", "12h")
    _type(lucie, "#opens-thursday-1", "15h")
    _type(lucie, "#closes-thursday-1", "14h")
    lucie.click("form:has(#opens-monday-0) button[type=submit]")
    assert "fermeture doit suivre" in lucie.text_of("#err-closes-thursday-1")
    assert lucie.find("#opens-thursday-0").get_attribute("value") == "8h30"
    _type(lucie, "#closes-thursday-1", "18h45")
    lucie.click("form:has(#opens-monday-0) button[type=submit]")
    lucie.wait_text(".notice", "Enregistré")
    thursday = [s for s in _hours(stack, headers, village_id)["weekly"] if s["day"] == "thursday"]
    assert [(s["opens"], s["closes"]) for s in thursday] == [
        ("08:30", "12:00"),
        ("15:00", "18:45"),
    ]

    _type(lucie, "#perm-name", "Permanence France Services")
    Select(lucie.find("#perm-day")).select_by_visible_text("Mercredi")
    _type(lucie, "#perm-opens", "9h")
    _type(lucie, "#perm-closes", "11h30")
    _type(lucie, "#perm-note", "les semaines paires")
    lucie.click("form:has(#perm-name) button[type=submit]")
    lucie.wait_text(".notice", "Enregistré")

    _type_date(lucie, "#ex-start", "2030-07-14")
    _type(lucie, "#ex-label", "Fête du village")
    lucie.click("#ex-kind-special")
    _type(lucie, "#ex-opens-0", "10h")
    _type(lucie, "#ex-closes-0", "12h")
    lucie.click("form:has(#ex-start) button[type=submit]")
    lucie.wait_text(".notice", "Enregistré")
    exceptions = _hours(stack, headers, village_id)["exceptions"]
    added = [e for e in exceptions if e["start"] == "2030-07-14"]
    assert added and not added[0]["closed"] and added[0]["label"] == "Fête du village"
    lucie.screenshot("console-horaires", full_page=True)
    lucie.assert_fits_a_tablet()

    visitor = browsers(javascript=False)
    visitor.open("/village/bourg-aux-chenes")
    assert "Jeudi 8 h 30 – 12 h, 15 h – 18 h 45" in visitor.text_of("#horaires").replace("\n", " ")
    assert "Fête du village" in visitor.text_of("#horaires")
    permanences = visitor.text_of("#permanences")
    assert "Permanence France Services : Mercredi, 9 h – 11 h 30 (les semaines paires)" in (
        permanences
    )

    # the closure goes, once confirmed
    lucie.open(f"/console/villages/{village_id}/horaires")
    lucie.driver.find_element(
        By.XPATH, "//li[contains(., 'Fête du village')]/a[contains(@href, '/supprimer')]"
    ).click()
    lucie.wait_text("main h2", "Fête du village")
    assert any(e["start"] == "2030-07-14" for e in _hours(stack, headers, village_id)["exceptions"])
    lucie.click("main form button[type=submit]")
    lucie.wait_text(".notice", "Supprimé")
    assert not any(
        e["start"] == "2030-07-14" for e in _hours(stack, headers, village_id)["exceptions"]
    )
    # asked afresh: the visitor's browser may keep the page its minute (Cache-Control)
    public = requests.get(stack.url("/village/bourg-aux-chenes"), timeout=10).text
    assert "Permanence France Services" in public and "Fête du village" not in public


def test_a_concierge_adds_and_changes_a_stop_of_the_truck(browsers, stack):
    jeanne = browsers()
    jeanne.log_in("jeanne@maillage.test")
    village_id = _village_id(jeanne)
    headers = stack.login("jeanne@maillage.test")
    _menu(jeanne, "Horaires et lieux", "/horaires")

    _type(jeanne, "#stop-name", "Lavoir du Mas")
    _type(jeanne, "#stop-commune", "Montcalvel")
    Select(jeanne.find("#stop-day-0")).select_by_visible_text("Jeudi")
    _type(jeanne, "#stop-opens-0", "10h")
    jeanne.click("form:has(#stop-name) button[type=submit]")
    assert jeanne.text_of("#err-stop-closes-0") == "Champ obligatoire."
    assert jeanne.find("#stop-name").get_attribute("value") == "Lavoir du Mas"
    _type(jeanne, "#stop-closes-0", "10h45")
    jeanne.click("form:has(#stop-name) button[type=submit]")
    jeanne.wait_text(".notice", "Enregistré")

    def stop():
        answer = requests.get(
            stack.url(f"/api/villages/{village_id}/stops"), headers=headers, timeout=10
        )
        return next(s for s in answer.json() if s["name"] == "Lavoir du Mas")

    assert stop()["weekly"] == [{"day": "thursday", "opens": "10:00", "closes": "10:45"}]
    jeanne.click(f'a[href$="/horaires/arrets/{stop()["id"]}"]')
    Select(jeanne.find("#stop-day-1")).select_by_visible_text("Samedi")
    _type(jeanne, "#stop-opens-1", "17h")
    _type(jeanne, "#stop-closes-1", "17h30")
    jeanne.click("main form button[type=submit]")
    jeanne.wait_text(".notice", "Enregistré")
    assert [s["day"] for s in stop()["weekly"]] == ["thursday", "saturday"]

    public = requests.get(stack.url("/village/montcalvel"), timeout=10).text
    assert "Lavoir du Mas" in public and "Samedi : 17 h – 17 h 30" in public
