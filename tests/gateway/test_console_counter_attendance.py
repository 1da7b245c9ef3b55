"""The « Comptoir » page's animations of the day and its dispatcher's `record_attendance`, without
a browser: the gateway in front of the real events service (SQLite) and stand-ins for members and
orders. The host sees the roll call's form (names, never phones); an invited village sees its own
people and no form; a roll call replayed with its key answers what the first did and the
animation is held once; an animation cancelled meanwhile and an action too old come back to
settle, in French; an ordinary post (the link up) goes back to the page."""

import html as html_lib
import json
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.clock import PARIS
from backbone.tables import OutboxEvent
from gateway.service import GatewayService
from services.events.models import KnownMember, KnownVillage
from services.events.service import EventsService
from tests.support.console_standins import StaffMembers, staff_session
from tests.support.infrastructure import free_port

pytestmark = [
    pytest.mark.broker,
    pytest.mark.no_event_consumers,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]

NAMES = {}  # village id -> name, for the members stand-in


class Members(StaffMembers):
    names = NAMES


class Orders:
    """The counter's day, empty: this page's orders and parcels are tested in the browser."""

    name = "orders"

    @rpc
    def counter_today(self, village_id, on_date=None):
        return {"to_hand_over": [], "to_prepare": [], "parcels_waiting": []}

    @rpc
    def counter_offline(self, village_id, salt):
        return {"members": [], "code_checks": {}, "iterations": 1000}

    @rpc
    def village_catalogue(self, village_id, available_only=False):
        return []


@pytest.fixture
def world(container_factory, nameko_config, service_db, monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET", "counter-attendance-test")
    database = service_db("events")
    now = datetime.now(UTC)
    host, invited, member = (str(uuid.uuid4()) for _ in range(3))
    NAMES.update({host: "Gentioux", invited: "Faux-la-Montagne"})
    with database.unit_of_work() as uow:
        for village, slug in ((host, "gentioux"), (invited, "faux")):
            uow.session.add(
                KnownVillage(id=village, slug=slug, name=NAMES[village], commune="C", opened_at=now)
            )
        uow.session.add(
            KnownMember(id=member, village_id=host, display_name="Odette Vergne", registered_at=now)
        )
        uow.commit()
    port = free_port()
    config = {**nameko_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}
    for cls in (EventsService, Members, Orders, GatewayService):
        container_factory(cls, config).start()
    with ServiceRpcProxy("events", nameko_config, timeout=10) as events:
        yield {
            "base": f"http://127.0.0.1:{port}",
            "db": database,
            "events": events,
            "host": host,
            "invited": invited,
            "member": member,
        }


def _session(village_id):
    return staff_session(village_id)


def _begun_today(world, title, **change):
    """An animation of the host's, begun today (Paris) before now, the invited village invited."""
    now = datetime.now(UTC).replace(microsecond=0)
    midnight = datetime.combine(now.astimezone(PARIS).date(), time(0), tzinfo=PARIS)
    start = max(midnight, now - timedelta(minutes=30))
    data = {
        "kind": "atelier",
        "title": title,
        "place": "Salle des fêtes",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "invited_village_ids": [world["invited"]],
        **change,
    }
    return world["events"].create_animation(world["host"], data), start


def _replay(session, world, fields):
    """What offline.js sends for a queued action: a form, answered in JSON."""
    return session.post(
        f"{world['base']}/console/villages/{world['host']}/comptoir",
        data=fields,
        headers={"Accept": "application/json"},
        allow_redirects=False,
        timeout=20,
    )


def _attended(world) -> list[dict]:
    with world["db"].unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "animation.attended")
        )
        return [json.loads(r.body) for r in rows]


def test_the_roll_call_of_the_day_is_kept_and_replayed_once(world):
    knitting, start = _begun_today(world, "Atelier tricot")
    events = world["events"]
    events.register(knitting["id"], {"member_id": world["member"]}, [world["host"]])
    events.register(
        knitting["id"],
        {"guest_name": "Léon Marty", "guest_phone": "05 55 67 00 42"},
        [world["host"]],
    )
    session, csrf = _session(world["host"])
    page = session.get(f"{world['base']}/console/villages/{world['host']}/comptoir", timeout=20)
    text = html_lib.unescape(page.text)
    assert page.status_code == 200 and "Animations du jour (1)" in text
    assert 'data-offline="record_attendance" data-label="Présences à Atelier tricot"' in text
    assert "Odette Vergne" in text and "Léon Marty" in text
    assert "05 55 67 00 42" not in text, "the door needs names, not phones"

    guest_view = _session(world["invited"])[0].get(
        f"{world['base']}/console/villages/{world['invited']}/comptoir", timeout=20
    )
    invited_text = html_lib.unescape(guest_view.text)
    assert "Atelier tricot" in invited_text and "c'est lui qui relève les présences" in invited_text
    assert 'data-offline="record_attendance"' not in invited_text
    assert "Odette Vergne" not in invited_text and "Léon Marty" not in invited_text

    registrations = {
        r["display_name"]: r["id"]
        for r in events.get_animation(knitting["id"], [world["host"]])["registrations"]
    }
    roll_call = {
        "csrf": csrf,
        "action": "record_attendance",
        "animation_id": knitting["id"],
        "present": [registrations["Odette Vergne"], registrations["Léon Marty"]],
        "walk_ins": "1",
        "people_reached": "",
        "idempotency_key": str(uuid.uuid4()),
        "occurred_at": (start + timedelta(minutes=10)).isoformat(),
    }
    first = _replay(session, world, roll_call)
    again = _replay(session, world, roll_call)  # the tab closed before the device forgot it
    assert first.status_code == again.status_code == 200, first.text
    assert (
        first.json()
        == again.json()
        == {
            "ok": True,
            "message": "Présences à « Atelier tricot » enregistrées : 3 personnes.",
        }
    )
    held = events.get_animation(knitting["id"], [world["host"]])
    assert (held["status"], held["people_reached"], held["guests"]) == ("held", 3, 2)
    assert len(_attended(world)) == 1, "one roll call, hours credited once"
    another = _replay(session, world, {**roll_call, "idempotency_key": str(uuid.uuid4())})
    assert another.status_code == 409 and another.json()["message"].startswith(
        "L'appel a déjà été fait"
    )
    after = html_lib.unescape(
        session.get(f"{world['base']}/console/villages/{world['host']}/comptoir", timeout=20).text
    )
    assert "Présences relevées : 3 personnes." in after


def test_a_roll_call_to_settle_comes_back_in_french_and_a_posted_one_goes_back_to_the_page(
    world,
):
    cancelled, start = _begun_today(world, "Loto")
    world["events"].cancel_animation(cancelled["id"], {"reason": "Salle inondée"}, None)
    session, csrf = _session(world["host"])
    roll_call = {
        "csrf": csrf,
        "action": "record_attendance",
        "animation_id": cancelled["id"],
        "people_reached": "5",
        "idempotency_key": str(uuid.uuid4()),
        "occurred_at": (start + timedelta(minutes=5)).isoformat(),
    }
    refused = _replay(session, world, roll_call)
    assert refused.status_code == 409
    assert refused.json()["ok"] is False
    assert refused.json()["message"] == "Cette animation est annulée."

    quiz, start = _begun_today(world, "Quiz musical")
    too_old = {
        **roll_call,
        "animation_id": quiz["id"],
        "occurred_at": (datetime.now(UTC) - timedelta(days=4)).isoformat(),
    }
    old = _replay(session, world, too_old)
    assert old.status_code == 400 and "plus de 3 jours" in old.json()["message"]
    assert not _attended(world)

    posted = session.post(
        f"{world['base']}/console/villages/{world['host']}/comptoir",
        data={**too_old, "occurred_at": ""},
        allow_redirects=False,
        timeout=20,
    )
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith("/comptoir?fait=record_attendance")
    assert world["events"].get_animation(quiz["id"], None)["people_reached"] == 5
    assert len(_attended(world)) == 1
