"""The parcels, inhabitant picker and round pages of the concierge's console, on a real gateway and
broker in front of fake services (tests/support/parcels_console.py): bad input is shown beside its
field with what was typed kept and nothing written; the pickup code is shown once; another
village's concierge and the coordinator are refused."""

import html
import re
import socket
import uuid

import pytest
import requests

from gateway import auth
from gateway.console.framework import COOKIE, csrf_token
from gateway.service import GatewayService
from tests.support.parcels_console import (
    CODE,
    HELENE,
    OTHER,
    VILLAGE,
    WRITES,
    FakeMembers,
    FakeOrders,
    FakePartners,
)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]
HERE = f"/console/villages/{VILLAGE}"


@pytest.fixture
def console(nameko_config, container_factory, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "parcels-test")
    monkeypatch.setenv("MAILLAGE_RPC_TIMEOUT", "5")
    WRITES.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (FakeMembers, FakeOrders, FakePartners):
        container_factory(cls, config).start()
    container = container_factory(GatewayService, config)
    container.start()
    yield f"http://127.0.0.1:{port}"
    WRITES.clear()


def _session(base, role="concierge", village_id=VILLAGE):
    token = auth.issue_token(
        {"id": str(uuid.uuid4()), "role": role, "village_id": village_id, "full_name": "Test"}
    )
    session = requests.Session()
    session.cookies.set(COOKIE, token)

    def post(path, **data):
        return session.post(
            base + path, data={"csrf": csrf_token(token), **data}, allow_redirects=False, timeout=10
        )

    session.post_form = post
    return session


def _error_beside(page, field_id):
    """The error message linked to the field `field_id` by aria-describedby."""
    tag = re.search(rf'<input id="{field_id}"[^>]*>', page).group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
    assert 'aria-invalid="true"' in tag
    return [
        html.unescape(m)
        for error_id in described
        for m in re.findall(rf'id="{error_id}" role="alert">([^<]*)<', page)
    ]


def test_the_picker_answers_matching_inhabitants_accents_and_case_aside(console):
    session = _session(console)
    found = session.get(
        console + HERE + "/choix-habitant?q=HELENE",
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert found.status_code == 200 and found.json() == [
        {"id": HELENE["id"], "label": "Hélène Zanetti", "detail": "06 12 34 56 78"}
    ]
    one_letter = session.get(
        console + HERE + "/choix-habitant?q=h", headers={"Accept": "application/json"}, timeout=10
    )
    assert one_letter.json() == []
    as_page = session.get(console + HERE + "/choix-habitant?q=zanetti", timeout=10)
    assert as_page.status_code == 200 and f"habitants/{HELENE['id']}" in as_page.text


def test_without_javascript_the_picker_searches_keeps_the_form_and_records_once_chosen(console):
    session = _session(console)
    form = {"sender_kind": "neighbour", "place_kind": "locker", "place": "C7"}
    searched = session.post_form(
        HERE + "/colis", chercher="member_id", member_id_q="hélène", **form
    )
    assert searched.status_code == 200 and WRITES == []
    assert re.search(rf'type="radio" name="member_id" value="{HELENE["id"]}"', searched.text)
    assert 'value="C7"' in searched.text and re.search(
        r'<option value="neighbour" selected>', searched.text
    )
    # typed but never chosen: shown again to choose, not recorded without the person
    unchosen = session.post_form(HERE + "/colis", member_id_q="zanetti", **form)
    assert unchosen.status_code == 200 and WRITES == [] and "Personnes trouvées" in unchosen.text
    chosen = session.post_form(
        HERE + "/colis", member_id=HELENE["id"], member_id_found="1", member_id_q="hélène", **form
    )
    assert chosen.status_code == 303 and [w[1] for w in WRITES] == ["receive_parcel"]
    assert WRITES[0][2][1]["member_id"] == HELENE["id"]


def test_a_bad_parcel_is_shown_beside_its_field_with_the_person_and_answers_kept(console):
    session = _session(console)
    refused = session.post_form(
        HERE + "/colis",
        member_id=HELENE["id"],
        member_id_q=HELENE["display_name"],
        sender_kind="neighbour",
        place_kind="shelf",
        place="",
        sender_name="Mme Besse",
    )
    assert refused.status_code == 400 and WRITES == []
    assert _error_beside(refused.text, "place") == ["Champ obligatoire."]
    assert f'name="member_id" value="{HELENE["id"]}"' in refused.text
    assert 'value="Hélène Zanetti"' in refused.text and 'value="Mme Besse"' in refused.text
    nobody = session.post_form(
        HERE + "/colis", sender_kind="la_poste", place_kind="shelf", place="B"
    )
    assert nobody.status_code == 400 and WRITES == []
    assert _error_beside(nobody.text, "member_id") == ["Champ obligatoire."]


def test_the_pickup_code_is_shown_once_after_the_receipt_and_never_listed(console):
    session = _session(console)
    received = session.post_form(
        HERE + "/colis",
        member_id=HELENE["id"],
        sender_kind="la_poste",
        place_kind="shelf",
        place="B3",
    )
    assert received.status_code == 303 and CODE not in received.headers["Location"]
    cookie = received.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=" + HERE in cookie
    first = session.get(console + received.headers["Location"], timeout=10)
    assert re.findall(r'id="pickup-code">([^<]*)', first.text) == [CODE]
    again = session.get(console + received.headers["Location"], timeout=10)
    assert again.status_code == 200 and CODE not in again.text, "shown once"
    assert CODE not in session.get(console + HERE + "/colis", timeout=10).text
    forged = requests.get(
        console + received.headers["Location"],
        cookies={COOKIE: session.cookies[COOKIE], "maillage_code_colis": "123456.abc"},
        timeout=10,
    )
    assert "123456" not in forged.text


def test_the_hand_over_checks_the_code_typed_and_the_code_is_sent_again(console):
    session = _session(console)
    wrong = session.post_form(HERE + "/colis/p-1", action="hand_over", code="000000")
    assert wrong.status_code == 400 and WRITES == []
    assert _error_beside(wrong.text, "code") == ["Code de retrait incorrect : rien n'a été remis."]
    resent = session.post_form(HERE + "/colis/p-1", action="resend_code")
    assert resent.status_code == 303 and resent.headers["Location"].endswith("?renvoi=sms")
    told = session.get(console + resent.headers["Location"], timeout=10)
    assert "renvoyé par SMS" in told.text and CODE not in told.text
    right = session.post_form(HERE + "/colis/p-1", action="hand_over", code=f" {CODE} ")
    assert right.status_code == 303
    assert [w[1] for w in WRITES] == ["resend_parcel_code", "hand_over_parcel"]


def test_a_parcel_is_returned_only_from_its_confirmation_page(console):
    session = _session(console)
    page = session.get(console + HERE + "/colis/p-1/retour", timeout=10)
    assert page.status_code == 200 and "Confirmer le retour" in page.text and WRITES == []
    assert "définitif" in page.text and "Hélène Zanetti" in page.text
    too_long = "x" * 301
    refused = session.post_form(HERE + "/colis/p-1/retour", reason=too_long)
    assert refused.status_code == 400 and WRITES == [] and f'value="{too_long}"' in refused.text
    assert _error_beside(refused.text, "reason")
    returned = session.post_form(HERE + "/colis/p-1/retour", reason="Jamais venue")
    assert returned.status_code == 303 and returned.headers["Location"].endswith("?retourne=1")
    assert WRITES == [("orders", "return_parcel", ("p-1", {"reason": "Jamais venue"}))]


def test_the_round_shows_its_stops_in_order_what_they_carry_and_a_missed_stop_needs_a_note(
    console,
):
    session = _session(console)
    page = session.get(console + HERE + "/tournee", timeout=10)
    assert page.status_code == 200
    stops = re.findall(r'<li id="arret-([^"]+)"', page.text)
    assert stops == ["s-1", "s-2"]
    mine, theirs = page.text.split('id="arret-s-2"')
    assert "2 × Œufs de la ferme" in html.unescape(mine) and "2 impasse des Tilleuls" in mine
    assert 'name="outcome"' not in theirs and "autre village" in theirs
    missed = session.post_form(HERE + "/tournee", round_id="r-1", stop_id="s-1", outcome="missed")
    assert missed.status_code == 400 and WRITES == []
    assert _error_beside(missed.text, "note-s-1") == ["Dites pourquoi l'arrêt a été manqué."]
    noted = session.post_form(
        HERE + "/tournee", round_id="r-1", stop_id="s-1", outcome="missed", note="Absente"
    )
    assert noted.status_code == 303 and noted.headers["Location"].endswith("#arret-s-1")
    assert WRITES == [
        ("orders", "record_round_stop", ("r-1", "s-1", {"outcome": "missed", "note": "Absente"}))
    ]


@pytest.mark.parametrize(
    "path", ["/colis", "/colis/p-1", "/colis/p-1/retour", "/tournee", "/choix-habitant?q=he"]
)
def test_another_villages_concierge_is_refused(console, path):
    other = _session(console, village_id=OTHER).get(
        console + HERE + path, allow_redirects=False, timeout=10
    )
    assert other.status_code == 403 and "autre village" in other.text


@pytest.mark.parametrize("path", ["/colis/p-1/retour", "/tournee", "/choix-habitant?q=he"])
def test_the_coordinator_sees_no_inhabitant_here(console, path):
    coordinator = _session(console, role="coordinator", village_id=None)
    answer = coordinator.get(console + HERE + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 403 and "Hélène" not in answer.text
