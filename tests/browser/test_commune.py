"""A commune reads its conciergeries' figures in the browser (#25): the coordinator creates its
link from the menu, the commune opens it (no script, no account), chooses a quarter, reads its
village's figures at a tablet's width and downloads its report; once the coordinator has revoked
the link (after confirming), the commune's next click says to ask the coordination."""

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COMMUNE = "Commune de Saint-Aubin-des-Prés"


def _withdraw(coordination) -> None:
    """The link in force withdrawn from its page, after confirming."""
    coordination.click("#retirer")
    coordination.click("main form button[type=submit]")
    coordination.wait_text("#lien-retire", "Le lien a été retiré")


def test_a_commune_opens_its_link_and_reads_its_villages_figures(browsers, stack):
    coordination = browsers()
    coordination.log_in("coordination@maillage.test")
    coordination.driver.find_element(By.LINK_TEXT, "Réseau").click()
    coordination.wait(lambda d: d.current_url.endswith("/console/coordination/villages"))
    coordination.driver.find_element(By.LINK_TEXT, "Communes").click()
    coordination.wait(lambda d: d.current_url.endswith("/console/coordination/communes"))
    coordination.driver.find_element(By.LINK_TEXT, COMMUNE).click()
    if coordination.driver.find_elements(By.ID, "retirer"):  # issued by a test sharing the network
        _withdraw(coordination)
    coordination.wait_text("#lien-en-vigueur", "Aucun lien en vigueur")
    coordination.click("#creer-lien")
    link = coordination.find("#lien").get_attribute("value")
    assert link.startswith(stack.base_url + "/commune/")

    commune = browsers(javascript=False)
    commune.driver.get(link)
    commune.wait(lambda d: d.current_url == stack.base_url + "/commune")
    assert COMMUNE in commune.text_of("h1")
    rows = commune.driver.find_elements(By.CSS_SELECTOR, "#table-activite tbody th")
    assert [r.text for r in rows] == ["Saint-Aubin-des-Prés", "Total"]
    select = Select(commune.find("#periode"))
    quarter = next(o.text for o in select.options if o.text.startswith("1er trimestre"))
    year = quarter.rsplit(" ", 1)[1]
    select.select_by_visible_text(quarter)
    commune.click("form.period button[type=submit]")
    commune.wait_text("#periode-affichee", f"1 janvier {year} au")
    commune.assert_fits_a_tablet()
    commune.screenshot("commune")
    cookie = commune.driver.get_cookie("maillage_commune")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    href = commune.find("#rapport").get_attribute("href")
    report = requests.get(href, cookies={"maillage_commune": cookie["value"]}, timeout=60)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")

    _withdraw(coordination)

    commune.click("form.period button[type=submit]")
    commune.wait_text("#lien-refuse", "Demandez un nouveau lien à la coordination")
