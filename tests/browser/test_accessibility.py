"""Every console page a person opens, found in gateway.console.framework.PAGES (a page added later
is checked too), opened in Chromium as a concierge (their village) and as the coordinator: no
serious or critical axe-core violation, no horizontal scroll at 768 px nor at 1024×768, and a first
load under 150 KB (issue #24). The checks: tests/support/page_checks.py."""

import re
from datetime import date, timedelta

import pytest
import requests

import gateway.service  # noqa: F401  (its pages fill PAGES)
from gateway.console.framework import PAGES
from tests.support import page_checks

# each role's crawl takes minutes: the two may run on two workers (shared out further, each share
# opens most pages again for their links: more work in all, and a slower suite)
pytestmark = [pytest.mark.stack, pytest.mark.broker, pytest.mark.spread]

CONCIERGES = [f"{name}@maillage.test" for name in ("lucie", "karim", "jeanne", "paul")]
COORDINATOR = "coordination@maillage.test"


@pytest.fixture(scope="module", autouse=True)
def _axe_installed():
    if not page_checks.AXE.exists():
        pytest.fail(page_checks.AXE_MISSING)


def _itinerant_concierge(stack) -> tuple[str, dict]:
    """The demo concierge whose village is served by a truck (it has stops: their pages too)."""
    villages = {
        v["id"]: v
        for v in requests.get(
            stack.url("/api/villages"), headers=stack.login(COORDINATOR), timeout=10
        ).json()
    }
    for email in CONCIERGES:
        me = requests.get(stack.url("/api/me"), headers=stack.login(email), timeout=10).json()
        if villages[me["village_id"]].get("kind") == "itinerant":
            return email, villages[me["village_id"]]
    raise AssertionError("no demo village is itinerant")


def _seed(stack, email: str, village_id: str) -> None:
    """What a concierge adds in a minute and the demo data may lack: a truck's stop, a permanence
    and pooled orders, so that their pages (edit, remove, put on the shelf) are reached by their
    links."""
    headers = stack.login(email)
    stops = requests.get(
        stack.url(f"/api/villages/{village_id}/stops"), headers=headers, timeout=10
    ).json()
    if not stops:
        added = requests.post(
            stack.url(f"/api/villages/{village_id}/stops"),
            headers=headers,
            json={"name": "Place de l'église", "commune": "Le Bourg", "weekly": []},
            timeout=10,
        )
        assert added.status_code in (200, 201), added.text
    session = requests.Session()
    stack.console_sign_in(session, email)
    page = session.get(stack.url(f"/console/villages/{village_id}/horaires"), timeout=10)
    if "/permanences/" not in page.text:
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        added = session.post(
            stack.url(f"/console/villages/{village_id}/horaires"),
            data={
                "csrf": csrf,
                "action": "permanence",
                "perm-name": "La Poste",
                "perm-day": "tuesday",
                "perm-opens": "9h00",
                "perm-closes": "11h00",
            },
            timeout=10,
        )
        assert "/permanences/" in added.text, added.text[-2000:]
    _pooled_orders(stack, headers, village_id)


def _pooled_orders(stack, headers: dict, village_id: str) -> None:
    """Two pooled supplier orders with the village's share: one sent, so that the stock page links
    to putting its goods on the shelf, and one left open, so that the coordinator's list of open
    ones links to a pooled order however many a test sharing this network has sent. Their delivery
    days are two and three weeks after the next one: the pooled order of the next day stays open
    for the tests that send it themselves."""
    items = requests.get(
        stack.url(f"/api/villages/{village_id}/counter/catalogue?available=1"),
        headers=headers,
        timeout=10,
    ).json()
    item = next(i for i in items if i["shared_supplier"] and i["next_delivery_date"])
    member = requests.get(
        stack.url(f"/api/villages/{village_id}/members"), headers=headers, timeout=10
    ).json()[0]
    sent_day, open_day = (
        date.fromisoformat(item["next_delivery_date"]) + timedelta(days=days) for days in (14, 21)
    )
    for day in (sent_day, open_day):
        placed = requests.post(
            stack.url(f"/api/villages/{village_id}/orders"),
            headers=headers,
            json={
                "idempotency_key": f"axe-pooled-{village_id}-{day}",
                "member_id": member["id"],
                "delivery_date": day.isoformat(),
                "fulfilment": "counter",
                "lines": [{"item_id": item["item_id"], "quantity": 1}],
            },
            timeout=10,
        )
        assert placed.status_code in (200, 201), placed.text
    coordinator = stack.login(COORDINATOR)
    pooled = requests.get(
        stack.url("/api/purchase-orders?status=open"), headers=coordinator, timeout=10
    ).json()
    for purchase_order in pooled:
        if purchase_order["delivery_date"] == sent_day.isoformat():
            sent = requests.post(
                stack.url(f"/api/purchase-orders/{purchase_order['id']}/send"),
                headers=coordinator,
                timeout=10,
            )
            assert sent.status_code == 200, sent.text


# the pages behind a link the coordinator hands out (a commune's, a driver's): checked as the
# coordinator reaches them, not looked for in a concierge's console
HANDED_OUT = ("/commune/<token>", "/chauffeur/<round_id>/<signature>")


def _csrf(page) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def _seed_coordination(stack) -> dict:
    """What the coordinator makes and the demo data lacks: a grappe, and a commune's link (shown
    once, when issued: its token is what a crawl cannot find in a link). Answers {"token": ...}."""
    session = requests.Session()
    stack.console_sign_in(session, COORDINATOR)
    grappes = session.get(stack.url("/console/coordination/grappes"), timeout=10)
    if not re.search(r'href="/console/coordination/grappes/[0-9a-f-]{36}"', grappes.text):
        # two villages the browser's grappe test leaves free (it groups Montcalvel and Vialle),
        # whichever of the two tests reaches this worker's network first
        ids = stack.villages()
        villages = [ids["bourg-aux-chenes"], ids["saint-aubin-des-pres"]]
        created = session.post(
            stack.url("/console/coordination/grappes"),
            data={
                "csrf": _csrf(grappes),
                "name": "Grappe du plateau",
                "village_ids": villages,
                "depot_village_id": villages[0],
                "depot_place": "Salle des fêtes",
            },
            timeout=10,
        )
        assert "nouvelle=1" in created.url, created.text[-2000:]
    communes = session.get(stack.url("/console/coordination/communes"), timeout=10)
    partner_id = re.search(r"/partenaires/([0-9a-f-]{36})/lien-commune", communes.text).group(1)
    link_page = stack.url(f"/console/coordination/partenaires/{partner_id}/lien-commune")
    page = session.get(link_page, timeout=10)
    if 'id="remplacer"' in page.text:  # a link issued by an earlier test: a new one replaces it
        link_page += "/remplacer"
        page = session.get(link_page, timeout=10)
    issued = session.post(link_page, data={"csrf": _csrf(page)}, timeout=10)
    return {"token": re.search(r"/commune/([A-Za-z0-9_-]{20,})", issued.text).group(1)}


def _village_of(stack, email: str) -> dict:
    own = requests.get(stack.url("/api/me"), headers=stack.login(email), timeout=10).json()
    villages = requests.get(
        stack.url("/api/villages"), headers=stack.login(COORDINATOR), timeout=10
    ).json()
    return next(v for v in villages if v["id"] == own["village_id"])


def _check_as(stack, browsers, role: str) -> list:
    """Every page in a village with a counter (its parcels, help requests...), then the village
    pages not reached there in the village served by a truck (its stops), and what is still left
    (the coordinator's pages reached from there)."""
    itinerant_email, itinerant = _itinerant_concierge(stack)
    _seed(stack, itinerant_email, itinerant["id"])
    paths = page_checks.html_pages(PAGES, (role,))
    known = {}
    if role == "coordinator":
        known = _seed_coordination(stack)
    else:
        paths = [p for p in paths if p not in HANDED_OUT]
    results, pending = [], paths
    for email, village in (
        (CONCIERGES[0], _village_of(stack, CONCIERGES[0])),
        (itinerant_email, itinerant),
    ):
        if results:  # the second village: its list pages again (their links), and what is left
            pending = [
                p for p in paths if p in pending or ("<village_id>" in p and p.count("<") == 1)
            ]
        browser = browsers()
        browser.log_in(email if role == "concierge" else COORDINATOR)
        found, pending = page_checks.check_pages(
            browser.driver,
            stack.base_url,
            pending,
            {**known, "village_id": village["id"], "slug": village["slug"]},
        )
        results += found
    assert not pending, f"no page of the demo data links to {sorted(pending)}"
    return results


@pytest.mark.parametrize("role", ["concierge", "coordinator"])
def test_every_console_page_is_accessible_fits_768_px_and_weighs_under_150_kb(
    stack, browsers, role
):
    results = _check_as(stack, browsers, role)
    checked = {r.path for r in results}
    # the discovery found the pages this person works with, not an empty list
    assert "/console/villages/<village_id>/commandes/<order_id>" in checked
    assert "/console/villages/<village_id>/horaires/arrets/<stop_id>/supprimer" in checked
    if role == "coordinator":
        assert {
            "/console/coordination",
            "/console/coordination/rapport",
            "/console/coordination/tournees/<round_id>",  # the demo van's round
        } <= checked
    problems = [problem for r in results for problem in r.problems()]
    assert not problems, "\n".join(problems)
    assert all(r.weight > 0 for r in results)
