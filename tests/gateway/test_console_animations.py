"""The animation pages of a village's console, without a browser: the gateway in front of the real
events service (SQLite) and a small members stand-in. Bad input comes back beside its field with
what was typed, and nothing is written; another village's concierge gets 403; an invited village
sees the animation without the host's forms."""

import html as html_lib
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from gateway.service import GatewayService
from services.events.models import KnownMember, KnownPartner, KnownVillage
from services.events.service import EventsService
from tests.support.console_standins import StaffMembers, staff_session
from tests.support.infrastructure import free_port
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = [pytest.mark.broker, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

NAMES = {}  # village id -> name, for the members stand-in


class Members(StaffMembers):
    """What the console asks of the members service on these pages."""

    names = NAMES


@pytest.fixture(scope="module")
def animations_world(module_world):
    started = module_world(GATEWAY_SECRET="animations-test")
    database = started.database("events")
    now = datetime.now(UTC)
    a, b, partner = (str(uuid.uuid4()) for _ in range(3))
    members = [str(uuid.uuid4()) for _ in range(3)]
    NAMES.update({a: "Bourg-aux-Chênes", b: "Montcalvel"})
    with database.unit_of_work() as uow:
        for village, slug in ((a, "bourg"), (b, "montcalvel")):
            uow.session.add(
                KnownVillage(id=village, slug=slug, name=NAMES[village], commune="C", opened_at=now)
            )
        uow.session.add(
            KnownPartner(id=partner, name="Les Aînés", kind="association", joined_at=now)
        )
        for n, member in enumerate(members):
            uow.session.add(
                KnownMember(
                    id=member, village_id=a, display_name=f"Personne {n}", registered_at=now
                )
            )
        uow.commit()
    port = free_port()
    started.start(
        EventsService,
        Members,
        GatewayService,
        config={**started.config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"},
    )
    with ServiceRpcProxy("events", started.config, timeout=10) as events:
        started.snapshot()
        yield (
            started,
            {
                "base": f"http://127.0.0.1:{port}",
                "events": events,
                "a": a,
                "b": b,
                "partner": partner,
                "members": members,
                "database": database,
            },
        )


@pytest.fixture
def world(animations_world):
    """The module's events service and gateway, the database as its set-up left it."""
    started, world = animations_world
    started.reset()
    return world


def _session(village_id, role="concierge"):
    return staff_session(village_id, role)


def _errors(page) -> dict:
    """Field id -> the error shown beside it."""
    return {
        name: html_lib.unescape(text)
        for name, text in re.findall(r'class="error" id="err-([\w-]+)"[^>]*>([^<]*)', page)
    }


def _value(page, name) -> str:
    found = re.search(rf'<input id="{name}" name="{name}"[^>]* value="([^"]*)"', page)
    return html_lib.unescape(found.group(1)) if found else ""


def _animation(world, **change):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    data = {
        "kind": "atelier",
        "title": "Atelier tricot",
        "place": "Salle des fêtes",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 2,
        **change,
    }
    return world["events"].create_animation(world["a"], data)


def test_a_bad_animation_is_shown_beside_its_fields_with_what_was_typed_and_nothing_written(world):
    session, csrf = _session(world["a"])
    url = f"{world['base']}/console/villages/{world['a']}/animations"
    form = {
        "csrf": csrf,
        "kind": "atelier",
        "title": "Atelier couture",
        "place": "",
        "day": "2030-03-04",
        "start": "14:00",
        "end": "13:00",
        "capacity": "0",
        "frequency": "weekly",
        "count": "",
        "until": "",
        "role-0-name": "accueil",
        "role-0-needed": "",
        "role-1-name": "",
        "role-1-needed": "",
        "role-2-name": "buvette",
        "role-2-needed": "trois",
        "co_organiser_ids": world["partner"],
        "invited_village_ids": world["b"],
    }
    answer = session.post(url, data=form, allow_redirects=False, timeout=15)
    assert answer.status_code == 400
    errors = _errors(answer.text)
    assert errors["place"] == "Champ obligatoire."
    assert errors["capacity"] and errors["role-0-needed"] == "Champ obligatoire."
    assert errors["role-2-needed"] == "Nombre entier attendu.", "beside its own row"
    assert errors["until"], "a recurrence without an end is asked for one"
    assert 'aria-describedby="err-place"' in answer.text
    page = answer.text
    assert _value(page, "title") == "Atelier couture" and _value(page, "capacity") == "0"
    assert _value(page, "role-0-name") == "accueil" and _value(page, "role-2-needed") == "trois"
    assert _value(page, "day") == "2030-03-04" and _value(page, "end") == "13:00"
    assert '<option value="weekly" selected>' in page
    assert f'value="{world["partner"]}" checked' in page
    assert f'value="{world["b"]}" checked' in page
    assert world["events"].list_animations(world["a"], True) == [], "nothing written"

    fixed = {**form, "place": "Salle", "capacity": "8", "role-0-needed": "1", "start": "14h"}
    fixed.update({"role-2-needed": "2", "count": "4", "until": "2030-05-01"})
    twice = session.post(url, data=fixed, allow_redirects=False, timeout=15)
    assert twice.status_code == 400 and "count" in _errors(twice.text), "an end given twice"
    backwards = session.post(url, data={**fixed, "until": ""}, allow_redirects=False, timeout=15)
    assert backwards.status_code == 400 and _errors(backwards.text)["end"]
    assert "start" not in _errors(backwards.text), "« 14h » is read as 14:00"
    assert world["events"].list_animations(world["a"], True) == []


def test_places_below_the_registered_are_refused_beside_the_field(world):
    animation = _animation(world)
    for member in world["members"]:
        world["events"].register(animation["id"], {"member_id": member}, [world["a"]])
    session, csrf = _session(world["a"])
    url = f"{world['base']}/console/villages/{world['a']}/animations/{animation['id']}"
    for typed, message in (("1", "inscrit"), ("deux", "Nombre entier attendu.")):
        answer = session.post(
            url, data={"csrf": csrf, "action": "capacity", "capacity": typed}, timeout=15
        )
        assert answer.status_code == 400, typed
        assert message in _errors(answer.text)["capacity"] and _value(answer.text, "capacity") == (
            typed
        )
    after = world["events"].get_animation(animation["id"], [world["a"]])
    assert (after["capacity"], after["registered"], after["waiting"]) == (2, 2, 1)


def test_a_cancellation_with_too_long_a_reason_cancels_nothing(world):
    animation = _animation(world)
    session, csrf = _session(world["a"])
    url = f"{world['base']}/console/villages/{world['a']}/animations/{animation['id']}/annulation"
    reason = "Pluie. " * 50
    answer = session.post(url, data={"csrf": csrf, "reason": reason}, timeout=15)
    assert answer.status_code == 400 and _errors(answer.text)["reason"]
    assert reason.strip() in html_lib.unescape(answer.text), "what was typed is kept"
    assert world["events"].get_animation(animation["id"], None)["status"] == "scheduled"


def test_another_villages_concierge_gets_403_and_changes_nothing(world):
    animation = _animation(world)
    session, csrf = _session(world["b"])
    base = f"{world['base']}/console/villages/{world['a']}/animations"
    for path in ("", f"/{animation['id']}", f"/{animation['id']}/annulation"):
        assert session.get(base + path, timeout=15).status_code == 403, path
    for path, form in (
        ("", {"kind": "atelier", "title": "Intrus", "place": "Ailleurs", "capacity": "3"}),
        (f"/{animation['id']}", {"action": "capacity", "capacity": "50"}),
        (f"/{animation['id']}/annulation", {"reason": "Intrus"}),
    ):
        answer = session.post(base + path, data={"csrf": csrf, **form}, timeout=15)
        assert answer.status_code == 403 and "autre village" in answer.text, path
    after = world["events"].get_animation(animation["id"], None)
    assert (after["status"], after["capacity"]) == ("scheduled", 2)
    assert len(world["events"].list_animations(world["a"], True)) == 1


def test_an_invited_village_registers_its_people_but_neither_changes_places_nor_cancels(world):
    animation = _animation(world, invited_village_ids=[world["b"]])
    session, csrf = _session(world["b"])
    url = f"{world['base']}/console/villages/{world['b']}/animations/{animation['id']}"
    page = session.get(url, timeout=15)
    assert page.status_code == 200 and "Organisée par Bourg-aux-Chênes" in page.text
    assert 'value="capacity"' not in page.text and "/annulation" not in page.text
    refused = session.post(url + "/annulation", data={"csrf": csrf, "reason": ""}, timeout=15)
    assert refused.status_code == 400
    assert world["events"].get_animation(animation["id"], None)["status"] == "scheduled"


def test_the_coordinator_sees_who_registered_without_names_or_phones(world):
    animation = _animation(world, capacity=1)
    here = [world["a"]]
    world["events"].register(animation["id"], {"member_id": world["members"][0]}, here)
    guest = {"guest_name": "Mme Invitée", "guest_phone": "05 55 66 77 88"}
    world["events"].register(animation["id"], guest, here)
    path = f"/console/villages/{world['a']}/animations/{animation['id']}"
    concierge, _csrf = _session(world["a"])
    own = concierge.get(world["base"] + path, timeout=15).text
    assert "Personne 0" in own and "Mme Invitée" in own
    coordinator, csrf = _session(None, "coordinator")
    seen = coordinator.get(world["base"] + path + "?q=Personne", timeout=15).text
    assert "Habitant·e" in seen and "Personne invitée" in seen
    assert "Personne 0" not in seen and "Mme Invitée" not in seen
    coordinator.post(world["base"] + path + "/annulation", data={"csrf": csrf}, timeout=15)
    cancelled = coordinator.get(world["base"] + path, timeout=15).text
    assert "annulée" in cancelled and "05 55 66 77 88" not in cancelled
    assert "05 55 66 77 88" in concierge.get(world["base"] + path, timeout=15).text


def test_a_partner_whose_partnership_ended_is_offered_no_more_and_refused_beside_the_field(world):
    animation = _animation(world, co_organiser_ids=[world["partner"]])
    with world["database"].unit_of_work() as uow:  # partner.updated with ended_at, handled
        uow.session.get(KnownPartner, world["partner"]).ended_at = datetime.now(UTC)
        uow.commit()
    session, csrf = _session(world["a"])
    url = f"{world['base']}/console/villages/{world['a']}/animations"
    form_page = session.get(url, timeout=15).text
    assert 'name="co_organiser_ids"' not in form_page and "Les Aînés" not in form_page

    day = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()
    form = {
        "csrf": csrf,
        "kind": "atelier",
        "title": "Atelier couture",
        "place": "Salle",
        "day": day,
        "start": "14:00",
        "end": "16:00",
        "capacity": "8",
        "frequency": "",
        "co_organiser_ids": world["partner"],  # a form sent before it ended
    }
    answer = session.post(url, data=form, allow_redirects=False, timeout=15)
    assert answer.status_code == 400
    assert _errors(answer.text)["co_organiser_ids"] == (
        "Le partenariat a pris fin, ce partenaire ne peut plus co-organiser : Les Aînés."
    )
    assert [a["id"] for a in world["events"].list_animations(world["a"], True)] == [
        animation["id"]
    ], "nothing written"

    page = session.get(f"{url}/{animation['id']}", timeout=15).text
    assert "Co-organisée avec" in page and "Les Aînés (partenariat terminé)" in page
