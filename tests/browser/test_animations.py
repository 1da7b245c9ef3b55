"""A concierge's animations in Chromium, as she does them: set one up with everything the events
service takes (a repeat, volunteer roles, a co-organising partner, an invited village), correcting
the field the page points at; change the places and see who moves up from the waiting list; cancel
one after the confirmation page has said who will be told. Each effect is checked through the
API."""

import datetime

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.page_checks import resize

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CONCIERGE = "lucie@maillage.test"  # Bourg-aux-Chênes
INVITED = "jeanne@maillage.test"  # Montcalvel
HOST_SLUG, INVITED_SLUG = "bourg-aux-chenes", "montcalvel"


@pytest.fixture
def village(stack):
    """The host village's id, its concierge's API headers and two of its members."""
    headers = stack.login(CONCIERGE)
    village_id = stack.villages()[HOST_SLUG]
    members = requests.get(
        stack.url(f"/api/villages/{village_id}/members"), headers=headers, timeout=15
    ).json()
    return village_id, headers, members[:2]


def _api(stack, method, path, headers, **kwargs):
    answer = requests.request(method, stack.url(path), headers=headers, timeout=15, **kwargs)
    assert answer.status_code < 300, f"{path}: {answer.status_code} {answer.text[:300]}"
    return answer.json()


def _animation(stack, village_id, headers, title, capacity):
    start = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=9)
    return _api(
        stack,
        "POST",
        f"/api/villages/{village_id}/animations",
        headers,
        json={
            "kind": "cafe",
            "title": title,
            "place": "Café associatif",
            "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
            "capacity": capacity,
        },
    )


def _type(browser, css, text):
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def _pick_date(browser, css, day: datetime.date):
    """A date chosen in the native date field. Its parts' order (jj/mm/aaaa or mm/dd/yyyy) follows
    the machine's locale, not the page's, so the value is set as the picker sets it."""
    field = browser.find(css)
    browser.driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        field,
        day.isoformat(),
    )
    assert field.get_attribute("value") == day.isoformat()


def _pick_time(browser, css, clock: str):
    field = browser.find(css)
    field.send_keys(clock.replace(":", ""))
    assert field.get_attribute("value") == clock


def _tick(browser, label_text):
    """The checkbox whose label says `label_text`."""
    label = browser.wait(
        lambda d: next(
            (
                el
                for el in d.find_elements(By.CSS_SELECTOR, "label.check")
                if el.text.strip() == label_text
            ),
            None,
        )
    )
    label.find_element(By.TAG_NAME, "input").click()


def test_a_concierge_sets_up_a_weekly_animation_with_roles_a_partner_and_an_invited_village(
    stack, browsers, village
):
    village_id, headers, _members = village
    invited_id = stack.villages()[INVITED_SLUG]
    concierge = browsers()
    concierge.log_in(CONCIERGE)
    concierge.open(f"/console/villages/{village_id}/animations")
    day = datetime.date.today() + datetime.timedelta(days=14)

    Select(concierge.find("#kind")).select_by_visible_text("Aide numérique")
    _type(concierge, "#title", "Permanence numérique du jeudi")
    _pick_date(concierge, "#day", day)
    _pick_time(concierge, "#start", "14:00")
    _pick_time(concierge, "#end", "16:30")
    _type(concierge, "#capacity", "6")
    Select(concierge.find("#frequency")).select_by_visible_text("Chaque semaine")
    _type(concierge, "#count", "4")
    _type(concierge, "#role-0-name", "accueil")
    _type(concierge, "#role-0-needed", "1")
    _type(concierge, "#role-1-name", "aide sur les tablettes")
    _type(concierge, "#role-1-needed", "2")
    _tick(concierge, "Association Coups de main du Plateau")
    _tick(concierge, "Montcalvel (camion multiservice)")
    concierge.click("#h-new-anim ~ form button[type=submit]")

    # the place was forgotten: said beside it, everything else still there
    concierge.wait_text("#err-place", "Champ obligatoire.")
    assert concierge.find("#place").get_attribute("aria-describedby") == "err-place"
    assert concierge.find("#title").get_attribute("value") == "Permanence numérique du jeudi"
    assert concierge.find("#count").get_attribute("value") == "4"
    assert concierge.find("#role-1-name").get_attribute("value") == "aide sur les tablettes"
    assert concierge.find("#day").get_attribute("value") == day.isoformat()
    ticked = [
        el.find_element(By.XPATH, "..").text.strip()
        for el in concierge.driver.find_elements(By.CSS_SELECTOR, "input[type=checkbox]:checked")
    ]
    assert sorted(ticked) == [
        "Association Coups de main du Plateau",
        "Montcalvel (camion multiservice)",
    ]
    _type(concierge, "#place", "Médiathèque")
    concierge.click("#h-new-anim ~ form button[type=submit]")

    concierge.wait_text("main .notice", "4 animations programmées")
    concierge.screenshot("concierge-animation-programmee")
    made = [
        a
        for a in _api(stack, "GET", f"/api/villages/{village_id}/animations", headers)
        if a["title"] == "Permanence numérique du jeudi"
    ]
    assert len(made) == 4 and len({a["series_id"] for a in made}) == 1
    starts = sorted(datetime.datetime.fromisoformat(a["starts_at"]) for a in made)
    assert [(b - a).days for a, b in zip(starts, starts[1:], strict=False)] == [7, 7, 7]
    first = made[0]
    assert (first["kind"], first["place"]) == ("aide_numerique", "Médiathèque")
    assert first["capacity"] == 6
    assert {(r["role"], r["needed"]) for r in first["roles"]} == {
        ("accueil", 1),
        ("aide sur les tablettes", 2),
    }
    assert first["invited_village_ids"] == [invited_id]
    coordinator = stack.login("coordination@maillage.test")
    partners = {p["name"]: p["id"] for p in _api(stack, "GET", "/api/partners", coordinator)}
    assert first["co_organiser_ids"] == [partners["Association Coups de main du Plateau"]]
    invited_calendar = _api(
        stack, "GET", f"/api/villages/{invited_id}/animations", stack.login(INVITED)
    )
    assert sum(a["title"] == "Permanence numérique du jeudi" for a in invited_calendar) == 4

    concierge.open(f"/console/villages/{village_id}/animations")
    concierge.find("#role-3-needed")
    concierge.assert_fits_a_tablet()  # the long form without sideways scroll
    resize(concierge.driver, 768, 1024)
    height = concierge.driver.execute_script("return document.documentElement.scrollHeight")
    resize(concierge.driver, 768, min(height + 140, 6000))
    concierge.screenshot("concierge-animations-768")


def test_more_places_move_the_waiting_list_up_and_fewer_than_registered_are_refused(
    stack, browsers, village
):
    village_id, headers, members = village
    animation = _animation(stack, village_id, headers, "Café des aidants", capacity=1)
    path = f"/api/villages/{village_id}/animations/{animation['id']}"
    for member in members:
        _api(stack, "POST", path + "/registrations", headers, json={"member_id": member["id"]})
    assert _api(stack, "GET", path, headers)["waiting"] == 1

    concierge = browsers()
    concierge.log_in(CONCIERGE)
    concierge.open(f"/console/villages/{village_id}/animations/{animation['id']}")
    _type(concierge, "#capacity", "3")
    concierge.click("#h-places ~ form button[type=submit]")
    concierge.wait_text("#capacity-changed", "Places : 1 → 3.")
    assert "1 personne passe de la liste d'attente" in concierge.text_of("#capacity-changed")
    assert concierge.text_of("#promoted") == members[1]["display_name"]
    concierge.screenshot("concierge-animation-places")
    after = _api(stack, "GET", path, headers)
    assert (after["capacity"], after["registered"], after["waiting"]) == (3, 2, 0)

    _type(concierge, "#capacity", "1")
    concierge.click("#h-places ~ form button[type=submit]")
    refused = concierge.text_of("#err-capacity")
    assert "déjà inscrites" in refused and concierge.find("#capacity").get_attribute("value") == "1"
    assert _api(stack, "GET", path, headers)["capacity"] == 3


def test_a_concierge_cancels_an_animation_after_being_told_who_will_be_told(
    stack, browsers, village
):
    village_id, headers, members = village
    animation = _animation(stack, village_id, headers, "Repas de quartier", capacity=1)
    path = f"/api/villages/{village_id}/animations/{animation['id']}"
    _api(stack, "POST", path + "/registrations", headers, json={"member_id": members[0]["id"]})
    _api(
        stack,
        "POST",
        path + "/registrations",
        headers,
        json={"guest_name": "Mme Invitée", "guest_phone": "05 55 66 77 88"},
    )

    concierge = browsers()
    concierge.log_in(CONCIERGE)
    concierge.open(f"/console/villages/{village_id}/animations/{animation['id']}")
    concierge.click("#cancel-link")
    concierge.wait_text("#told", "2 personnes inscrites ou en liste d'attente seront prévenues")
    told = concierge.text_of("#h-told ~ ul")
    assert "1 habitant·e est prévenu·e" in told and "1 personne invitée est à appeler" in told
    assert _api(stack, "GET", path, headers)["status"] == "scheduled", "nothing before confirming"
    _type(concierge, "#reason", "La salle est inondée.")
    concierge.screenshot("concierge-animation-annulation")
    concierge.click("#confirm-cancel")

    concierge.wait_text("#animation-status", "Annulée")
    assert "La salle est inondée." in concierge.text_of("#cancelled")
    assert "Mme Invitée" in concierge.text_of("#guests-to-call")
    assert not concierge.driver.find_elements(By.CSS_SELECTOR, "#cancel-link")
    after = _api(stack, "GET", path, headers)
    assert (after["status"], after["cancel_reason"]) == ("cancelled", "La salle est inondée.")
    calendar = _api(stack, "GET", f"/api/villages/{village_id}/animations", headers)
    assert next(a for a in calendar if a["id"] == animation["id"])["status_label"] == "Annulée"
