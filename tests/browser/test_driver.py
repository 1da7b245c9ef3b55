"""The driver in a real browser, against the demo network: the coordinator plans today's round
through Montcalvel and opens its driver's link from the round's page; on a phone-sized window
(390 px wide, no sideways scrolling) the driver is refused a « Manqué » without a note, then closes
the truck's stop; Montcalvel's concierge, her « Aujourd'hui » page already open, sees it done
without reloading (the live feed)."""

import datetime
import uuid

import pytest
import requests

from backbone.clock import PARIS
from tests.support.page_checks import resize
from tests.support.truck_stops import sent, truck_stop

pytestmark = [pytest.mark.stack, pytest.mark.broker]

JEANNE = "jeanne@maillage.test"  # Montcalvel, the truck
COORDINATOR = "coordination@maillage.test"


def _api(stack, method, path, headers, expected=200, **body):
    answer = requests.request(
        method, stack.url(path), headers=headers, json=body or None, timeout=20
    )
    assert answer.status_code == expected, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json()


def test_the_driver_closes_a_stop_on_a_phone_and_the_concierge_sees_it_live(stack, browsers):
    village = stack.villages()["montcalvel"]
    headers = stack.login(COORDINATOR)
    carrier = next(
        p["id"] for p in _api(stack, "GET", "/api/partners", headers) if p["name"] == "La Poste"
    )
    vehicle = _api(
        stack,
        "POST",
        "/api/vehicles",
        headers,
        201,
        name=f"Fourgon {uuid.uuid4().hex[:6]}",
        depot_village_id=village,
        capacity=30,
        driver_partner_id=carrier,
    )
    today = datetime.datetime.now(PARIS).date().isoformat()
    place = truck_stop(stack, headers, village, arrives_at="09:15", duration_minutes=30)
    planned = _api(
        stack,
        "POST",
        f"/api/villages/{village}/rounds",
        headers,
        201,
        date=today,
        vehicle_id=vehicle["id"],
        supplier_pickups=False,
        truck_stops=[sent(place)],
    )
    [stop] = [s for s in planned["stops"] if s["kind"] == "truck_stop"]
    item = f"#arret-{stop['id']}"

    jeanne = browsers()
    jeanne.log_in(JEANNE)
    jeanne.open(f"/console/villages/{village}/aujourdhui")
    jeanne.wait_text("#live-today", f"(À faire, {vehicle['name']})")

    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open(f"/console/coordination/tournees/{planned['id']}")
    link = coordinator.find("#driver-link").get_attribute("href")
    driver = browsers()
    resize(driver.driver, 390, 844)  # a phone
    driver.driver.get(link)
    assert "Arrêt du camion" in driver.text_of(item)
    # where the truck parks in the village, and when
    assert f"{place['name']} (Montcalvel) — arrivée vers 9 h 15, 30 min sur place" in (
        driver.text_of(f"{item} [data-truck-place]")
    )
    wide = driver.driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1], f"the driver's page scrolls sideways: {wide}"
    driver.click(f'{item} button[value="missed"]')
    assert driver.text_of(f"#err-note-{stop['id']}") == "Dites pourquoi l'arrêt a été manqué."
    driver.find(f"#note-{stop['id']}").send_keys("Livré au café, la place est en travaux")
    driver.click(f'{item} button[value="done"]')
    driver.wait_text(f"{item} [data-stop-status]", "Fait")
    driver.screenshot("chauffeur-arret-fait", full_page=True)

    # the concierge's page, never reloaded, shows the stop done
    jeanne.wait_text("#live-today", f"(Fait, {vehicle['name']})")
    seen = _api(
        stack, "GET", f"/api/villages/{village}/rounds/{planned['id']}", stack.login(JEANNE)
    )
    [after] = [s for s in seen["stops"] if s["id"] == stop["id"]]
    assert after["status"] == "done" and after["note"] == "Livré au café, la place est en travaux"

    tampered = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
    assert requests.get(tampered, timeout=10).status_code == 404
