"""#24 in Chromium: the coordinator goes from the coordination page to a village and reads its day,
parcels, orders and coups de main without a single inhabitant's name; the forms that name one are
not offered, and opened by their address they are refused."""

import requests

from maillage.demo import INHABITANTS

COORDINATOR = "coordination@maillage.test"
CONCIERGE = "lucie@maillage.test"  # Bourg-aux-Chênes
LAST_NAMES = [person[1] for people in INHABITANTS.values() for person in people]


def _named(page_source: str) -> list[str]:
    return [name for name in LAST_NAMES if name in page_source]


def test_the_coordinator_reads_a_villages_counter_without_names(stack, browsers):
    village = requests.get(stack.url("/api/me"), headers=stack.login(CONCIERGE), timeout=10).json()[
        "village_id"
    ]
    parcels = requests.get(
        stack.url(f"/api/villages/{village}/parcels"), headers=stack.login(CONCIERGE), timeout=10
    ).json()
    assert any(p["member_name"] for p in parcels)  # the concierge's API names them

    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.click(f'a[href="/console/villages/{village}/aujourdhui"]')
    coordinator.find("#h-parcels")
    assert _named(coordinator.driver.page_source) == []
    assert "Prendre une commande" not in coordinator.driver.page_source

    coordinator.click(f'nav a[href="/console/villages/{village}/colis"]')
    assert "sans le nom de leurs destinataires" in coordinator.text_of("#figures-only")
    assert not coordinator.driver.find_elements("css selector", "#member_id")
    coordinator.click(f'table a[href^="/console/villages/{village}/colis/"]')
    assert coordinator.text_of("h1") == "Colis pour Habitant·e"
    assert _named(coordinator.driver.page_source) == []

    coordinator.click(f'nav a[href="/console/villages/{village}/coups-de-main"]')
    coordinator.find("#figures-only")
    assert _named(coordinator.driver.page_source) == []
    coordinator.screenshot("coordination-coups-de-main-sans-noms")

    coordinator.click(f'nav a[href="/console/villages/{village}/commandes"]')
    coordinator.find("h1")
    assert _named(coordinator.driver.page_source) == []
    assert "Prendre une commande" not in coordinator.driver.page_source
    coordinator.open(f"/console/villages/{village}/commandes/nouvelle")
    assert "réservées au concierge" in coordinator.text_of("[role=alert]")

    concierge = browsers()
    concierge.log_in(CONCIERGE)
    concierge.click(f'nav a[href="/console/villages/{village}/colis"]')
    assert _named(concierge.driver.page_source)  # hers, by name
