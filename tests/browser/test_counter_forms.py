"""The concierge's forms over plain HTTP against the demo network (what the browser posts): each
happy path once, and a bad answer shown beside its field, in French."""

import datetime
import html as html_lib
import re
import time

import pytest
import requests

pytestmark = [pytest.mark.stack, pytest.mark.broker]

CONCIERGE = "lucie@maillage.test"


def _errors(html):
    return [html_lib.unescape(e) for e in re.findall(r'class="error"[^>]*>([^<]*)', html)]


def _status(html, ident):
    return re.findall(rf'id="{ident}">([^<]*)', html)


@pytest.fixture
def counter(stack):
    session = requests.Session()
    landing = stack.console_sign_in(session, CONCIERGE)
    assert landing.status_code == 200 and landing.url.endswith("/aujourdhui")
    cookie = landing.history[0].headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, (
        "the session is out of scripts' reach"
    )
    home = landing.url.rsplit("/", 1)[0]
    csrf = re.search(r'name="csrf" value="([^"]+)', landing.text).group(1)

    def post(path, **data):
        return session.post(
            home + path if path.startswith("/") else path, data={"csrf": csrf, **data}, timeout=20
        )

    page = session.get(home + "/coups-de-main", timeout=10).text
    # the village's inhabitants, as its list shows them (the forms' pickers list nobody whole)
    found = session.get(home + "/habitants", timeout=10).text
    members = re.findall(r'/habitants/([0-9a-f-]{36})">([^<]+)', found)
    skills = re.findall(r'<option value="([a-z_]+)">', page)
    post.get = lambda path: session.get(home + path, timeout=10)
    return post, members, skills


def test_a_help_request_is_booked_given_to_a_ranked_volunteer_and_done(counter):
    post, members, skills = counter
    missing = post(
        "/coups-de-main", requester_member_id="", skill="", place="", day="", start="", end=""
    )
    assert missing.status_code == 400 and "Champ obligatoire." in _errors(missing.text)

    # next Monday: the demo's Bernard volunteers on Monday mornings (any other
    # day, 10:00 may find nobody)
    today = datetime.date.today()
    day = (today + datetime.timedelta(days=(0 - today.weekday()) % 7 or 7)).isoformat()
    for skill in skills:  # the first need some demo volunteer can meet
        booked = post(
            "/coups-de-main",
            requester_member_id=members[0][0],
            skill=skill,
            place="Chez elle",
            day=day,
            start="10:00",
            end="11:00",
        )
        candidates = re.findall(r'name="volunteer_id" value="([^"]+)"', booked.text)
        if candidates:
            break
    assert candidates, "the demo network has volunteers to propose"
    assert "Bénévoles proposés" in booked.text and _status(booked.text, "help-status") == [
        "Demandé"
    ]
    steps = [
        ({"action": "assign", "volunteer_id": candidates[0]}, "Confié"),
        ({"action": "accept"}, "Accepté"),
        ({"action": "done", "minutes": "45"}, "Fait"),
        ({"action": "confirm"}, "Confirmé"),
    ]
    for data, status in steps:
        answer = post(booked.url, **data)
        assert _status(answer.text, "help-status") == [status], data


def test_a_parcel_is_received_and_handed_over_with_its_code_only(counter):
    post, members, _skills = counter
    bad = post("/colis", member_id="", sender_kind="la_poste", place_kind="shelf", place="")
    assert bad.status_code == 400 and "Champ obligatoire." in _errors(bad.text)
    page = post.get("/colis").text
    la_poste = re.search(
        r'<select id="partner_id" name="partner_id"[^>]*>.*?<option value="([^"]+)">La Poste<',
        page,
        re.S,
    ).group(1)
    forged = post(
        "/colis",
        member_id=members[0][0],
        sender_kind="la_poste",
        place_kind="shelf",
        place="B3",
        partner_id=members[0][0],
    )
    assert forged.status_code == 400 and _errors(forged.text) == [
        f"Partenaire inconnu : {members[0][0]}."
    ]
    received = post(
        "/colis",
        member_id=members[0][0],
        sender_kind="la_poste",
        place_kind="shelf",
        place="B3",
        partner_id=la_poste,
    )
    assert re.findall(r'id="parcel-carrier">([^<]*)', received.text) == ["La Poste"]
    code = re.search(r'id="pickup-code">([^<]*)', received.text).group(1)
    parcel = received.url.split("?")[0]
    wrong = post(parcel, action="hand_over", code="0" if code != "0" else "1")
    assert wrong.status_code == 400 and _errors(wrong.text) == [
        "Code de retrait incorrect : rien n'a été remis."
    ]
    assert _status(post(parcel, action="hand_over", code=code).text, "parcel-status") == ["Remis"]


def test_a_form_sent_twice_records_one_parcel_and_one_help_request(counter):
    """The same form posted twice (a double click the page could not hold back, or a retry after
    no answer) carries the same idempotency key: one parcel, one help request, the second post
    answering the first's page."""
    post, members, skills = counter
    for path, data in (
        (
            "/colis",
            {
                "member_id": members[0][0],
                "sender_kind": "neighbour",
                "place_kind": "shelf",
                "place": "C7",
            },
        ),
        (
            "/coups-de-main",
            {
                "requester_member_id": members[0][0],
                "skill": skills[0],
                "place": "Chez elle",
                "day": "2030-01-07",
                "start": "10:00",
                "end": "11:00",
            },
        ),
    ):
        key = re.search(r'name="idempotency_key" value="([^"]+)"', post.get(path).text).group(1)
        first, second = (
            post(path, idempotency_key=key, **data),
            post(path, idempotency_key=key, **data),
        )
        assert first.status_code == second.status_code == 200 and first.history and second.history
        assert first.url.split("?")[0] == second.url.split("?")[0], path
        third = post(
            path,
            idempotency_key=post.get(path).text.split('name="idempotency_key" value="')[1][:36],
            **data,
        )
        assert third.url.split("?")[0] != first.url.split("?")[0], "a new form is a new one"


def test_suggestions_members_and_animations_forms(counter):
    post, members, _skills = counter
    bad = post("/suggestions", action="create", category="", text="x")
    assert bad.status_code == 400 and "Champ obligatoire." in _errors(bad.text)
    made = post("/suggestions", action="create", category="mobilite", text="Un bus le mardi matin")
    suggestion_id = re.findall(r'name="suggestion_id" value="([^"]+)"', made.text)[0]
    declined = post(
        "/suggestions", action="answer", suggestion_id=suggestion_id, status="declined", reason=""
    )
    assert declined.status_code == 400 and "Indiquez le motif du refus." in _errors(declined.text)
    assert post(
        "/suggestions", action="support", suggestion_id=suggestion_id, member_id=members[1][0]
    ).ok
    twice = post(
        "/suggestions", action="support", suggestion_id=suggestion_id, member_id=members[1][0]
    )
    # a second support by the same person changes nothing (and is not an error to her)
    supports = re.search(r"Un bus le mardi matin.*?(\d+) soutiens?\b", twice.text, re.S)
    assert twice.ok and supports and supports.group(1) == "1", twice.text[:2000]

    bad_member = post("/habitants", first_name="Jean", last_name="", phone="12")
    assert bad_member.status_code == 400 and "Champ obligatoire." in _errors(bad_member.text)
    registered = post(
        "/habitants",
        first_name="Jean",
        last_name="Nouveau",
        phone="05 55 12 34 99",
        consents="contact",
    )
    assert "/habitants/" in registered.url and "Inscription enregistrée." in registered.text
    withdrawn = post(registered.url.split("?")[0], action="withdraw", purpose="contact")
    assert withdrawn.ok and "<strong>donné</strong>" not in withdrawn.text

    calendar = post.get("/animations").text
    animation = post.get(
        "/animations/" + re.findall(r"/animations/([0-9a-f-]{36})", calendar)[0]
    ).url
    guest = post(animation, action="register", guest_name="X")
    assert guest.status_code == 400 and _errors(guest.text)
    first = post(animation, action="register", member_id=members[0][0])
    assert first.ok and members[0][1] in first.text
    again = post(animation, action="register", member_id=members[0][0])
    assert again.status_code == 400 and "déjà inscrite" in again.text


def test_a_wrong_password_is_said_in_french_and_gives_no_session(stack):
    answer = stack.console_sign_in(requests.Session(), CONCIERGE, "nope", allow_redirects=False)
    assert (
        answer.status_code == 401
        and "Adresse e-mail ou mot de passe incorrect." in html_lib.unescape(answer.text)
    )
    assert "maillage_console=" not in answer.headers.get("Set-Cookie", ""), "no session"
    elsewhere = stack.console_sign_in(
        requests.Session(), CONCIERGE, suite="https://evil.example/", allow_redirects=False
    )
    assert elsewhere.headers["Location"].startswith("/console/villages/"), (
        "never sent off-site after signing in"
    )


def test_a_sign_in_form_from_another_site_signs_no_one_in(stack):
    """Login CSRF: a form posted from elsewhere has neither the sign-in
    page's cookie nor its token."""
    forged = requests.post(
        stack.url("/console/connexion"),
        data={"email": CONCIERGE, "password": "maillage-demo"},
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 400 and "La page de connexion a expiré" in html_lib.unescape(
        forged.text
    )
    assert "maillage_console=" not in forged.headers.get("Set-Cookie", "")
    session = requests.Session()
    session.get(stack.url("/console/connexion"), timeout=10)  # the page's cookie, but another token
    wrong = session.post(
        stack.url("/console/connexion"),
        allow_redirects=False,
        timeout=10,
        data={"email": CONCIERGE, "password": "maillage-demo", "csrf": "0" * 64},
    )
    assert wrong.status_code == 400 and "maillage_console=" not in wrong.headers.get(
        "Set-Cookie", ""
    )


def test_an_animation_is_programmed_then_people_register_and_attendance_is_taken(counter):
    post, members, _skills = counter
    bad = post(
        "/animations",
        kind="",
        title="Atelier",
        place="Salle",
        day="",
        start="",
        end="",
        capacity="0",
    )
    assert bad.status_code == 400 and "Champ obligatoire." in _errors(bad.text)
    kind = re.findall(r'<option value="([a-z_]+)"', bad.text)[0]
    ahead = post(
        "/animations",
        kind=kind,
        title="Atelier couture",
        place="Salle des fêtes",
        day=(datetime.date.today() + datetime.timedelta(days=2)).isoformat(),
        start="14:00",
        end="16:00",
        capacity="5",
    )
    early = post(ahead.url, action="attendance", people_reached="3")
    assert early.status_code == 400
    assert any(
        e.startswith("Présents : l'appel se fait à partir du début de l'animation")
        for e in _errors(early.text)
    ), _errors(early.text)
    # yesterday's: the roll call may be taken up to a week after
    day = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    made = post(
        "/animations",
        kind=kind,
        title="Atelier tricot",
        place="Salle des fêtes",
        day=day,
        start="14:00",
        end="16:00",
        capacity="1",
    )
    assert "/animations/" in made.url and "Atelier tricot" in made.text
    post(made.url, action="register", member_id=members[0][0])
    waiting = post(made.url, action="register", member_id=members[1][0])
    assert "1 en liste d'attente" in waiting.text, "full: the second person waits"
    first = re.findall(r'name="present" value="([^"]+)"', waiting.text)
    held = post(made.url, action="attendance", present=first, walk_ins="2")
    assert held.ok and "L'appel est fait" in held.text


def test_a_need_outside_the_skills_list_is_asked_for_and_reaches_the_coordinator(counter, stack):
    post, members, _skills = counter
    need = f"Plomberie {datetime.datetime.now():%H%M%S%f}"  # a need no earlier run asked for
    asked = post(
        "/coups-de-main",
        requester_member_id=members[0][0],
        skill="",
        other_need=need,
        place="Chez elle",
        day="2030-01-08",
        start="10:00",
        end="11:00",
    )
    assert asked.status_code == 200 and "/coups-de-main/" in asked.url, _errors(asked.text)
    assert need.lower() in html_lib.unescape(asked.text)  # the typed need, as a label
    too_short = post(
        "/coups-de-main",
        requester_member_id=members[0][0],
        skill="",
        other_need="é",
        place="Chez elle",
        day="2030-01-08",
        start="10:00",
        end="11:00",
    )
    assert too_short.status_code == 400 and 'id="err-other_need"' in too_short.text
    assert 'value="é"' in too_short.text

    coordinator = requests.Session()
    stack.console_sign_in(coordinator, "coordination@maillage.test")
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=30)
    while True:  # help_request.requested, from orders to members, through the broker
        page = html_lib.unescape(
            coordinator.get(stack.url("/console/coordination/competences"), timeout=10).text
        )
        outside = (
            page.split('id="outside"')[1].split("</table>")[0] if 'id="outside"' in page else ""
        )
        if need.lower() in outside or datetime.datetime.now() > deadline:
            break
        time.sleep(0.5)
    assert need.lower() in outside, "the need is on the coordinator's list of needs outside it"
