"""The villages' public pages in a browser that runs no script, against the demo network: from the
network's list to a village's page, every part there and readable (issue 25 point 4)."""

import pytest
from selenium.webdriver.common.by import By

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def test_someone_without_javascript_finds_a_village_and_its_truck_stops(browsers):
    visitor = browsers(javascript=False)
    visitor.open("/villages")
    visitor.click('a[href="/village/montcalvel"]')
    visitor.wait(lambda d: d.current_url.endswith("/village/montcalvel"))
    assert visitor.text_of("h1") == "Montcalvel (camion multiservice)"
    stops = [h.text for h in visitor.driver.find_elements(By.CSS_SELECTOR, "#arrets h3")]
    # the demo's three stops, in their order; other browser tests sharing this network may add
    # one (tests/browser/test_catalogue_places.py)
    demo = ["Place de l'église", "Hameau de Chadebec", "Place du Foirail"]
    assert [name for name in (s.split(" (")[0] for s in stops) if name in demo] == demo
    assert visitor.find("#catalogue").is_displayed() and visitor.find("#animations").is_displayed()
    assert "Miel de châtaignier" in visitor.text_of("#catalogue")
    assert "06 39 98 90 03" in visitor.text_of("#contact")
    visitor.screenshot("public-village-camion")
    visitor.open("/village/bourg-aux-chenes")
    assert "Noël : fermé" in visitor.text_of("#horaires")
    visitor.screenshot("public-village-bourg")
