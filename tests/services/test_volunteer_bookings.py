"""A volunteer is never booked twice across the two services that hold their time, on SQLite and
PostgreSQL: the events service refuses an animation role that overlaps another role or a coup de
main it learnt of (`help_request.volunteer_booking`), travel between villages included, and tells
orders of each role taken or given back (`animation.volunteer_booking`); the rule itself
(backbone/volunteer_bookings.py). The coups de main's side:
tests/services/test_orders_help_requests.py; the two services together on the broker:
tests/reliability/test_volunteer_bookings.py."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone import volunteer_bookings
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict
from backbone.schemas import load
from backbone.tables import OutboxEvent
from services.events import animations
from services.events.models import KnownMember, KnownVillage, VolunteerBooking
from services.events.schemas import AnimationInput, CancelInput, RoleFillInput

START = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)


def test_missions_clash_when_they_overlap_or_leave_no_time_for_the_road():
    bourg, aubin = "bourg", "aubin"
    places = {bourg: (45.6231, 2.0412), aubin: (45.9412, 2.0935)}  # 35 km apart
    here = {"village_id": bourg, "starts_at": START, "ends_at": START + timedelta(hours=1)}

    def other(village, minutes_after_end):
        starts = START + timedelta(hours=1, minutes=minutes_after_end)
        return {"village_id": village, "starts_at": starts, "ends_at": starts + timedelta(hours=1)}

    assert not volunteer_bookings.clashes(here, other(bourg, 0), places), "one after the other"
    assert volunteer_bookings.clashes(here, other(bourg, -30), places), "overlapping"
    assert volunteer_bookings.clashes(here, other(aubin, 30), places), "53 minutes of road"
    assert not volunteer_bookings.clashes(here, other(aubin, 60), places)
    assert volunteer_bookings.clashes(here, other("elsewhere", 30), places), "position unknown"
    assert not volunteer_bookings.clashes(here, other("elsewhere", 45), places)


@pytest.fixture
def world(service_db):
    database = service_db("events")
    villages, member = [str(uuid.uuid4()), str(uuid.uuid4())], str(uuid.uuid4())
    with database.unit_of_work() as uow:
        for n, (village, name) in enumerate(zip(villages, ("Tarnac", "Bugeat"), strict=True)):
            uow.session.add(
                KnownVillage(id=village, slug=f"v{n}", name=name, commune=name, opened_at=START)
            )
        uow.session.add(
            KnownMember(id=member, village_id=villages[0], display_name="Léa", registered_at=START)
        )
        uow.commit()
    return database, villages, member


def _animation(database, village, title, starts):
    data = {
        "kind": "atelier",
        "title": title,
        "place": "Salle des fêtes",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "roles": [{"role": "accueil", "needed": 1}],
    }
    with database.unit_of_work() as uow:
        return animations.create_animation(uow, village, load(AnimationInput(), data))["id"]


def _fill(database, animation_id, member):
    with database.unit_of_work() as uow:
        return animations.fill_role(
            uow, animation_id, load(RoleFillInput(), {"member_id": member, "role": "accueil"}), None
        )


def _bookings(database):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "animation.volunteer_booking")
            .order_by(OutboxEvent.id)
        )
        return [json.loads(r.body)["payload"] for r in rows]


def test_an_animation_role_never_overlaps_another_one_even_in_another_village(world):
    database, (tarnac, bugeat), lea = world
    knitting = _animation(database, tarnac, "Atelier tricot", START)
    _fill(database, knitting, lea)
    # Bugeat, 30 minutes after the knitting ends: no time for the road
    soon = _animation(database, bugeat, "Loto", START + timedelta(hours=2, minutes=30))
    with pytest.raises(Conflict) as busy:
        _fill(database, soon, lea)
    assert (busy.value.reason, busy.value.field) == ("volunteer_busy", "member_id")
    assert busy.value.details["mission"] == "l'animation « Atelier tricot »"
    assert busy.value.details["village"] == "Tarnac"
    later = _animation(database, bugeat, "Chorale", START + timedelta(hours=5))
    assert _fill(database, later, lea)["roles"][0]["member_ids"] == [lea]
    assert [(b["booking_id"], b["booked"]) for b in _bookings(database)] == [
        (f"animation:{knitting}:{lea}", True),
        (f"animation:{later}:{lea}", True),
    ]
    with database.unit_of_work() as uow:  # cancelled, the knitting gives her time back
        animations.cancel_animation(uow, knitting, load(CancelInput(), {}), None)
    assert _bookings(database)[-1]["booked"] is False
    assert _fill(database, soon, lea)["roles"][0]["member_ids"] == [lea]


def _booking(member, village, starts, booked, occurred_at):
    return parse_envelope(
        build_envelope(
            "help_request.volunteer_booking",
            {
                "booking_id": "help_request:h-1",
                "member_id": member,
                "village_id": village,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "what": "un coup de main",
                "booked": booked,
            },
            village_id=village,
            source="orders",
            occurred_at=occurred_at,
        )
    )


def test_a_coup_de_main_known_from_orders_holds_the_volunteer_until_it_is_given_back(world):
    database, (tarnac, bugeat), lea = world
    now = datetime.now(UTC)
    booked = _booking(lea, bugeat, START, True, now)
    released = _booking(lea, bugeat, START, False, now + timedelta(minutes=1))
    with database.unit_of_work() as uow:
        volunteer_bookings.record_booking(uow, VolunteerBooking, booked)
    knitting = _animation(database, tarnac, "Atelier tricot", START + timedelta(hours=1))
    with pytest.raises(Conflict) as busy:
        _fill(database, knitting, lea)
    assert busy.value.details["mission"] == "un coup de main"
    assert busy.value.details["village"] == "Bugeat"
    for event in (released, booked):  # the release, then the booking again, late: it stays free
        with database.unit_of_work() as uow:
            volunteer_bookings.record_booking(uow, VolunteerBooking, event)
    assert _fill(database, knitting, lea)["roles"][0]["member_ids"] == [lea]
