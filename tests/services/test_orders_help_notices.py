"""The events orders writes for the coups de main's notices, on SQLite and PostgreSQL:
`help_request.assigned` when the concierge picks a volunteer, `help_request.accepted` when the
volunteer accepts (console or /moi), `help_request.reminder_due` once, from 10:00 Paris the day
before, for an accepted request only; none of them reaches a partner (they name members)."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backbone.schemas import load
from services.orders import help_requests
from services.orders.models import KnownMember, KnownVillage
from services.orders.schemas.help_requests import AssignInput, HelpRequestInput
from services.partners import audience
from tests.support.reliability import outbox
from tests.support.volunteering import volunteer_available

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=PARIS)
PEOPLE_EVENTS = ("help_request.assigned", "help_request.accepted", "help_request.reminder_due")


@pytest.fixture
def world(service_db):
    """A village, a requester, and two volunteers who do bricolage on Saturday mornings."""
    database = service_db("orders")
    village, requester = str(uuid.uuid4()), str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(id=village, slug="bourg", name="Le Bourg", kind="fixed", opened_at=NOW)
        )
        uow.session.add(
            KnownMember(id=requester, village_id=village, display_name="M. V.", registered_at=NOW)
        )
        uow.commit()
    helpers = [
        volunteer_available(database, name, [village], known_since=NOW)
        for name in ("Sandrine Rebière", "Bernard Couderc")
    ]
    return database, village, requester, helpers


def ask(database, village, requester, starts=SATURDAY):
    data = {
        "requester_member_id": requester,
        "skill": "bricolage",
        "place": "3 rue du Lavoir",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    with database.unit_of_work() as uow:
        return help_requests.create_help_request(
            uow, village, load(HelpRequestInput(), data), now=NOW
        )["id"]


def assign(database, village, hid, volunteer_id):
    with database.unit_of_work() as uow:
        help_requests.assign(
            uow, hid, load(AssignInput(), {"volunteer_id": volunteer_id}), [village], now=NOW
        )


def test_assigned_then_accepted_on_the_volunteer_page_tell_who_and_when(world):
    database, village, requester, [(sandrine, sandrine_member), (bernard, bernard_member)] = world
    hid = ask(database, village, requester)
    assert outbox(database, "help_request.assigned") == []
    assign(database, village, hid, sandrine)
    with database.unit_of_work() as uow:
        help_requests.answer(uow, hid, sandrine_member, {"answer": "decline"}, now=NOW)
    assign(database, village, hid, bernard)
    assigned = outbox(database, "help_request.assigned")
    assert [e["payload"]["volunteer_member_id"] for e in assigned] == [
        sandrine_member,
        bernard_member,
    ]
    assert outbox(database, "help_request.accepted") == [], "a decline accepts nothing"
    payload = assigned[1]["payload"]
    assert payload | {"starts_at": None, "ends_at": None} == {
        "help_request_id": hid,
        "village_id": village,
        "volunteer_member_id": bernard_member,
        "requester_member_id": requester,
        "skill": "bricolage",
        "starts_at": None,
        "ends_at": None,
    }
    assert datetime.fromisoformat(payload["starts_at"]) == SATURDAY
    assert assigned[1]["village_id"] == village

    with database.unit_of_work() as uow:
        help_requests.answer(uow, hid, bernard_member, {"answer": "accept"}, now=NOW)
    [accepted] = outbox(database, "help_request.accepted")
    assert accepted["payload"]["volunteer_member_id"] == bernard_member
    assert accepted["payload"]["requester_member_id"] == requester


def test_the_concierge_accepting_tells_too(world):
    database, village, requester, [(sandrine, sandrine_member), _] = world
    hid = ask(database, village, requester)
    assign(database, village, hid, sandrine)
    with database.unit_of_work() as uow:
        help_requests.accept(uow, hid, [village], now=NOW)
    [accepted] = outbox(database, "help_request.accepted")
    assert accepted["payload"]["help_request_id"] == hid
    assert accepted["payload"]["volunteer_member_id"] == sandrine_member


def test_the_reminder_is_announced_once_from_ten_the_day_before_for_accepted_ones(world):
    database, village, requester, [(sandrine, _m), (bernard, _b)] = world
    accepted = ask(database, village, requester)
    assign(database, village, accepted, sandrine)
    with database.unit_of_work() as uow:
        help_requests.accept(uow, accepted, [village], now=NOW)
    only_assigned = ask(database, village, requester)
    assign(database, village, only_assigned, bernard)
    next_week = ask(database, village, requester, starts=SATURDAY + timedelta(weeks=1))
    assign(database, village, next_week, sandrine)
    with database.unit_of_work() as uow:
        help_requests.accept(uow, next_week, [village], now=NOW)

    friday = datetime(2026, 12, 4, tzinfo=PARIS)
    with database.unit_of_work() as uow:
        assert help_requests.remind_tomorrow(uow, friday.replace(hour=9, minute=59)) == []
    with database.unit_of_work() as uow:
        assert help_requests.remind_tomorrow(uow, friday.replace(hour=10)) == [accepted]
    with database.unit_of_work() as uow:
        assert help_requests.remind_tomorrow(uow, friday.replace(hour=18)) == []
    [due] = outbox(database, "help_request.reminder_due")
    assert due["payload"]["help_request_id"] == accepted
    assert due["payload"]["requester_member_id"] == requester


def test_partners_never_receive_them():
    assert not set(PEOPLE_EVENTS) & set(audience.EVENT_TYPES)
