"""The coordinator's logistics and money in a real browser, against the demo network: a vehicle
added, changed and retired; a round planned for a day, a vehicle and two villages; a pooled supplier
order sent once confirmed; a campaign launched and closed once confirmed; a funding source recorded
and found in the coordination page's details. Each effect is checked through the API."""

import uuid
from datetime import timedelta

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from backbone.clock import PARIS, utcnow

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
CONCIERGES = {
    "bourg-aux-chenes": "lucie@maillage.test",
    "saint-aubin-des-pres": "karim@maillage.test",
}


def _today():
    return utcnow().astimezone(PARIS).date()


def _api(stack, method, path, headers, expected=200, **body):
    answer = requests.request(
        method, stack.url(path), headers=headers, json=body or None, timeout=15
    )
    assert answer.status_code == expected, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json()


def _choose(browser, css, text):
    """Pick the option whose visible text holds `text`, as a person reads the list."""
    select = Select(browser.find(css))
    for option in select.options:
        if text in option.text:
            select.select_by_visible_text(option.text)
            return
    raise AssertionError(f"{css} has no option {text!r}")


def _type(browser, css, text):
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def _type_date(browser, css, day):
    """A date typed into the browser's date field as a French keyboard does (jj mm aaaa)."""
    field = browser.find(css)
    field.send_keys(day.strftime("%d%m%Y"))
    if field.get_attribute("value") != day.isoformat():  # a browser without a date picker
        browser.driver.execute_script("arguments[0].value = arguments[1]", field, day.isoformat())
    assert field.get_attribute("value") == day.isoformat()


def _tick(browser, fieldset, text):
    for label in browser.find(fieldset).find_elements(By.CSS_SELECTOR, "label"):
        if label.text.strip().startswith(text):
            label.find_element(By.CSS_SELECTOR, "input").click()
            return
    raise AssertionError(f"no box {text!r} in {fieldset}")


def _coordinator(browsers):
    browser = browsers()
    browser.log_in(COORDINATOR)
    return browser


def _la_poste(stack, headers) -> str:
    return next(
        p["id"] for p in _api(stack, "GET", "/api/partners", headers) if p["name"] == "La Poste"
    )


def test_the_coordinator_adds_changes_and_retires_a_vehicle(stack, browsers):
    coordinator, headers = _coordinator(browsers), stack.login(COORDINATOR)
    name = f"Vélo cargo {uuid.uuid4().hex[:6]}"
    coordinator.click('header nav a[href="/console/coordination/tournees"]')
    coordinator.click('nav.tabs a[href="/console/coordination/vehicules"]')
    coordinator.assert_fits_a_tablet()
    _type(coordinator, "#f-name", name)
    _choose(coordinator, "#f-kind", "Vélo cargo")
    _type(coordinator, "#f-capacity", "six")
    _choose(coordinator, "#f-depot", "Montcalvel")
    _choose(coordinator, "#f-driver", "La Poste")
    coordinator.click("#vehicle-form button[type=submit]")
    coordinator.wait_text("#err-capacity", "Nombre entier attendu")
    assert coordinator.find("#f-name").get_attribute("value") == name  # what was typed stays
    _type(coordinator, "#f-capacity", "6")
    coordinator.click("#vehicle-form button[type=submit]")
    coordinator.wait_text("main .notice", "Véhicule ajouté")
    coordinator.screenshot("coordination-vehicule")

    _type(coordinator, "#f-capacity", "8")
    _choose(coordinator, "#f-kind", "Voiture")
    coordinator.click("#vehicle-change button[type=submit]")
    coordinator.wait_text("main .notice", "Modifications enregistrées")
    coordinator.click("#retire-link")
    coordinator.find("#confirm-retire")
    (asked,) = [v for v in _api(stack, "GET", "/api/vehicles", headers) if v["name"] == name]
    assert asked["active"] is True, "asking to retire is not retiring"
    coordinator.click("#confirm-retire")
    coordinator.wait_text("#vehicle-status", "Retiré du service")

    (vehicle,) = [v for v in _api(stack, "GET", "/api/vehicles", headers) if v["name"] == name]
    assert (vehicle["kind"], vehicle["capacity"], vehicle["active"]) == ("car", 8, False)
    assert vehicle["driver_partner_id"] == _la_poste(stack, headers)


def test_the_coordinator_plans_a_round_through_two_villages(stack, browsers):
    coordinator, headers = _coordinator(browsers), stack.login(COORDINATOR)
    villages = stack.villages()
    van = _api(
        stack,
        "POST",
        "/api/vehicles",
        headers,
        201,
        name=f"Fourgon {uuid.uuid4().hex[:6]}",
        depot_village_id=villages["bourg-aux-chenes"],
        capacity=40,
        driver_partner_id=_la_poste(stack, headers),
    )
    day = _today() + timedelta(days=45)
    coordinator.open("/console/coordination")
    coordinator.click('header nav a[href="/console/coordination/tournees"]')
    _type_date(coordinator, "#f-date", day)
    _choose(coordinator, "#f-vehicle", van["name"])
    _tick(coordinator, "#f-villages", "Le Bourg-aux-Chênes")
    # the truck's stop at a place of Montcalvel, a village the round does not serve: refused
    _choose(coordinator, "#truck-place-0", "Place de l'église")
    _type(coordinator, "#truck-time-0", "10h30")
    _type(coordinator, "#truck-duration-0", "45")
    coordinator.click("#round-form button[type=submit]")
    assert coordinator.text_of("#err-truck-place-0") == (
        "Ce village n'est pas desservi par la tournée (ou n'a pas de camion)."
    )
    assert coordinator.find("#truck-place-0").get_attribute("aria-invalid") == "true"
    # Montcalvel served without the truck's stop: asked for it, what was typed kept
    _tick(coordinator, "#f-villages", "Montcalvel")
    Select(coordinator.find("#truck-place-0")).select_by_index(0)
    coordinator.click("#round-form button[type=submit]")
    assert coordinator.text_of("#err-truck_stops").startswith(
        "Choisissez le lieu et l'heure de l'arrêt du camion à Montcalvel"
    )
    assert coordinator.find("#truck-time-0").get_attribute("value") == "10h30"
    _choose(coordinator, "#truck-place-0", "Place de l'église")
    _type(coordinator, "#truck-time-0", "midi")
    coordinator.click("#round-form button[type=submit]")
    assert coordinator.text_of("#err-truck-time-0") == "Une heure s'écrit HH:MM (ex. 18:00)."
    _type(coordinator, "#truck-time-0", "10h30")
    coordinator.assert_fits_a_tablet()
    coordinator.click("#round-form button[type=submit]")
    coordinator.wait_text("main .notice", "Tournée planifiée")
    coordinator.screenshot("coordination-tournee")
    stops = coordinator.text_of("#stops")
    assert "Arrêt du camion" in stops and "Montcalvel" in stops
    assert "Place de l'église (Montcalvel) — arrivée vers 10 h 30, 45 min sur place" in stops

    (planned,) = [
        r
        for r in _api(stack, "GET", f"/api/rounds?date={day.isoformat()}", headers)
        if r["vehicle_id"] == van["id"]
    ]
    assert set(planned["village_ids"]) == {villages["montcalvel"], villages["bourg-aux-chenes"]}
    assert coordinator.driver.current_url.endswith(
        f"/console/coordination/tournees/{planned['id']}?nouvelle=1"
    )


def _pooled_order(stack) -> dict:
    """Two villages order one shared supplier's item for its next delivery: one pooled order.

    The item is one both villages sell (the same offer, so the same delivery days and cut-off):
    the supplier's other items have cut-offs of their own, and a day one of them can still make
    may be closed for the other village's (at 18:00 on a Sunday, Tuesday's yoghurts close while
    Tuesday's milk is open until Monday)."""
    villages = stack.villages()
    shared = {}
    for slug, email in CONCIERGES.items():
        staff = stack.login(email)
        items = _api(
            stack, "GET", f"/api/villages/{villages[slug]}/counter/catalogue?available=1", staff
        )
        shared[slug] = (
            staff,
            {
                (i["partner_id"], i["name"]): i
                for i in items
                if i["shared_supplier"] and i["next_delivery_date"]
            },
        )
    both_sell = sorted(set.intersection(*(set(offers) for _staff, offers in shared.values())))
    supplier, name = both_sell[0]
    # the later of the two (a cut-off passing between the two reads): a day both can make
    day = max(offers[(supplier, name)]["next_delivery_date"] for _staff, offers in shared.values())
    for slug, (staff, offers) in shared.items():
        village_id = villages[slug]
        member = _api(stack, "GET", f"/api/villages/{village_id}/members", staff)[0]
        _api(
            stack,
            "POST",
            f"/api/villages/{village_id}/orders",
            staff,
            201,
            idempotency_key=str(uuid.uuid4()),
            member_id=member["id"],
            delivery_date=day,
            fulfilment="counter",
            lines=[{"item_id": offers[(supplier, name)]["item_id"], "quantity": 1}],
        )
    (pooled,) = [
        p
        for p in _api(stack, "GET", "/api/purchase-orders?status=open", stack.login(COORDINATOR))
        if p["supplier_partner_id"] == supplier and p["delivery_date"] == day
    ]
    both = {villages[slug] for slug in CONCIERGES}
    assert both <= set(pooled["village_ids"])
    return pooled


def test_the_coordinator_sends_a_pooled_supplier_order_once_confirmed(stack, browsers):
    pooled = _pooled_order(stack)
    coordinator, headers = _coordinator(browsers), stack.login(COORDINATOR)
    coordinator.click('header nav a[href="/console/coordination/tournees"]')
    coordinator.click('nav.tabs a[href="/console/coordination/commandes-groupees"]')
    coordinator.click(f'#purchase-orders a[href$="/{pooled["id"]}"]')
    per_village = coordinator.text_of("#per-village")
    assert "Le Bourg-aux-Chênes" in per_village and "Saint-Aubin" in per_village
    coordinator.assert_fits_a_tablet()
    coordinator.click("#send-link")
    coordinator.find("#confirm-send")
    assert _api(stack, "GET", f"/api/purchase-orders/{pooled['id']}", headers)["status"] == "open"
    coordinator.screenshot("coordination-commande-groupee")
    coordinator.click("#confirm-send")
    coordinator.wait_text("#purchase-order-status", "Envoyée au fournisseur")
    sent = _api(stack, "GET", f"/api/purchase-orders/{pooled['id']}", headers)
    assert sent["status"] == "sent" and sent["sent_at"]


def test_the_coordinator_launches_then_closes_a_campaign_and_records_a_grant(stack, browsers):
    coordinator, headers = _coordinator(browsers), stack.login(COORDINATOR)
    title = f"Four à pain {uuid.uuid4().hex[:6]}"
    coordinator.click('header nav a[href="/console/coordination/financements"]')
    coordinator.click('nav.tabs a[href="/console/coordination/campagnes"]')
    _type(coordinator, "#f-title", title)
    _choose(coordinator, "#f-village", "Vialle-sur-Lac")
    _type(coordinator, "#f-goal", "2 500")
    _type_date(coordinator, "#f-deadline", _today() + timedelta(days=60))
    _type(coordinator, "#f-purpose", "Un four à pain partagé à côté de l'épicerie")
    coordinator.assert_fits_a_tablet()
    coordinator.click("#campaign-form button[type=submit]")
    coordinator.wait_text("main .notice", "Campagne lancée")
    campaign_id = coordinator.driver.current_url.split("/campagnes/")[1].split("?")[0]
    campaign = _api(stack, "GET", f"/api/campaigns/{campaign_id}", headers)
    assert (campaign["title"], campaign["goal_cents"], campaign["status"]) == (
        title,
        250000,
        "running",
    )
    assert campaign["village_id"] == stack.villages()["vialle-sur-lac"]

    coordinator.click("#close-link")
    coordinator.find("#confirm-close")
    assert _api(stack, "GET", f"/api/campaigns/{campaign_id}", headers)["status"] == "running"
    coordinator.click("#confirm-close")
    coordinator.wait_text("#campaign-status", "Close sans atteindre")
    assert _api(stack, "GET", f"/api/campaigns/{campaign_id}", headers)["status"] == "failed"

    grant = f"Subvention LEADER {uuid.uuid4().hex[:6]}"
    coordinator.click('nav.tabs a[href="/console/coordination/financements"]')
    _choose(coordinator, "#f-kind", "Subvention publique")
    _type(coordinator, "#f-name", grant)
    _choose(coordinator, "#f-village", "Saint-Aubin")
    _type(coordinator, "#f-amount", "12 500,50")
    _type_date(coordinator, "#f-starts", _today())
    coordinator.assert_fits_a_tablet()
    coordinator.click("#funding-form button[type=submit]")
    coordinator.wait_text("main .notice", "Source de financement enregistrée")
    assert grant in coordinator.text_of("#funding-sources")
    (source,) = [s for s in _api(stack, "GET", "/api/funding", headers) if s["name"] == grant]
    assert (source["kind"], source["amount_cents"]) == ("public_grant", 1250050)

    coordinator.click('header nav a[href="/console/coordination"]')
    coordinator.wait(lambda d: grant in d.page_source)  # among the period's funding received
