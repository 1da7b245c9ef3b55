"""A concierge's parcels and round in a real browser, against the demo network: an inhabitant
found among 720 by typing and chosen with the keyboard alone; the pickup code shown once, sent
again, checked at the hand-over; a parcel returned after its confirmation, with no JavaScript at
all; today's round followed stop by stop. Each effect is read back through the API."""

import datetime

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from backbone.clock import PARIS
from tests.support.reliability import wait_until
from tests.support.truck_stops import sent, truck_stop

pytestmark = [pytest.mark.stack, pytest.mark.broker]

PAUL = "paul@maillage.test"  # Vialle-sur-Lac
KARIM = "karim@maillage.test"  # Saint-Aubin-des-Prés
JEANNE = "jeanne@maillage.test"  # Montcalvel, the truck
COORDINATOR = "coordination@maillage.test"
MANY = 720
THE_650TH = ("Hélène", "Zanetti")
CHUNK = 60


def _village(stack, slug):
    return stack.villages()[slug]


def _import_many(stack, village_id, headers):
    """MANY inhabitants, imported a spreadsheet of CHUNK at a time (one RPC each, within its
    deadline on a busy machine); the 650th is Hélène Zanetti. Her id."""
    ids = []
    for start in range(1, MANY + 1, CHUNK):
        rows = ["Prénom;Nom;Adresse"]
        for i in range(start, min(start + CHUNK, MANY + 1)):
            first, last = THE_650TH if i == 650 else ("Zéphirin", f"Habitant {i:04d}")
            rows.append(f"{first};{last};{i} chemin des Prés")
        answer = requests.post(
            stack.url(f"/api/villages/{village_id}/members/import"),
            headers={**headers, "Content-Type": "text/csv"},
            data="\n".join(rows).encode(),
            timeout=120,
        )
        assert answer.status_code == 200, answer.text[:500]
        ids += answer.json()["member_ids"]
    assert len(ids) == MANY
    wait_until(
        lambda: _orders_knows(stack, village_id, headers, ids[649]),
        timeout=90,
        interval=0.5,
        message="orders to know the imported inhabitants (member.registered, member.updated)",
    )
    return ids[649]


def _orders_knows(stack, village_id, headers, member_id) -> bool:
    """An order refused for its past date, not for its member: orders knows her (nothing is
    written either way)."""
    answer = requests.post(
        stack.url(f"/api/villages/{village_id}/orders"),
        headers=headers,
        timeout=10,
        json={
            "idempotency_key": f"knows-{member_id}",
            "member_id": member_id,
            "delivery_date": "2020-01-01",
            "fulfilment": "counter",
            "lines": [{"item_id": "00000000-0000-0000-0000-000000000000", "quantity": 1}],
        },
    )
    assert answer.status_code == 400, answer.text
    return "member_id" not in answer.json()["error"]["fields"]


def _parcel(stack, village_id, parcel_id, headers):
    answer = requests.get(
        stack.url(f"/api/villages/{village_id}/parcels/{parcel_id}"), headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _fill_parcel_form(browser, place):
    Select(browser.find("#sender_kind")).select_by_visible_text("La Poste")
    browser.find("#place").send_keys(place)


def test_among_720_inhabitants_the_650th_is_found_chosen_by_keyboard_and_collects_her_parcel(
    stack, browsers
):
    village = _village(stack, "vialle-sur-lac")
    api = stack.login(PAUL)
    helene = _import_many(stack, village, api)

    paul = browsers()
    paul.log_in(PAUL)
    paul.open(f"/console/villages/{village}/colis")
    field = paul.find("#member_id[role=combobox]")
    assert not paul.driver.find_elements(By.CSS_SELECTOR, "[data-picker-search]"), (
        "with JavaScript the combobox replaces the search button"
    )
    field.send_keys("helene")
    paul.find("#member_id-liste li[role=option]")
    # the keyboard alone: down the list to her, Enter chooses (and sends nothing)
    for _ in range(20):
        field.send_keys(Keys.ARROW_DOWN)
        active = paul.driver.find_element(By.ID, field.get_attribute("aria-activedescendant")).text
        if "Zanetti" in active:
            break
    field.send_keys(Keys.ENTER)
    assert field.get_attribute("value") == "Hélène Zanetti"
    assert field.get_attribute("aria-expanded") == "false"
    assert "/colis" in paul.driver.current_url and "colis/" not in paul.driver.current_url
    chosen = paul.find("input[type=hidden][name=member_id]").get_attribute("value")
    assert chosen == helene
    # Escape closes the list without choosing
    field.send_keys(Keys.BACKSPACE)
    paul.find("#member_id-liste li[role=option]")
    field.send_keys(Keys.ESCAPE)
    assert paul.find("#member_id-liste").get_attribute("hidden") is not None
    field.send_keys("i")  # "Hélène Zanetti" again, typed: not chosen until picked
    paul.find("#member_id-liste li[role=option]")
    field.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    _fill_parcel_form(paul, "Z9")
    paul.screenshot("colis-choix-habitant")
    paul.click("#receive-parcel")

    code = paul.text_of("#pickup-code")
    parcel_id = paul.driver.current_url.split("/colis/")[1].split("?")[0]
    parcel = _parcel(stack, village, parcel_id, api)
    assert parcel["member_id"] == helene and "pickup_code" not in parcel
    listed = requests.get(stack.url(f"/api/villages/{village}/parcels"), headers=api, timeout=10)
    assert parcel_id in listed.text and code not in listed.text
    paul.open(f"/console/villages/{village}/colis/{parcel_id}")
    paul.find("#parcel-status")
    assert not paul.driver.find_elements(By.ID, "pickup-code"), "shown once"

    paul.wait(lambda _d: _told(stack, village, api, "parcel.received"))  # members heard of it
    paul.click("#resend-code")
    assert "renvoyé" in paul.text_of("#code-resent") or "prévenue" in paul.text_of("#code-resent")
    assert _told(stack, village, api, "parcel.code_resent")

    wrong = "000000" if code != "000000" else "111111"
    paul.find("#code").send_keys(wrong)
    paul.click("#hand-over-parcel")
    error = paul.find("#err-code")
    assert error.text == "Code de retrait incorrect : rien n'a été remis."
    assert paul.find("#code").get_attribute("aria-describedby") == "err-code"
    paul.find("#code").send_keys(code)
    paul.click("#hand-over-parcel")
    paul.wait_text("#parcel-status", "Remis")
    assert _parcel(stack, village, parcel_id, api)["status"] == "handed_over"


def _told(stack, village, headers, source_type):
    """Whether the members service made a notice of this kind for the village."""
    answer = requests.get(
        stack.url(f"/api/villages/{village}/notices"), headers=headers, timeout=10
    )
    return answer.status_code == 200 and any(n["source_type"] == source_type for n in answer.json())


def test_without_javascript_the_picker_is_a_search_form_and_a_parcel_goes_back_once_confirmed(
    stack, browsers
):
    village = _village(stack, "saint-aubin-des-pres")
    api = stack.login(KARIM)
    made = requests.post(
        stack.url(f"/api/villages/{village}/members"),
        headers=api,
        json={
            "first_name": "Héloïse",
            "last_name": "Quintal",
            "address": "3 rue Haute",
            "preferred_channel": "counter",
        },
        timeout=10,
    )
    assert made.status_code == 201, made.text
    karim = browsers(javascript=False)
    karim.log_in(KARIM)
    karim.open(f"/console/villages/{village}/colis")
    _fill_parcel_form(karim, "R5")
    karim.find("#member_id").send_keys("HELOISE")
    karim.click("[data-picker-search]")
    karim.click(f'input[type=radio][value="{made.json()["id"]}"]')
    assert karim.find("#place").get_attribute("value") == "R5", "the answers are kept"
    karim.screenshot("colis-choix-sans-javascript")
    karim.click("#receive-parcel")
    karim.find("#pickup-code")
    parcel_id = karim.driver.current_url.split("/colis/")[1].split("?")[0]
    assert _parcel(stack, village, parcel_id, api)["member_id"] == made.json()["id"]

    karim.click("#return-parcel")
    assert "définitif" in karim.text_of("main")
    assert _parcel(stack, village, parcel_id, api)["status"] == "waiting", "not before confirming"
    karim.find("#reason").send_keys("Jamais venue")
    karim.screenshot("colis-retour-confirmation")
    karim.click("#confirm-return")
    karim.wait_text("#parcel-status", "Retourné à l'expéditeur")
    returned = _parcel(stack, village, parcel_id, api)
    assert returned["status"] == "returned" and returned["return_reason"] == "Jamais venue"


def test_a_concierge_follows_todays_round_stop_by_stop(stack, browsers):
    village = _village(stack, "montcalvel")
    coordinator = stack.login(COORDINATOR)
    [van] = [
        v
        for v in requests.get(stack.url("/api/vehicles"), headers=coordinator, timeout=10).json()
        if v["name"] == "Kangoo de la coopérative"
    ]
    today = datetime.datetime.now(PARIS).date().isoformat()
    planned = requests.post(
        stack.url(f"/api/villages/{village}/rounds"),
        headers=coordinator,
        json={
            "date": today,
            "vehicle_id": van["id"],
            "supplier_pickups": False,
            "truck_stops": [sent(truck_stop(stack, coordinator, village))],
        },
        timeout=20,
    )
    assert planned.status_code == 201, planned.text
    [stop] = [s for s in planned.json()["stops"] if s["kind"] == "truck_stop"]

    jeanne = browsers()
    jeanne.log_in(JEANNE)
    jeanne.click('nav a[href$="/tournee"]')
    item = f"#arret-{stop['id']}"
    assert "Arrêt du camion" in jeanne.text_of(item)
    assert "(Montcalvel) — arrivée vers 10 h 30, 45 min sur place" in jeanne.text_of(item)
    jeanne.click(f'{item} button[value="missed"]')
    assert jeanne.text_of(f"#err-note-{stop['id']}") == "Dites pourquoi l'arrêt a été manqué."
    jeanne.find(f"#note-{stop['id']}").send_keys("Place du marché barrée, arrêt reporté")
    jeanne.click(f'{item} button[value="missed"]')
    jeanne.wait_text(f"{item} [data-stop-status]", "Manqué")
    assert jeanne.text_of(f"{item} [data-stop-note]") == "Place du marché barrée, arrêt reporté"
    jeanne.screenshot("tournee-arret-manque", full_page=True)
    jeanne.click(f'{item} button[value="done"]')
    jeanne.wait_text(f"{item} [data-stop-status]", "Fait")

    seen = requests.get(
        stack.url(f"/api/villages/{village}/rounds/{planned.json()['id']}"),
        headers=stack.login(JEANNE),
        timeout=10,
    ).json()
    [after] = [s for s in seen["stops"] if s["id"] == stop["id"]]
    assert after["status"] == "done" and after["note"] == "Place du marché barrée, arrêt reporté"
