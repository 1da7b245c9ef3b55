"""#24: the coordinator's console shows figures and organisations, never an inhabitant's personal
data (the API's rule). On the demo network, every page the coordinator can reach by its links,
every GET page of the console it may open, its CSV exports included, holds no demo inhabitant's
last name, phone or e-mail; the concierge of a village still reads them on her pages."""

from __future__ import annotations

import uuid

import pytest
import requests

from maillage.demo import INHABITANTS, VOLUNTEERS
from tests.support.console_crawl import PARAM, crawl, get_pages_of, visited
from tests.support.pdf_text import pdf_texts

pytestmark = [pytest.mark.stack, pytest.mark.broker]

COORDINATOR = "coordination@maillage.test"
LUCIE = "lucie@maillage.test"  # Bourg-aux-Chênes: Marcelle Vergne's order, Raymond Chassagne's


def _phones(phone: str) -> set[str]:
    digits = phone.replace(" ", "")
    return {phone, digits, "+33" + digits[1:], "+33 " + phone[1:]}


def _people() -> list[tuple[str, set[str]]]:
    """(last name, its phones and e-mail) of every inhabitant and volunteer of the demo."""
    people = []
    for group in INHABITANTS.values():
        for first, last, phone, _tags, channel, _consents in group:
            marks = _phones(phone)
            if channel == "email":
                marks.add(f"{first.lower().replace('è', 'e')}.{last.lower()}@example.org")
            people.append((last, marks))
    for _slug, _first, last, phone, *_rest in VOLUNTEERS:
        people.append((last, _phones(phone)))
    return people


# volunteers who chose to be known to the whole network (DESIGN: "personal data only where the
# person consented to be shared"): the coordinator may name them as drivers, never phone them
SHARED = {last for _s, _f, last, *_r, network_visible in VOLUNTEERS if network_visible}


def _leaks(address: str, text: str) -> list[str]:
    found = []
    for last, marks in _people():
        if last in text and not (address.startswith("/console/coordination") and last in SHARED):
            found.append(last)
        found += [mark for mark in marks if mark in text]
    return found


def _session(stack, email) -> requests.Session:
    session = requests.Session()
    signed_in = stack.console_sign_in(session, email, allow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text[:300]
    return session


@pytest.fixture(scope="module")
def coordinator_walk(stack):
    session = _session(stack, COORDINATOR)
    villages = stack.villages().values()
    start = ["/console/coordination"] + [
        f"/console/villages/{v}/{tail}"
        for v in villages
        for tail in ("aujourdhui", "commandes", "colis", "coups-de-main", "suggestions")
    ]
    pages = crawl(session, stack.base_url, start)
    some_village = next(iter(villages))

    def fill(match):
        return some_village if match.group(1) == "village_id" else str(uuid.uuid4())

    # a page no link leads to is opened with made-up ids: its "not found" page is read too
    for spec in get_pages_of("coordinator"):
        if not visited(spec, pages) and not spec.path.endswith("/flux"):
            address = PARAM.sub(fill, spec.path)
            pages[address] = session.get(stack.url(address), timeout=30, allow_redirects=False)
    return pages


def test_the_coordinator_reads_no_inhabitants_name_phone_or_email_on_any_page(coordinator_walk):
    def text(response) -> str:
        if "pdf" in response.headers.get("Content-Type", ""):  # the impact report
            return " ".join(pdf_texts(response.content))
        return response.text

    leaks = {address: _leaks(address, text(r)) for address, r in coordinator_walk.items()}
    assert {a: found for a, found in leaks.items() if found} == {}
    assert all(r.status_code < 500 for r in coordinator_walk.values())


def test_the_walk_reached_the_pages_that_name_people_for_a_concierge(coordinator_walk):
    """Real orders, parcels and help requests were opened (not only their "not found" pages), and
    every CSV export of the coordination page."""
    opened = [a for a, r in coordinator_walk.items() if r.status_code == 200]
    for part in ("/commandes/", "/colis/", "/coups-de-main/", "/animations/", "/export/"):
        assert any(part in a for a in opened), part
    assert sum(".csv" in a for a in opened) >= 5
    assert any(a.startswith("/console/coordination/rapport.pdf") for a in opened)


def test_forms_choosing_an_inhabitant_are_the_concierges_only(stack, coordinator_walk):
    village = stack.villages()["bourg-aux-chenes"]
    session = _session(stack, COORDINATOR)
    refused = session.get(
        stack.url(f"/console/villages/{village}/commandes/nouvelle"), allow_redirects=False
    )
    assert refused.status_code == 403
    assert "réservées au concierge" in refused.text
    for tail in ("colis", "coups-de-main", "suggestions"):
        page = coordinator_walk[f"/console/villages/{village}/{tail}"]
        assert page.status_code == 200
        assert 'name="member_id"' not in page.text
        assert 'name="requester_member_id"' not in page.text


def test_a_concierge_still_reads_her_inhabitants_on_her_village_pages(stack):
    village = stack.villages()["bourg-aux-chenes"]
    session = _session(stack, LUCIE)
    pages = crawl(
        session,
        stack.base_url,
        [f"/console/villages/{village}/{t}" for t in ("commandes", "colis", "coups-de-main")],
        limit=60,
    )
    text = "".join(r.text for r in pages.values())
    assert "Vergne" in text  # Marcelle's order
    assert "Chassagne" in text  # Raymond's parcel and help request
