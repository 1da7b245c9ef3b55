"""Issue #25, point 5, in Chromium: a commuter asks for a sign-in link at /moi, opens it and orders
for the locker; a volunteer accepts the coup de main proposed to them; the concierge sees both on
their pages, then ends the commuter's sessions. A link used twice, an expired link and another
person's pages are refused."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from selenium.webdriver.common.by import By
from sqlalchemy import update

from backbone.db import Database
from services.members.models import PersonalLink
from tests.support.personal import (
    ask_link,
    links_sent,
    make_volunteer,
    new_member,
    next_link,
    propose_help,
)

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _sign_in_by_link(browser, stack, email):
    already = len(links_sent(stack, email))
    browser.open("/moi")
    browser.find("#contact").send_keys(email)
    browser.click("#ask-link")
    browser.find("#link-sent")
    link = next_link(stack, email, already)
    browser.open(link)
    browser.click("#sign-in")
    browser.wait(lambda d: d.current_url.endswith("/moi"))
    browser.find("#h-orders")
    return link


def test_a_commuter_orders_for_the_locker_a_volunteer_accepts_and_the_concierge_sees_both(
    stack, browsers
):
    bourg = stack.villages()["bourg-aux-chenes"]
    lucie = stack.login("lucie@maillage.test")
    commuter, commuter_email = new_member(stack, bourg, lucie)
    requester, _ = new_member(stack, bourg, lucie)
    helper, helper_email = new_member(stack, bourg, lucie)
    help_id = propose_help(stack, bourg, lucie, requester, make_volunteer(stack, lucie, helper))

    # the commuter: a link, then an order for the locker
    person = browsers()
    link = _sign_in_by_link(person, stack, commuter_email)
    person.click("a[href='/moi/commander']")
    person.find("input.qty").send_keys("1")
    person.click("input[name=fulfilment][value=locker]")
    person.screenshot("moi-commander")
    person.click("#place-order")
    person.find("#order-placed")
    assert "Casier" in person.text_of("#my-orders")
    orders = requests.get(
        stack.url(f"/api/villages/{bourg}/orders"), headers=lucie, timeout=10
    ).json()
    mine = [o for o in orders if o["member_id"] == commuter]
    assert len(mine) == 1 and mine[0]["fulfilment"] == "locker"

    # the volunteer: the coup de main proposed, accepted
    volunteer = browsers()
    _sign_in_by_link(volunteer, stack, helper_email)
    volunteer.click("a[href='/moi/coups-de-main']")
    volunteer.find(f"#help-{help_id}")
    volunteer.screenshot("moi-coups-de-main")
    volunteer.click(f"#help-{help_id} button.accept")
    volunteer.find("#answered")
    state = requests.get(
        stack.url(f"/api/villages/{bourg}/help-requests/{help_id}"), headers=lucie, timeout=10
    ).json()
    assert state["status"] == "accepted" and state["volunteer_member_id"] == helper

    # the concierge sees both
    concierge = browsers()
    concierge.log_in("lucie@maillage.test")
    concierge.open(f"/console/villages/{bourg}/commandes/{mine[0]['id']}")
    assert concierge.text_of("#order-status")
    concierge.open(f"/console/villages/{bourg}/coups-de-main/{help_id}")
    concierge.wait_text("#help-status", "Accepté")

    # refused: the link again, an expired link, another person's pages
    other = browsers()
    other.open(link)
    other.click("#sign-in")
    assert "plus valable" in other.text_of("#link-error")
    already = len(links_sent(stack, commuter_email))
    ask_link(requests.Session(), stack, commuter_email)
    expired = next_link(stack, commuter_email, already)
    database = Database(f"sqlite:///{stack.data_dir / 'members.db'}", source="members")
    try:
        with database.unit_of_work() as uow:
            uow.session.execute(
                update(PersonalLink)
                .where(PersonalLink.member_id == commuter, PersonalLink.used_at.is_(None))
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
            uow.commit()
    finally:
        database.dispose()
    other.open(expired)
    other.click("#sign-in")
    assert "plus valable" in other.text_of("#link-error")
    person.open("/moi/coups-de-main")
    assert "pas inscrit·e comme bénévole" in person.text_of("main")
    assert help_id not in person.driver.page_source

    # the concierge ends the commuter's sessions, confirmed
    concierge.open(f"/console/villages/{bourg}/habitants/{commuter}/acces")
    concierge.click("#end-sessions")
    concierge.click("#confirm-end")
    concierge.find("#ended")
    person.open("/moi")
    person.find("#ask-link")
    assert person.driver.find_elements(By.CSS_SELECTOR, "#h-orders") == []
