"""The commune's read-only space (#25) on a real gateway container and the real broker, the
services replaced by the coordination page's fakes (tests/support/commune.py): the link puts its
token in a cookie and leaves the address; the page shows the commune's villages only, for a
period chosen by name; a bad period is said beside its field; a refused link is a French page that
sets no cookie; the coordinator's link pages are the coordinator's only, writes need the form's
token, and the link issued is shown once."""

import re
import socket
import uuid

import pytest
import requests

from gateway import auth
from gateway.access_log import without_query
from gateway.console.framework import COOKIE as STAFF_COOKIE
from gateway.service import GatewayService
from tests.support.commune import COMMUNE, GOOD_TOKEN, LINKS, REVOKED_TOKEN, FakeCommunePartners
from tests.support.coordination import (
    CALLS,
    FakeEvents,
    FakeMembers,
    FakeOrders,
    body_rows,
    parse_dom,
)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]
LINK_PAGE = f"/console/coordination/partenaires/{COMMUNE['partner_id']}/lien-commune"


@pytest.fixture
def gateway(nameko_config, container_factory, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "commune-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "5")
    CALLS.clear()
    LINKS.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (FakeMembers, FakeOrders, FakeCommunePartners, FakeEvents):
        container_factory(cls, config).start()
    container = container_factory(GatewayService, config)
    container.start()
    yield f"http://127.0.0.1:{port}"
    CALLS.clear()


def staff(role, village_id=None):
    token = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": role, "village_id": village_id, "full_name": "X"}
    )
    session = requests.Session()
    session.cookies.set(STAFF_COOKIE, token)
    return session


def test_the_link_becomes_a_cookie_and_the_page_shows_the_communes_villages_only(gateway):
    session = requests.Session()
    opened = session.get(f"{gateway}/commune/{GOOD_TOKEN}", allow_redirects=False, timeout=30)
    assert opened.status_code == 303 and opened.headers["Location"] == "/commune"
    cookie = opened.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/commune" in cookie
    assert opened.headers["Referrer-Policy"] == "no-referrer"

    page = session.get(f"{gateway}/commune?periode=2026-T1", timeout=30)
    assert page.status_code == 200, page.text[:2000]
    assert GOOD_TOKEN not in page.text
    dom = parse_dom(page.text)
    assert dom.by_id("periode-affichee").text().startswith("Du jeudi 1 janvier 2026 au")
    shown = [row[0] for row in body_rows(dom.by_id("table-activite"))]
    assert shown == ["Village 002", "Village 005", "Total"]
    asked = [c for c in CALLS if c[1] == "village_figures"]
    assert len(asked) == 4 and all(
        c[2] == ("2026-01-01", "2026-03-31", ["v002", "v005"]) for c in asked
    )

    report = session.get(f"{gateway}/commune/rapport.pdf?periode=2026", timeout=60)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")


def test_a_period_not_offered_is_said_beside_its_field(gateway):
    session = requests.Session()
    session.get(f"{gateway}/commune/{GOOD_TOKEN}", timeout=30)
    for period in ("2026-13", "1999", "<script>", "9" * 500):
        page = session.get(f"{gateway}/commune", params={"periode": period}, timeout=30)
        assert page.status_code == 400
        dom = parse_dom(page.text)
        assert dom.by_id("err-periode").text() == "Choisissez une période dans la liste."
        assert 'aria-describedby="err-periode"' in page.text
        assert period not in page.text  # not typed back: the list's own choice is kept


@pytest.mark.parametrize("token", [REVOKED_TOKEN, "not-a-token", "a" * 300])
def test_a_refused_link_says_to_ask_the_coordination_and_sets_no_cookie(gateway, token):
    refused = requests.get(f"{gateway}/commune/{token}", allow_redirects=False, timeout=30)
    assert refused.status_code == 410
    assert "demandez un nouveau lien à la coordination" in refused.text.lower()
    assert "maillage_commune=" not in refused.headers.get("Set-Cookie", "") or (
        "Max-Age=0" in refused.headers["Set-Cookie"]
    )
    with_old_cookie = requests.get(
        f"{gateway}/commune", cookies={"maillage_commune": REVOKED_TOKEN}, timeout=30
    )
    assert with_old_cookie.status_code == 410
    assert "Max-Age=0" in with_old_cookie.headers["Set-Cookie"]
    assert (
        requests.get(f"{gateway}/commune/rapport.pdf", timeout=30)
        .headers["Content-Type"]
        .startswith("text/html")
    )


def test_only_the_coordinator_opens_the_link_pages_and_sees_the_link_once(gateway):
    concierge = staff("concierge", "v002")
    for path in (LINK_PAGE, LINK_PAGE + "/retirer", "/console/coordination/communes"):
        assert concierge.get(gateway + path, allow_redirects=False, timeout=30).status_code == 403

    coordinator = staff("coordinator")
    page = coordinator.get(gateway + LINK_PAGE, timeout=30)
    assert page.status_code == 200 and "Aucun lien en vigueur" in page.text
    forged = coordinator.post(gateway + LINK_PAGE, data={"csrf": "0" * 64}, timeout=30)
    assert forged.status_code == 403 and not LINKS, "nothing issued without the form's token"

    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    issued = coordinator.post(gateway + LINK_PAGE, data={"csrf": csrf}, timeout=30)
    assert issued.status_code == 200 and f"/commune/{GOOD_TOKEN}" in issued.text
    assert issued.headers["Cache-Control"] == "no-store"
    again = coordinator.get(gateway + LINK_PAGE, timeout=30)
    assert GOOD_TOKEN not in again.text and "valable jusqu'au" in again.text

    # a second link replaces the first only after a confirmation
    replace = coordinator.post(
        gateway + LINK_PAGE, data={"csrf": csrf}, allow_redirects=False, timeout=30
    )
    assert replace.status_code == 303 and replace.headers["Location"].endswith("/remplacer")
    asked = coordinator.get(gateway + LINK_PAGE + "/retirer", timeout=30)
    assert "Confirmer le retrait du lien" in asked.text and LINKS
    coordinator.post(gateway + LINK_PAGE + "/retirer", data={"csrf": csrf}, timeout=30)
    assert not LINKS


def test_the_access_log_never_holds_a_communes_link():
    assert (
        without_query(f"GET /commune/{GOOD_TOKEN}?x=1 HTTP/1.1") == "GET /commune/<lien> HTTP/1.1"
    )
    assert without_query("GET /commune/rapport.pdf?periode=2026 HTTP/1.1") == (
        "GET /commune/rapport.pdf HTTP/1.1"
    )
    assert without_query("GET /commune HTTP/1.1") == "GET /commune HTTP/1.1"
