"""Issue 25 end to end on the demo network: the coordinator issues the demo commune's read-only
link from its console page; the commune opens it without an account and reads the figures of the
village it funds (Saint-Aubin-des-Prés) and none other, for a quarter it chooses, and downloads
the impact report; another commune's link shows that commune's village only; once revoked, the
link and the cookie it left are refused with a French page."""

import re
import uuid
from datetime import date

import pytest
import requests

from tests.support.coordination import body_rows, parse_dom

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
DEMO_COMMUNE = "Commune de Saint-Aubin-des-Prés"


def link_page(partner_id):
    return f"/console/coordination/partenaires/{partner_id}/lien-commune"


def console(stack):
    session = requests.Session()
    signed_in = stack.console_sign_in(session, COORDINATOR)
    assert signed_in.status_code == 200, signed_in.text[:300]
    return session


def csrf_of(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def issue(stack, coordinator, partner_id) -> str:
    page = coordinator.get(stack.url(link_page(partner_id)), timeout=15)
    assert page.status_code == 200, page.text[:500]
    issued = coordinator.post(
        stack.url(link_page(partner_id)), data={"csrf": csrf_of(page.text)}, timeout=15
    )
    assert issued.status_code == 200, issued.text[:500]
    return parse_dom(issued.text).by_id("lien").attrs["value"]


def villages_shown(html) -> list[str]:
    return [row[0] for row in body_rows(parse_dom(html).by_id("table-activite"))]


def test_a_commune_reads_its_village_only_and_loses_it_once_revoked(stack):
    api = stack.login(COORDINATOR)
    names = {
        v["slug"]: v["name"]
        for v in requests.get(stack.url("/api/villages"), headers=api, timeout=10).json()
    }
    partners = requests.get(stack.url("/api/partners"), headers=api, timeout=10).json()
    commune = next(p for p in partners if p["name"] == DEMO_COMMUNE)
    coordinator = console(stack)
    listed = coordinator.get(stack.url("/console/coordination/communes"), timeout=15)
    assert link_page(commune["id"]) in listed.text

    link = issue(stack, coordinator, commune["id"])
    assert link.startswith(stack.url("/commune/"))
    reader = requests.Session()
    opened = reader.get(link, timeout=30)
    assert opened.status_code == 200 and opened.url == stack.url("/commune"), opened.text[:500]
    assert DEMO_COMMUNE in opened.text
    assert villages_shown(opened.text) == [names["saint-aubin-des-pres"], "Total"]
    for other in ("bourg-aux-chenes", "montcalvel", "vialle-sur-lac"):
        assert names[other] not in opened.text

    quarter = f"{date.today().year}-T1"
    chosen = reader.get(stack.url("/commune"), params={"periode": quarter}, timeout=30)
    assert chosen.status_code == 200
    shown = parse_dom(chosen.text).by_id("periode-affichee").text()
    assert f"1 janvier {date.today().year} au" in shown
    report = reader.get(stack.url("/commune/rapport.pdf"), params={"periode": quarter}, timeout=60)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")

    # another commune, funding another village, reads that village only
    other = requests.post(
        stack.url("/api/partners"),
        headers=api,
        timeout=10,
        json={"name": f"Commune de Montcalvel {uuid.uuid4().hex[:4]}", "kind": "local_authority"},
    )
    assert other.status_code == 201, other.text
    montcalvel = stack.villages()["montcalvel"]
    grant = requests.post(
        stack.url("/api/funding"),
        headers=api,
        timeout=10,
        json={
            "kind": "public_grant",
            "name": "Aide communale au multiservice",
            "village_id": montcalvel,
            "partner_id": other.json()["partner"]["id"],
            "amount_cents": 150000,
            "starts_on": f"{date.today().year}-01-01",
        },
    )
    assert grant.status_code == 201, grant.text
    other_reader = requests.Session()
    other_page = other_reader.get(
        issue(stack, coordinator, other.json()["partner"]["id"]), timeout=30
    )
    assert villages_shown(other_page.text) == [names["montcalvel"], "Total"]

    # revoked after a confirmation: the cookie left and the link itself are refused
    confirm = coordinator.get(stack.url(link_page(commune["id"]) + "/retirer"), timeout=15)
    assert "Confirmer le retrait du lien" in confirm.text
    revoked = coordinator.post(
        stack.url(link_page(commune["id"]) + "/retirer"),
        data={"csrf": csrf_of(confirm.text)},
        timeout=15,
    )
    assert revoked.status_code == 200 and "Le lien a été retiré" in revoked.text
    left = {"maillage_commune": link.rsplit("/", 1)[1]}
    for answer in (
        requests.get(stack.url("/commune/rapport.pdf"), cookies=left, timeout=15),
        reader.get(stack.url("/commune"), timeout=15),
        requests.get(link, timeout=15),
    ):
        assert answer.status_code == 410 and "coordination" in answer.text
    # the refusal took the cookie away: the page now only says how to get in
    assert "maillage_commune" not in reader.cookies
    assert other_reader.get(stack.url("/commune"), timeout=15).status_code == 200
