"""The coordinator's back-office in the browser (#24), done as a person would: a village created,
opened and closed (with its confirmation); a partner registered for it, its key shown once, edited,
rotated and revoked; a delivery the partner missed sent again from the parked list; a staff account
created without a password, reset, its owner choosing a password from the code, then disabled.
Each effect is checked through the API. And the coordinator never reads an inhabitant's name."""

import time
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from backbone.db import Database
from services.partners.models import Delivery

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
R = "/console/coordination"


def _type(browser, css, text):
    field = browser.find(css)
    field.clear()
    field.send_keys(text)


def _api(stack, method, path, headers=None, **kwargs):
    headers = headers or stack.login(COORDINATOR)
    return requests.request(method, stack.url(path), headers=headers, timeout=15, **kwargs)


def _eventually(check, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _park(stack, delivery_id):
    """What MAILLAGE_WEBHOOK_MAX_ATTEMPTS failures would do, without waiting for their pauses."""
    database = Database(f"sqlite:///{stack.data_dir / 'partners.db'}", source="partners")
    try:
        with database.unit_of_work() as uow:
            row = uow.session.scalar(select(Delivery).where(Delivery.id == delivery_id))
            row.status, row.attempts = "parked", 8
            row.last_error = row.last_error or "ConnectionError"
            uow.commit()
    finally:
        database.dispose()


def _open_menu(browser, label):
    """The menu's « Réseau », then its tab: two clicks from any page."""
    browser.driver.find_element(By.LINK_TEXT, "Réseau").click()
    browser.find("nav.tabs")
    browser.driver.find_element(By.CSS_SELECTOR, "nav.tabs").find_element(
        By.LINK_TEXT, label
    ).click()
    browser.find("main h1")


def test_a_village_and_its_partner_from_creation_to_a_redelivery_and_closing(stack, browsers):
    tag = uuid.uuid4().hex[:6]
    slug, name = f"saint-setiers-{tag}", f"Saint-Setiers {tag}"
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)

    # a village, created in preparation, then opened
    _open_menu(coordinator, "Villages")
    for field, text in (
        ("#v-name", name),
        ("#v-slug", slug),
        ("#v-commune", "Saint-Setiers"),
        ("#v-insee_code", "19230"),
        ("#v-postcode", "19290"),
    ):
        _type(coordinator, field, text)
    Select(coordinator.find("#v-status")).select_by_value("preparing")
    coordinator.click("#create-village")
    coordinator.wait_text("#village-created", name)
    village = next(v for v in _api(stack, "GET", "/api/villages").json() if v["slug"] == slug)
    assert village["status"] == "preparing"

    # a partner serving it, its key shown once
    _open_menu(coordinator, "Partenaires")
    _type(coordinator, "#p-name", f"Ferme des Monédières {tag}")
    Select(coordinator.find("#p-kind")).select_by_value("producer")
    coordinator.click("#rel-supplier")
    _type(coordinator, "#contact-0-name", "Anne Roux")
    _type(coordinator, "#contact-0-phone", "05 55 00 11 22")

    coordinator.click(f"#pv-{village['id']}")

    def registered():  # the partners service learns the new village from its event
        coordinator.click("#register-partner")
        coordinator.find("main h1")
        return bool(coordinator.driver.find_elements(By.ID, "api-key"))  # else: the form, kept

    assert _eventually(registered), "the partner was not registered"
    key = coordinator.text_of("#api-key")
    coordinator.screenshot("backoffice-partenaire-cle")
    partner_id = _api(stack, "GET", "/api/partner/me", {"X-API-Key": key}).json()["id"]
    me = _api(stack, "GET", "/api/partner/me", {"X-API-Key": key}).json()
    assert me["village_ids"] == [village["id"]] and me["relationships"] == ["supplier"]

    # the partner subscribes to its village's changes; its endpoint does not answer
    hook = _api(
        stack,
        "POST",
        "/api/partner/webhooks",
        {"X-API-Key": key},
        json={"url": "https://hooks.invalid/maillage", "event_types": ["village.status_changed"]},
    )
    assert hook.status_code == 201, hook.text

    _open_menu(coordinator, "Villages")
    coordinator.click(f"#village-{slug} .move-open")
    coordinator.click("#change-status")
    coordinator.wait_text(f"#village-{slug} .village-status", "Ouverte")
    assert _api(stack, "GET", f"/api/villages/{village['id']}").json()["status"] == "open"

    def tried():
        page = _api(stack, "GET", f"/api/deliveries?partner_id={partner_id}").json()
        return [d for d in page["items"] if d["attempts"] >= 1]

    [missed] = _eventually(tried)
    _park(stack, missed["id"])

    # the parked list, and the partner's deliveries sent again
    _open_menu(coordinator, "Envois aux partenaires")
    table = coordinator.text_of("#parked")
    assert f"Ferme des Monédières {tag}" in table and "village.status_changed" in table
    coordinator.screenshot("backoffice-envois")
    buttons = coordinator.driver.find_elements(By.CSS_SELECTOR, ".redeliver-partner")
    next(b for b in buttons if tag in b.text).click()
    coordinator.wait_text("#redelivered", "1 envoi renvoyé")
    again = _api(stack, "GET", f"/api/deliveries/{missed['id']}").json()
    assert again["status"] == "pending" and again["attempts"] <= 1

    # the partner edited, its key rotated (after a confirmation), then revoked
    coordinator.open(f"{R}/partenaires/{partner_id}")
    coordinator.click("#rel-logistics")
    _type(coordinator, "#contact-1-name", "Paul Roux")
    _type(coordinator, "#contact-1-email", "paul@monedieres.example")
    coordinator.click("#save-partner")
    coordinator.find("#partner-saved")
    edited = _api(stack, "GET", f"/api/partners/{partner_id}").json()
    assert set(edited["relationships"]) == {"supplier", "logistics"}
    assert [c["name"] for c in edited["contacts"]] == ["Anne Roux", "Paul Roux"]

    coordinator.click("#rotate-key")
    coordinator.click("#confirm-rotate")
    new_key = coordinator.text_of("#api-key")
    assert new_key != key
    assert _api(stack, "GET", "/api/partner/me", {"X-API-Key": key}).status_code == 401
    assert _api(stack, "GET", "/api/partner/me", {"X-API-Key": new_key}).status_code == 200
    coordinator.click("#revoke-keys")
    coordinator.click("#confirm-revoke")
    coordinator.find("#keys-revoked")
    assert _api(stack, "GET", "/api/partner/me", {"X-API-Key": new_key}).status_code == 401

    # closing is final: it waits for its confirmation
    _open_menu(coordinator, "Villages")
    coordinator.click(f"#village-{slug} .move-closed")
    _type(coordinator, "#s-reason", "Local vendu")
    coordinator.click("#change-status")
    coordinator.find("#confirm-close")
    assert _api(stack, "GET", f"/api/villages/{village['id']}").json()["status"] == "open"
    coordinator.screenshot("backoffice-fermer-village")
    coordinator.click("#confirm-close")
    coordinator.wait_text(f"#village-{slug} .village-status", "Fermée")
    closed = _api(stack, "GET", f"/api/villages/{village['id']}").json()
    assert (closed["status"], closed["status_reason"]) == ("closed", "Local vendu")


def test_a_staff_account_is_created_reset_used_and_disabled(stack, browsers):
    tag = uuid.uuid4().hex[:6]
    email = f"marie-{tag}@maillage.test"
    village_id = stack.villages()["bourg-aux-chenes"]
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    _open_menu(coordinator, "Comptes")
    _type(coordinator, "#a-full_name", "Marie Lachaud")
    _type(coordinator, "#a-email", email)
    Select(coordinator.find("#a-role")).select_by_value("concierge")
    Select(coordinator.find("#a-village_id")).select_by_value(village_id)
    coordinator.click("#create-account")
    coordinator.find("#account-created")
    [account] = [a for a in _api(stack, "GET", "/api/staff").json() if a["email"] == email]
    assert (account["role"], account["village_id"], account["active"]) == (
        "concierge",
        village_id,
        True,
    )

    # no e-mail sender in a trial: the coordinator resets and gives the code shown once
    coordinator.click("#reset-password")
    coordinator.click("#confirm-reset")
    code = coordinator.text_of("#reset-code")
    coordinator.screenshot("backoffice-compte-reinitialise")

    marie = browsers()
    marie.open(f"/console/mot-de-passe?courriel={email}&code={code}")
    _type(marie, "#password", "mon-mot-de-passe-a-moi")
    _type(marie, "#confirmation", "mon-mot-de-passe-a-moi")
    marie.click("form button[type=submit]")
    marie.find("[role=status]")
    marie.log_in(email, "mon-mot-de-passe-a-moi")
    assert marie.driver.current_url.endswith(f"/console/villages/{village_id}/aujourdhui")

    coordinator.open(f"{R}/comptes/{account['id']}")
    coordinator.click("#disable-account")
    coordinator.click("#confirm-disable")
    coordinator.wait_text("#account-state", "Désactivé")
    [account] = [a for a in _api(stack, "GET", "/api/staff").json() if a["email"] == email]
    assert not account["active"]
    refused = requests.post(
        stack.url("/api/auth/login"),
        json={"email": email, "password": "mon-mot-de-passe-a-moi"},
        timeout=15,
    )
    assert refused.status_code == 401


def test_the_coordinator_reads_figures_of_a_villages_people_never_a_name(stack, browsers):
    village_id = stack.villages()["bourg-aux-chenes"]
    coordinator = browsers()
    coordinator.log_in(COORDINATOR)
    coordinator.open(f"/console/villages/{village_id}/benevoles")
    count = int(coordinator.text_of("#inhabitant-count"))
    assert count >= 1
    assert not coordinator.driver.find_elements(By.LINK_TEXT, "Habitants"), "not in the menu"
    coordinator.screenshot("backoffice-benevoles-chiffres")
    coordinator.open(f"/console/villages/{village_id}/habitants")
    assert "réservées au" in coordinator.text_of("[role=alert]")
    names = _names_the_concierge_sees(stack, village_id)
    for path in ("benevoles", "habitants"):
        coordinator.open(f"/console/villages/{village_id}/{path}")
        page = coordinator.driver.page_source
        assert names and not any(name in page for name in names), path


DEMO_CONCIERGES = [f"{name}@maillage.test" for name in ("lucie", "karim", "jeanne", "paul")]


def _names_the_concierge_sees(stack, village_id):
    """The village's inhabitants, as its own concierge reads them."""
    for email in DEMO_CONCIERGES:
        headers = stack.login(email)
        if _api(stack, "GET", "/api/me", headers).json()["village_id"] == village_id:
            found = _api(stack, "GET", f"/api/villages/{village_id}/members", headers).json()
            return [m["display_name"] for m in found if m.get("display_name")]
    return []
