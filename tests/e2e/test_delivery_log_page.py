"""The delivery log's console page (issue 25 point 3), on the demo network: a parcel received for
an inhabitant reached by e-mail shows there as sent once the service sent it; the filter keeps
only the state asked; the page is the village's concierge's alone (another village's concierge
and the coordinator, who never sees whom a message went to, get 403)."""

import uuid

import pytest
import requests

from tests.support.reliability import wait_until

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _console(stack, email):
    session = requests.Session()
    assert stack.console_sign_in(session, email).status_code == 200
    return session


def test_the_concierge_reads_what_was_sent_and_only_she_may(stack):
    lucie = stack.login("lucie@maillage.test")
    bourg = stack.villages()["bourg-aux-chenes"]
    surname = f"Journal{uuid.uuid4().hex[:6]}"
    member = requests.post(
        stack.url(f"/api/villages/{bourg}/members"),
        headers=lucie,
        timeout=10,
        json={
            "first_name": "Odile",
            "last_name": surname,
            "email": f"{surname.lower()}@example.org",
            "preferred_channel": "email",
            "consents": ["contact"],
            "confirm_duplicate": True,
        },
    )
    assert member.status_code == 201, member.text

    def received():  # once orders knows her (member.registered, through the broker)
        answer = requests.post(
            stack.url(f"/api/villages/{bourg}/parcels"),
            headers=lucie,
            timeout=10,
            json={
                "member_id": member.json()["id"],
                "sender_kind": "la_poste",
                "place_kind": "shelf",
                "place": "C3",
                "idempotency_key": f"journal-{surname}",
            },
        )
        assert answer.status_code in (201, 400), answer.text
        return answer if answer.status_code == 201 else None

    wait_until(received, timeout=30, message="the parcel received once orders knows her")

    page_url = stack.url(f"/console/villages/{bourg}/envois")
    console = _console(stack, "lucie@maillage.test")

    def sent_line():
        page = console.get(page_url, params={"etat": "sent"}, timeout=10)
        assert page.status_code == 200
        return page.text if f"Odile {surname}" in page.text else None

    text = wait_until(
        sent_line, timeout=60, interval=0.5, message="the parcel's e-mail in the log, sent"
    )
    assert "colis arrivé" in text and "e-mail" in text and "envoyé" in text

    parked = console.get(page_url, params={"etat": "parked"}, timeout=10)
    assert parked.status_code == 200 and surname not in parked.text
    unknown_state = console.get(page_url, params={"etat": "<script>"}, timeout=10)
    assert unknown_state.status_code == 200 and "<script>" not in unknown_state.text

    for other in ("karim@maillage.test", "coordination@maillage.test"):
        refused = _console(stack, other).get(page_url, timeout=10, allow_redirects=False)
        assert refused.status_code == 403, other
        assert surname not in refused.text
