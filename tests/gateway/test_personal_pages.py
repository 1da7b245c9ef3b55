"""The personal pages (/moi) on the demo network, over HTTP without a browser: the same answer for
a known and an unknown contact, requests limited, the link's cookie (HttpOnly, SameSite=Lax, for
/moi, 30 days), a link used once, a session ended by the person; an order form with bad input
(the message beside the field, what was typed kept, nothing written); another person's coup de
main refused; and another village's concierge never opens a member's access page."""

import re
import uuid

import pytest
import requests

from tests.support.personal import (
    ask_link,
    links_sent,
    make_volunteer,
    new_member,
    next_link,
    propose_help,
    wait_until,
)

pytestmark = [pytest.mark.stack, pytest.mark.broker]


def _signed_in(stack, email) -> requests.Session:
    session = requests.Session()
    already = len(links_sent(stack, email))
    assert ask_link(session, stack, email).status_code == 200
    link = next_link(stack, email, already)
    opened = session.post(
        stack.url("/moi/lien"),
        data={"jeton": link.split("=", 1)[1]},
        allow_redirects=False,
        timeout=10,
    )
    assert opened.status_code == 303 and opened.headers["Location"] == "/moi"
    return session


def _csrf(page) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def test_a_link_answers_the_same_for_strangers_signs_in_once_and_the_person_ends_it(stack):
    villages = stack.villages()
    lucie = stack.login("lucie@maillage.test")
    _member, email = new_member(stack, villages["bourg-aux-chenes"], lucie)
    stranger = f"personne-{uuid.uuid4().hex[:8]}@example.org"
    answers = {}
    for contact in (email, stranger):
        response = ask_link(requests.Session(), stack, contact)
        assert response.status_code == 200
        answers[contact] = response.text.replace(contact, "…")
    answers = {k: re.sub(r'value="[0-9a-f]{64}"', "", v) for k, v in answers.items()}
    assert answers[email] == answers[stranger] and "un lien de connexion" in answers[email]

    link = next_link(stack, email)
    assert links_sent(stack, stranger) == []
    session = requests.Session()
    shown = session.get(stack.url(link), timeout=10)  # a mail scanner opening it uses nothing
    assert shown.status_code == 200 and 'id="sign-in"' in shown.text
    token = link.split("=", 1)[1]
    opened = session.post(
        stack.url("/moi/lien"), data={"jeton": token}, allow_redirects=False, timeout=10
    )
    cookie = opened.headers["Set-Cookie"]
    assert "maillage_moi=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/moi" in cookie and "Max-Age=2592000" in cookie
    home = session.get(stack.url("/moi"), timeout=10)
    assert "Mes commandes" in home.text and "Navetteuse" in home.text

    again = requests.post(stack.url("/moi/lien"), data={"jeton": token}, timeout=10)
    assert again.status_code == 400 and "plus valable" in again.text, "a link serves once"

    no_csrf = session.post(stack.url("/moi/deconnexion"), data={}, timeout=10)
    assert no_csrf.status_code == 403
    out = session.post(stack.url("/moi/deconnexion"), data={"csrf": _csrf(home)}, timeout=10)
    assert out.status_code == 200 and "déconnecté" in out.text
    stolen = requests.get(
        stack.url("/moi/commander"),
        cookies={"maillage_moi": opened.cookies["maillage_moi"]},
        allow_redirects=False,
        timeout=10,
    )
    assert stolen.status_code == 303 and stolen.headers["Location"] == "/moi", "ended for good"


def test_link_requests_are_limited_per_contact(stack):
    contact = f"presse-{uuid.uuid4().hex[:8]}@example.org"
    session = requests.Session()
    for _ in range(3):
        assert ask_link(session, stack, contact).status_code == 200
    refused = ask_link(session, stack, contact)
    assert refused.status_code == 429 and "Trop de demandes de lien" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    empty = ask_link(session, stack, "")
    assert empty.status_code == 400 and 'aria-describedby="err-contact"' in empty.text


def test_a_bad_order_keeps_what_was_typed_and_writes_nothing(stack):
    villages = stack.villages()
    bourg = villages["bourg-aux-chenes"]
    lucie = stack.login("lucie@maillage.test")
    member, email = new_member(stack, bourg, lucie)
    session = _signed_in(stack, email)
    form = session.get(stack.url("/moi/commander"), timeout=10)
    assert form.status_code == 200 and "Livraison à domicile" not in form.text, "not their profile"
    item = re.search(r'name="qty-([\w\-]+)"', form.text).group(1)
    sent = session.post(
        stack.url("/moi/commander"),
        timeout=10,
        data={
            "csrf": _csrf(form),
            "idempotency_key": uuid.uuid4().hex,
            f"qty-{item}": "trois",
            "fulfilment": "locker",
            "note": "Sonner deux fois",
        },
    )
    assert sent.status_code == 400
    assert f'aria-describedby="err-qty-{item}"' in sent.text and 'id="err-qty-' in sent.text
    assert 'value="trois"' in sent.text and 'value="Sonner deux fois"' in sent.text
    assert 'value="locker" checked' in sent.text
    home_delivery = session.post(
        stack.url("/moi/commander"),
        timeout=10,
        data={"csrf": _csrf(form), f"qty-{item}": "1", "fulfilment": "home_delivery"},
    )
    assert home_delivery.status_code == 400 and 'id="err-fulfilment"' in home_delivery.text
    orders = requests.get(
        stack.url(f"/api/villages/{bourg}/orders"), headers=lucie, timeout=10
    ).json()
    assert [o for o in orders if o["member_id"] == member] == [], "nothing written"


def test_nobody_answers_another_persons_coup_de_main_nor_opens_another_villages_page(stack):
    villages = stack.villages()
    bourg = villages["bourg-aux-chenes"]
    lucie = stack.login("lucie@maillage.test")
    requester, _ = new_member(stack, bourg, lucie)
    chosen, _ = new_member(stack, bourg, lucie)
    other, other_email = new_member(stack, bourg, lucie)
    volunteer = make_volunteer(stack, lucie, chosen)
    make_volunteer(stack, lucie, other)
    help_id = propose_help(stack, bourg, lucie, requester, volunteer)
    session = _signed_in(stack, other_email)
    page = session.get(stack.url("/moi/coups-de-main"), timeout=10)
    assert page.status_code == 200 and help_id not in page.text
    answer = session.post(
        stack.url("/moi/coups-de-main"),
        timeout=10,
        data={"csrf": _csrf(page), "help_request_id": help_id, "answer": "accept"},
    )
    assert answer.status_code == 400 and "introuvable" in answer.text.lower()
    request = requests.get(
        stack.url(f"/api/villages/{bourg}/help-requests/{help_id}"), headers=lucie, timeout=10
    ).json()
    assert request["status"] == "assigned", "unchanged"

    jeanne = requests.Session()
    stack.console_sign_in(jeanne, "jeanne@maillage.test")
    for method in ("get", "post"):
        refused = getattr(jeanne, method)(
            stack.url(f"/console/villages/{bourg}/habitants/{other}/acces"), timeout=10
        )
        assert refused.status_code == 403


def test_animations_suggestions_a_pledge_and_an_erasure_the_concierge_confirms(stack):
    bourg = stack.villages()["bourg-aux-chenes"]
    lucie = stack.login("lucie@maillage.test")
    coordinator = stack.login("coordination@maillage.test")
    member, email = new_member(stack, bourg, lucie)
    animation = requests.post(
        stack.url(f"/api/villages/{bourg}/animations"),
        headers=lucie,
        timeout=10,
        json={
            "kind": "atelier",
            "title": f"Atelier {uuid.uuid4().hex[:6]}",
            "place": "Salle des fêtes",
            "starts_at": "2030-06-01T14:00:00+00:00",
            "ends_at": "2030-06-01T16:00:00+00:00",
            "capacity": 5,
            "roles": [],
        },
    ).json()["id"]
    campaign = requests.post(
        stack.url("/api/campaigns"),
        headers=coordinator,
        timeout=10,
        json={
            "title": "Un banc devant la conciergerie",
            "village_id": bourg,
            "goal_cents": 90000,
            "purpose": "S'asseoir en attendant le camion.",
            "deadline": "2030-01-01T00:00:00+00:00",
        },
    ).json()["id"]
    session = _signed_in(stack, email)

    def post(path, **data):
        page = session.get(stack.url(path), timeout=10)
        return session.post(stack.url(path), data={"csrf": _csrf(page), **data}, timeout=10)

    def registrations():
        found = requests.get(
            stack.url(f"/api/villages/{bourg}/animations/{animation}"), headers=lucie, timeout=10
        ).json()["registrations"]
        return [r["status"] for r in found if r.get("member_id") == member]

    def registered():  # events learns of the member through member.registered
        answer = post("/moi/animations", action="register", animation_id=animation)
        return answer if "Inscription enregistrée" in answer.text else None

    wait_until(registered, timeout=30)
    assert registrations() == ["registered"]
    asked = post("/moi/animations", action="leave", animation_id=animation)
    assert "Confirmer ma désinscription" in asked.text and registrations() == ["registered"]
    left = post("/moi/animations", action="leave", animation_id=animation, confirm="1")
    assert "plus inscrit" in left.text and registrations() == []

    empty = post("/moi/suggestions", action="propose", category="sante", text="")
    assert empty.status_code == 400 and 'id="err-text"' in empty.text
    assert '<option value="sante" selected>' in empty.text, "what was chosen is kept"
    made = post("/moi/suggestions", action="propose", category="sante", text="Un médecin le jeudi")
    assert made.status_code == 200 and "Merci" in made.text
    mine = [
        s
        for s in requests.get(
            stack.url(f"/api/villages/{bourg}/suggestions"), headers=lucie, timeout=10
        ).json()
        if s["member_id"] == member
    ]
    assert [s["text"] for s in mine] == ["Un médecin le jeudi"], "the empty one wrote nothing"

    def pledged():
        return requests.get(
            stack.url(f"/api/campaigns/{campaign}"), headers=coordinator, timeout=10
        ).json()["pledged_cents"]

    bad = post("/moi/financements", campaign_id=campaign, amount="vingt")
    assert bad.status_code == 400 and 'id="err-amount"' in bad.text and 'value="vingt"' in bad.text
    confirm = post("/moi/financements", campaign_id=campaign, amount="12,50")
    assert "Confirmer ma promesse" in confirm.text and pledged() == 0
    done = post("/moi/financements", campaign_id=campaign, amount="12,50", confirm="1")
    assert "promesse est enregistrée" in done.text and pledged() == 1250
    assert "pledger_name" not in done.text

    asked = post("/moi/effacement", confirm="1")
    assert "demande est enregistrée" in asked.text
    concierge = requests.Session()
    stack.console_sign_in(concierge, "lucie@maillage.test")
    access = f"/console/villages/{bourg}/habitants/{member}/acces"
    page = concierge.get(stack.url(access), timeout=10)
    assert "Demande d'effacement" in page.text
    first = concierge.post(
        stack.url(access), data={"csrf": _csrf(page), "action": "erase"}, timeout=10
    )
    assert "Confirmer : effacer ses données" in first.text
    assert (
        requests.get(
            stack.url(f"/api/villages/{bourg}/members/{member}"), headers=lucie, timeout=10
        ).json()["email"]
        == email
    ), "not before it is confirmed"
    erased = concierge.post(
        stack.url(access), data={"csrf": _csrf(page), "action": "erase", "confirm": "1"}, timeout=10
    )
    assert erased.status_code == 200 and 'id="erased"' in erased.text
    assert (
        session.get(stack.url("/moi/commander"), allow_redirects=False, timeout=10).headers[
            "Location"
        ]
        == "/moi"
    ), "an erased person's session opens nothing"


def test_a_volunteer_updates_their_availability_and_a_bad_slot_is_shown_beside_it(stack):
    bourg = stack.villages()["bourg-aux-chenes"]
    lucie = stack.login("lucie@maillage.test")
    member, email = new_member(stack, bourg, lucie)
    volunteer = make_volunteer(stack, lucie, member)
    session = _signed_in(stack, email)
    page = session.get(stack.url("/moi/disponibilites"), timeout=10)
    assert page.status_code == 200 and page.text.count('name="day-') == 7 + 2

    def slots():
        return requests.get(
            stack.url(f"/api/volunteers/{volunteer}"), headers=lucie, timeout=10
        ).json()["availability"]

    bad = session.post(
        stack.url("/moi/disponibilites"),
        timeout=10,
        data={
            "csrf": _csrf(page),
            "rows": "2",
            "day-0": "monday",
            "start-0": "09:00",
            "end-0": "12:00",
            "day-1": "friday",
            "start-1": "18:00",
            "end-1": "08:00",
        },
    )
    assert bad.status_code == 400 and 'aria-describedby="err-end-1"' in bad.text
    assert 'value="18:00"' in bad.text and len(slots()) == 7, "nothing written"
    good = session.post(
        stack.url("/moi/disponibilites"),
        timeout=10,
        data={
            "csrf": _csrf(page),
            "rows": "2",
            "day-0": "monday",
            "start-0": "09:00",
            "end-0": "12:00",
            "day-1": "",
            "start-1": "",
            "end-1": "",
        },
    )
    assert good.status_code == 200 and 'id="saved"' in good.text
    assert [(s["day"], s["start"], s["end"]) for s in slots()] == [("monday", "09:00", "12:00")]
