"""The concierge's people pages in a real browser, against the demo network: a spreadsheet of
inhabitants previewed then imported, an inhabitant edited, called (« À prévenir »), exported and
erased; a volunteer registered and edited. Each effect is checked through the API."""

import random
import string
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from gateway.console.framework import COOKIE

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CONCIERGE = "paul@maillage.test"  # Vialle-sur-Lac


def _letters():
    """A mark for this run's names, found by the name search (digits alone would be a phone)."""
    return "".join(random.choices(string.ascii_lowercase, k=6))


def _village(stack, headers):
    return requests.get(stack.url("/api/me"), headers=headers, timeout=10).json()["village_id"]


def _search(stack, headers, village_id, q):
    return requests.get(
        stack.url(f"/api/villages/{village_id}/members"),
        params={"q": q},
        headers=headers,
        timeout=10,
    ).json()


def _follow(browser, text, how=By.LINK_TEXT):
    """Click a link once the page shows it (the previous page may still be there)."""
    browser.wait(EC.element_to_be_clickable((how, text))).click()


def _menu(browser, label):
    _follow(browser, label)
    browser.wait(lambda d: label in d.find_element(By.CSS_SELECTOR, "[aria-current=page]").text)


def _until(check, seconds=20):
    """What `check` answers once it answers something (events travel between services)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_an_inhabitants_file_is_imported_then_one_is_edited_called_exported_and_erased(
    stack, browsers, tmp_path
):
    api = stack.login(CONCIERGE)
    village_id = _village(stack, api)
    tag = _letters()
    spreadsheet = tmp_path / "habitants.csv"
    spreadsheet.write_text(
        "Nom;Prénom;Téléphone;Profil\n"
        f"Faurie{tag};Noël;01 99 00 41 01;senior\n"
        f"Durand{tag};Jules;0612;\n"
        f"Mazière{tag};Élodie;01 99 00 41 03;\n",
        encoding="utf-8",
    )
    concierge = browsers()
    concierge.log_in(CONCIERGE)
    _menu(concierge, "Habitants")
    _follow(concierge, "Importer un tableur", By.PARTIAL_LINK_TEXT)
    concierge.find("#fichier").send_keys(str(spreadsheet))
    concierge.click("form[enctype] button[type=submit]")
    problems = concierge.find("#import-problems").text
    assert "3 Téléphone Numéro de téléphone invalide" in problems
    assert _search(stack, api, village_id, tag) == [], "nothing is written before confirming"
    concierge.screenshot("concierge-import-apercu", full_page=True)
    concierge.assert_fits_a_tablet()
    concierge.click("#confirm-import")
    concierge.wait_text("#import-result", "2 habitant·es importé·es")
    imported = {m["display_name"] for m in _search(stack, api, village_id, tag)}
    assert imported == {f"Noël Faurie{tag}", f"Élodie Mazière{tag}"}

    # the inhabitant's page: new phone, the tag "fragile", called rather than texted
    _menu(concierge, "Habitants")
    concierge.find("#q").send_keys(f"Faurie{tag}")
    concierge.click("form[role=search] button[type=submit]")
    _follow(concierge, f"Noël Faurie{tag}")
    email = concierge.find("#f-email")
    email.send_keys("pas-un-courriel")
    concierge.click("#h-edit ~ form button[type=submit]")
    assert concierge.text_of("#err-email")
    assert concierge.find("#f-email").get_attribute("value") == "pas-un-courriel"
    concierge.find("#f-email").clear()
    phone = concierge.find("#f-phone")
    phone.clear()
    phone.send_keys("01 99 00 41 09")
    concierge.click('input[name=tags][value="fragile"]')
    Select(concierge.find("#f-preferred_channel")).select_by_visible_text("téléphone")
    concierge.click("#h-edit ~ form button[type=submit]")
    concierge.wait_text(".notice[role=status]", "Modifications enregistrées")
    concierge.assert_fits_a_tablet()
    member_url = concierge.driver.current_url.split("?")[0]
    member_id = member_url.rsplit("/", 1)[1]
    member = requests.get(
        stack.url(f"/api/villages/{village_id}/members/{member_id}"), headers=api, timeout=10
    ).json()
    assert member["phone"] == "+33199004109" and set(member["tags"]) == {"fragile", "senior"}
    assert member["preferred_channel"] == "phone"

    # a parcel for her: she prefers a call, so she is on the list « à prévenir »
    def parcel_received():
        answer = requests.post(
            stack.url(f"/api/villages/{village_id}/parcels"),
            json={
                "member_id": member_id,
                "sender_kind": "la_poste",
                "place_kind": "shelf",
                "place": "B3",
            },
            headers=api,
            timeout=10,
        )
        return answer.status_code == 201  # once orders heard she is registered

    assert _until(parcel_received)

    def listed():
        _menu(concierge, "À prévenir")
        rows = concierge.driver.find_elements(By.XPATH, f"//tr[contains(., 'Faurie{tag}')]")
        return rows[0].get_attribute("id") if rows else None

    row = _until(listed)
    assert row, "the call is on the list"
    assert "01 99 00 41 09" in concierge.text_of(f"#{row}")
    assert "colis" in concierge.text_of(f"#{row}").lower()
    concierge.click(f"#{row} button[value=no_answer]")
    concierge.wait_text(f"#{row}", "1 appel sans réponse")
    concierge.screenshot("concierge-a-prevenir")
    concierge.assert_fits_a_tablet()
    concierge.click(f"#{row} button[value=reached]")
    concierge.wait_text(".notice[role=status]", "la personne est prévenue")
    done = requests.get(
        stack.url(f"/api/villages/{village_id}/notices"),
        params={"status": "done"},
        headers=api,
        timeout=10,
    ).json()
    (called,) = [n for n in done if n["member_id"] == member_id]
    assert called["unanswered_calls"] == 1

    # her data, as she may ask: the download the page links to
    concierge.open(member_url.removeprefix(stack.base_url))
    href = concierge.find("#export-member").get_attribute("href")
    download = requests.get(
        href, cookies={COOKIE: concierge.driver.get_cookie(COOKIE)["value"]}, timeout=30
    )
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.json()["member"]["last_name"] == f"Faurie{tag}"

    # erased, after the page said what goes and that it cannot be undone
    concierge.click("#erase-member")
    assert "01 99 00 41 09" in concierge.text_of("#erase-list")
    assert "ne peut pas être annulé" in concierge.driver.page_source
    concierge.assert_fits_a_tablet()
    concierge.click("#confirm-erase")
    assert concierge.text_of("#err-confirm")
    concierge.click("#confirm")
    concierge.click("#confirm-erase")
    concierge.wait_text(".notice[role=status]", "Les données de la personne ont été effacées")
    gone = requests.get(
        stack.url(f"/api/villages/{village_id}/members/{member_id}"), headers=api, timeout=10
    )
    assert gone.status_code == 404


def _type_time(browser, css, value):
    field = browser.find(css)
    field.send_keys(value.replace(":", ""))
    if field.get_attribute("value") != value:  # a time widget that reads keys its own way
        browser.driver.execute_script("arguments[0].value = arguments[1]", field, value)


def test_a_volunteer_is_registered_and_edited(stack, browsers):
    api = stack.login(CONCIERGE)
    village_id = _village(stack, api)
    tag = _letters()
    member = requests.post(
        stack.url(f"/api/villages/{village_id}/members"),
        json={"first_name": "Rose", "last_name": f"Chabrol{tag}", "phone": "01 99 00 42 01"},
        headers=api,
        timeout=10,
    ).json()
    concierge = browsers()
    concierge.log_in(CONCIERGE)
    _menu(concierge, "Bénévoles")
    _follow(concierge, "Inscrire un·e bénévole")
    concierge.find("#q").send_keys(f"Chabrol{tag}")
    concierge.click("form[role=search] button[type=submit]")
    # the page that found her (the one searched from has a #member_id too, and may still be there)
    concierge.wait(lambda d: "q=" in d.current_url)
    concierge.find(f'#member_id option[value="{member["id"]}"]')
    Select(concierge.find("#member_id")).select_by_value(member["id"])
    Select(concierge.find("#skill-jardinage")).select_by_visible_text("confirmé")
    _type_time(concierge, "#monday-1-start", "09:00")
    _type_time(concierge, "#monday-1-end", "12:00")
    concierge.find("#max_distance_km").send_keys("10")
    concierge.click("input[name=has_licence]")
    other_village = concierge.find("input[name=village_ids]")
    other_village_id = other_village.get_attribute("value")
    other_village.click()
    concierge.screenshot("concierge-benevole-nouveau", full_page=True)
    concierge.assert_fits_a_tablet()
    concierge.click("#volunteer-form button[type=submit]")
    concierge.wait_text(".notice[role=status]", "Bénévole inscrit·e")
    volunteer_id = concierge.driver.current_url.split("?")[0].rsplit("/", 1)[1]
    volunteer = requests.get(
        stack.url(f"/api/volunteers/{volunteer_id}"), headers=api, timeout=10
    ).json()
    assert volunteer["member_id"] == member["id"] and volunteer["has_licence"] is True
    assert [(s["skill"], s["level"]) for s in volunteer["skills"]] == [("jardinage", "confirme")]
    assert [(a["day"], a["start"], a["end"]) for a in volunteer["availability"]] == [
        ("monday", "09:00", "12:00")
    ]
    assert other_village_id in volunteer["village_ids"] and volunteer["max_distance_km"] == 10

    # edited: Wednesday afternoons too, a pause, and a new phone
    _type_time(concierge, "#wednesday-1-start", "14:00")
    _type_time(concierge, "#wednesday-1-end", "17:30")
    concierge.click("input[name=active]")
    concierge.click("#volunteer-form button[type=submit]")
    concierge.wait_text(".notice[role=status]", "Modifications enregistrées")
    phone = concierge.find("#c-phone")
    phone.clear()
    phone.send_keys("06 39 98 42 02")
    concierge.click("#h-contact ~ form button[type=submit]")
    volunteer = requests.get(
        stack.url(f"/api/volunteers/{volunteer_id}"), headers=api, timeout=10
    ).json()
    assert ("wednesday", "14:00", "17:30") in [
        (a["day"], a["start"], a["end"]) for a in volunteer["availability"]
    ]
    assert volunteer["active"] is False

    def phone_now():
        return requests.get(
            stack.url(f"/api/villages/{village_id}/members/{member['id']}"),
            headers=api,
            timeout=10,
        ).json()["phone"]

    assert _until(lambda: phone_now() == "+33639984202")
