"""The concierge's people pages (gateway/console/people.py) on a real gateway and members service
(real broker; SQLite and PostgreSQL), posted as a browser posts them: bad input answers 400 with
the French message beside its field and what was typed kept, and writes nothing; an import writes
nothing before it is confirmed; another village's concierge gets 403 on every page."""

import html as html_lib
import io
import re
import socket
import uuid
from datetime import UTC, datetime

import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from gateway.console.framework import COOKIE, csrf_token
from gateway.service import GatewayService
from services.members import notices
from services.members.service import MembersService
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

PASSWORD = "mot-de-passe-des-tests"
VILLAGE = {
    "slug": "tarnac",
    "name": "Tarnac",
    "commune": "Tarnac",
    "insee_code": "19265",
    "postcode": "19170",
    "kind": "fixed",
}
OTHER = {**VILLAGE, "slug": "peyrelevade", "name": "Peyrelevade", "insee_code": "19164"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Concierge:
    """A concierge's browser without the browser: the session cookie, the form's token."""

    def __init__(self, base, token, village_id):
        self.base, self.village_id = base, village_id
        self.session = requests.Session()
        self.session.cookies.set(COOKIE, token)
        self.csrf = csrf_token(token)

    def url(self, tail, village_id=None):
        return f"{self.base}/console/villages/{village_id or self.village_id}/{tail}"

    def get(self, tail, village_id=None):
        return self.session.get(self.url(tail, village_id), allow_redirects=False, timeout=30)

    def post(self, tail, data=None, files=None, village_id=None):
        return self.session.post(
            self.url(tail, village_id),
            data={"csrf": self.csrf, **(data or {})},
            files=files,
            allow_redirects=False,
            timeout=30,
        )


@pytest.fixture(scope="module")
def people_pages(module_world):
    """Two villages, a concierge of the first signed in, on a gateway and members service
    started once for the module."""
    world = module_world(GATEWAY_SECRET="people-pages-test")
    database = world.database("members")
    world.start(MembersService)
    port = _free_port()
    world.start(GatewayService, config={**world.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    base = f"http://127.0.0.1:{port}"
    with ServiceRpcProxy("members", world.config, timeout=30) as members:
        village, other = members.open_village(VILLAGE), members.open_village(OTHER)
        members.create_staff_account(
            {
                "email": "concierge@tarnac.test",
                "full_name": "Concierge de Tarnac",
                "password": PASSWORD,
                "role": "concierge",
                "village_id": village["id"],
            }
        )
        login = requests.post(
            base + "/api/auth/login",
            json={"email": "concierge@tarnac.test", "password": PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        world.snapshot()
        yield world, (login.json()["token"], base, village["id"], members, database, other["id"])


@pytest.fixture
def net(people_pages):
    """The module's pages, the members database as its set-up left it, a fresh browser."""
    world, (token, base, village_id, members, database, other_id) = people_pages
    world.reset()
    return Concierge(base, token, village_id), members, database, other_id


def _person(members, village_id, **overrides):
    return members.register_member(
        {
            "village_id": village_id,
            "first_name": "Hélène",
            "last_name": "Vergne",
            "phone": "05 55 12 34 56",
            **overrides,
        }
    )


def _error(page, name):
    found = re.search(rf'id="err-{name}"[^>]*>([^<]*)<', page)
    return html_lib.unescape(found.group(1)) if found else None


def _value(page, ident):
    found = re.search(rf'id="{ident}"[^>]*value="([^"]*)"', page)
    return html_lib.unescape(found.group(1)) if found else None


def test_an_inhabitant_edited_with_bad_input_keeps_what_was_typed_and_changes_nothing(net):
    concierge, members, _db, _other = net
    member = _person(members, concierge.village_id)
    form = {
        "action": "edit",
        "first_name": "Hélène",
        "last_name": "Vergne",
        "phone": "12",
        "email": "pas-un-courriel",
        "address": "3 rue du Lavoir",
        "postcode": "",
        "city": "",
        "preferred_channel": "sms",
        "tags": "fragile",
    }
    bad = concierge.post(f"habitants/{member['id']}", form)
    assert bad.status_code == 400
    assert _error(bad.text, "phone").startswith("Numéro de téléphone invalide")
    assert _error(bad.text, "email")
    assert 'aria-describedby="err-phone"' in bad.text
    assert (
        _value(bad.text, "f-phone") == "12" and _value(bad.text, "f-address") == "3 rue du Lavoir"
    )
    assert re.search(r'value="fragile" checked', bad.text), "the ticked tag stays ticked"
    unchanged = members.get_member(concierge.village_id, member["id"])
    assert unchanged["tags"] == [] and unchanged["address"] is None

    good = concierge.post(
        f"habitants/{member['id']}", {**form, "phone": "06 39 98 10 01", "email": ""}
    )
    assert good.status_code == 303 and good.headers["Location"].endswith("?enregistre=1")
    changed = members.get_member(concierge.village_id, member["id"])
    assert changed["phone"] == "+33639981001" and changed["tags"] == ["fragile"]
    assert changed["preferred_channel"] == "sms" and changed["address"] == "3 rue du Lavoir"


def test_only_what_was_changed_is_sent_so_a_namesake_does_not_block_an_edit(net):
    concierge, members, _db, _other = net
    _person(members, concierge.village_id)
    namesake = _person(
        members,
        concierge.village_id,
        phone=None,
        address="Le Bourg",
        preferred_channel="counter",
        confirm_duplicate=True,
    )
    page = concierge.get(f"habitants/{namesake['id']}")
    form = {
        "action": "edit",
        **{n: _value(page.text, "f-" + n) for n in ("first_name", "last_name", "phone")},
        **{n: _value(page.text, "f-" + n) for n in ("email", "postcode", "city")},
        "address": "2 route du Moulin",
        "preferred_channel": "counter",
    }
    assert form["last_name"] == "Vergne" and form["phone"] == "", "the form shows the record"
    saved = concierge.post(f"habitants/{namesake['id']}", form)
    assert saved.status_code == 303, _error(saved.text, "_") or saved.text[:300]
    assert members.get_member(concierge.village_id, namesake["id"])["address"] == (
        "2 route du Moulin"
    )


def test_a_volunteer_with_bad_slots_is_not_registered_and_the_form_says_where(net):
    concierge, members, _db, _other = net
    member = _person(members, concierge.village_id)
    form = {
        "member_id": member["id"],
        "skill-jardinage": "confirme",
        "monday-1-start": "14:00",
        "monday-1-end": "12:00",
        "max_distance_km": "loin",
        "has_licence": "1",
    }
    page = concierge.get("benevoles/nouveau")
    assert page.status_code == 200 and 'id="skill-jardinage"' in page.text
    bad = concierge.post("benevoles/nouveau", form)
    assert bad.status_code == 400
    assert _error(bad.text, "monday-1") and _error(bad.text, "max_distance_km")
    assert _value(bad.text, "monday-1-start") == "14:00"
    assert _value(bad.text, "max_distance_km") == "loin"
    assert members.list_volunteers([concierge.village_id], {}) == [], "nothing written"

    nobody = concierge.post("benevoles/nouveau", {**form, "member_id": ""})
    assert nobody.status_code == 400 and _error(nobody.text, "member_id")

    made = concierge.post(
        "benevoles/nouveau", {**form, "monday-1-end": "17:00", "max_distance_km": "15"}
    )
    assert made.status_code == 303, made.text
    (volunteer,) = members.list_volunteers([concierge.village_id], {})
    assert volunteer["availability"][0]["start"] == "14:00" and volunteer["max_distance_km"] == 15
    assert [s["skill"] for s in volunteer["skills"]] == ["jardinage"]

    contact = concierge.post(
        f"benevoles/{volunteer['id']}", {"action": "contact", "phone": "abc", "email": ""}
    )
    assert contact.status_code == 400 and _error(contact.text, "c-phone")
    assert _value(contact.text, "c-phone") == "abc"
    assert members.get_member(concierge.village_id, member["id"])["phone"] == "+33555123456"


def _csv(text):
    return {"fichier": ("habitants.csv", text.encode("utf-8"), "text/csv")}


def test_an_import_shows_each_problem_and_writes_nothing_before_it_is_confirmed(net):
    concierge, members, _db, _other = net
    text = (
        "Nom;Prénom;Téléphone;Profil\n"
        "Faurie;Noël;01 99 00 40 01;fragile\n"
        "Durand;Jules;0612;\n"
        "Soulier;Fernand;01 99 00 30 01;riche\n"
        "Mazière;Élodie;06 39 98 10 03;\n"
    )
    empty = concierge.post("import-habitants", {"action": "preview"})
    assert empty.status_code == 400 and _error(empty.text, "fichier")
    preview = concierge.post("import-habitants", {"action": "preview"}, files=_csv(text))
    assert preview.status_code == 200
    problems = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', preview.text
    )
    assert [(row, column) for row, column, _ in problems] == [("3", "Téléphone"), ("4", "Profil")]
    assert html_lib.unescape(problems[1][2]) == "Profil inconnu : riche."
    assert members.search_members(concierge.village_id, {"q": ""}) == [], "nothing written yet"

    packed = re.search(r'name="text" value="([^"]+)"', preview.text).group(1)
    done = concierge.post("import-habitants", {"action": "confirm", "text": packed})
    assert done.status_code == 200 and "2 habitant·es importé·es" in done.text
    names = {m["display_name"] for m in members.search_members(concierge.village_id, {"q": ""})}
    assert names == {"Noël Faurie", "Élodie Mazière"}

    forged = concierge.post("import-habitants", {"action": "confirm", "text": "pas du zlib"})
    assert forged.status_code == 400 and "choisissez-le à nouveau" in html_lib.unescape(forged.text)


def test_an_excel_workbook_is_previewed_with_the_spreadsheet_row_numbers(net):
    from openpyxl import Workbook

    concierge, members, _db, _other = net
    book = Workbook()
    sheet = book.active
    sheet.append(["Nom", "Prénom", "Téléphone", "Date d'adhésion"])
    sheet.append(["Faurie", "Noël", 199004001, datetime(2024, 1, 12)])  # a number cell: no 0
    sheet.append([])
    sheet.append(["Durand", "Jules", "0612", None])
    raw = io.BytesIO()
    book.save(raw)
    files = {"fichier": ("habitants.xlsx", raw.getvalue(), "application/octet-stream")}
    preview = concierge.post("import-habitants", {"action": "preview"}, files=files)
    assert preview.status_code == 200, preview.text
    assert "01 99 00 40 01" in preview.text
    assert re.search(r'<td class="num">4</td><td>Téléphone</td>', preview.text)
    broken = {"fichier": ("habitants.xlsx", b"PK\x03\x04 pas un classeur", "text/plain")}
    refused = concierge.post("import-habitants", {"action": "preview"}, files=broken)
    assert refused.status_code == 400 and "ne peut pas être lu" in html_lib.unescape(refused.text)
    assert members.search_members(concierge.village_id, {"q": ""}) == []


def test_an_erasure_needs_its_confirmation(net):
    concierge, members, _db, _other = net
    member = _person(members, concierge.village_id)
    page = concierge.get(f"habitants/{member['id']}/effacer")
    assert page.status_code == 200 and "ne peut pas être annulé" in page.text
    assert "05 55 12 34 56" in page.text, "it names what will be erased"
    unconfirmed = concierge.post(f"habitants/{member['id']}/effacer", {})
    assert unconfirmed.status_code == 400 and _error(unconfirmed.text, "confirm")
    assert members.get_member(concierge.village_id, member["id"])["erased_at"] is None
    erased = concierge.post(f"habitants/{member['id']}/effacer", {"confirm": "effacer"})
    assert erased.status_code == 303 and erased.headers["Location"].endswith("habitants?efface=1")
    assert members.search_members(concierge.village_id, {"q": "Vergne"}) == []


def test_a_call_is_marked_reached_or_unanswered_and_a_bad_outcome_is_refused(net):
    concierge, members, database, _other = net
    member = _person(members, concierge.village_id, preferred_channel="phone")
    host = str(uuid.uuid4())
    event = parse_envelope(
        build_envelope(
            "animation.cancelled",
            {
                "animation_id": str(uuid.uuid4()),
                "village_id": host,
                "title": "Atelier tricot",
                "starts_at": datetime(2026, 12, 5, 13, tzinfo=UTC),
                "reason": "Salle indisponible",
                "member_ids": [member["id"]],
            },
            village_id=host,
            source="events",
        )
    )
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow, "members.on_animation_cancelled", notices.record_animation_cancelled, event
        )
    page = concierge.get("a-prevenir")
    assert page.status_code == 200 and "05 55 12 34 56" in page.text
    assert "animation annulée" in page.text and "Atelier tricot" in page.text
    notice_id = re.search(r'name="notice_id" value="([^"]+)"', page.text).group(1)

    bad = concierge.post("a-prevenir", {"notice_id": notice_id, "outcome": "peut-etre"})
    assert bad.status_code == 400 and 'class="error"' in bad.text
    assert members.list_notices(concierge.village_id, {})[0]["unanswered_calls"] == 0

    unanswered = concierge.post("a-prevenir", {"notice_id": notice_id, "outcome": "no_answer"})
    assert unanswered.status_code == 303
    again = concierge.session.get(concierge.base + unanswered.headers["Location"], timeout=30)
    assert "1 appel sans réponse" in again.text and "Appel sans réponse noté." in again.text
    reached = concierge.post("a-prevenir", {"notice_id": notice_id, "outcome": "reached"})
    assert reached.status_code == 303
    assert members.list_notices(concierge.village_id, {})[0]["status"] == "done"
    assert "Personne à appeler" in concierge.get("a-prevenir").text


def test_another_villages_concierge_opens_none_of_these_pages(net):
    concierge, members, _db, other = net
    elsewhere = _person(members, other, phone="06 39 98 10 09")
    for tail in (
        "benevoles/nouveau",
        "benevoles/" + str(uuid.uuid4()),
        "import-habitants",
        f"habitants/{elsewhere['id']}",
        f"habitants/{elsewhere['id']}/donnees.json",
        f"habitants/{elsewhere['id']}/effacer",
        "a-prevenir",
    ):
        opened = concierge.get(tail, village_id=other)
        assert opened.status_code == 403 and "autre village" in opened.text, tail
    erase = concierge.post(
        f"habitants/{elsewhere['id']}/effacer", {"confirm": "effacer"}, None, other
    )
    assert erase.status_code == 403
    assert members.get_member(other, elsewhere["id"])["erased_at"] is None
    # from their own village, another village's inhabitant is not found
    assert concierge.get(f"habitants/{elsewhere['id']}/effacer").status_code == 404


def test_the_coordinator_opens_none_of_these_pages(net):
    """They show names, phones and addresses: the coordinator sees figures, never people."""
    concierge, members, _db, _other = net
    member = _person(members, concierge.village_id)
    members.create_staff_account(
        {
            "email": "coordination@reseau.test",
            "full_name": "Coordination",
            "password": PASSWORD,
            "role": "coordinator",
            "village_id": None,
        }
    )
    login = requests.post(
        concierge.base + "/api/auth/login",
        json={"email": "coordination@reseau.test", "password": PASSWORD},
        timeout=30,
    )
    coordinator = Concierge(concierge.base, login.json()["token"], concierge.village_id)
    for tail in (
        "benevoles/nouveau",
        "import-habitants",
        f"habitants/{member['id']}/donnees.json",
        f"habitants/{member['id']}/effacer",
        "a-prevenir",
    ):
        opened = coordinator.get(tail)
        assert opened.status_code == 403 and "05 55 12 34 56" not in opened.text, tail
        assert "réservées au concierge de leur village" in html_lib.unescape(opened.text), tail
    refused = coordinator.post(f"habitants/{member['id']}/effacer", {"confirm": "effacer"})
    assert refused.status_code == 403
    assert members.get_member(concierge.village_id, member["id"])["erased_at"] is None
