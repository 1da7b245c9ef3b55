"""A volunteer's own answer to a coup de main proposed to them (the /moi pages), on SQLite and
PostgreSQL: they see what was proposed to them only, accept it as the concierge would record it,
or decline it: it goes back to the concierge without them among its candidates; another person
answering is "not found"."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backbone.errors import Conflict, NotFound
from backbone.schemas import load
from services.orders import help_requests
from services.orders.models import KnownMember, KnownVillage
from services.orders.schemas.help_requests import AnswerInput, AssignInput, HelpRequestInput
from tests.support.volunteering import volunteer_available

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=PARIS)


def _volunteer(database, village, name):
    """Free all Saturday, seen by their own village only."""
    return volunteer_available(
        database,
        name,
        [village],
        known_since=NOW,
        slots=(("saturday", "09:00", "18:00"),),
        network_visible=False,
    )


@pytest.fixture
def proposed(service_db):
    database = service_db("orders")
    village, requester = str(uuid.uuid4()), str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownVillage(id=village, slug="bourg", name="Le Bourg", kind="fixed", opened_at=NOW)
        )
        uow.session.add(
            KnownMember(
                id=requester, village_id=village, display_name="Marcelle Vergne", registered_at=NOW
            )
        )
        uow.commit()
    bernard = _volunteer(database, village, "Bernard Couderc")
    sandrine = _volunteer(database, village, "Sandrine Rebière")
    ids = []
    for hours in (0, 2):  # one after the other: a volunteer is never asked for both at once
        with database.unit_of_work() as uow:
            created = help_requests.create_help_request(
                uow,
                village,
                load(
                    HelpRequestInput(),
                    {
                        "requester_member_id": requester,
                        "skill": "bricolage",
                        "place": "3 rue du Lavoir",
                        "starts_at": (SATURDAY + timedelta(hours=hours)).isoformat(),
                        "ends_at": (SATURDAY + timedelta(hours=hours + 2)).isoformat(),
                    },
                ),
                now=NOW,
            )
        with database.unit_of_work() as uow:
            help_requests.assign(
                uow,
                created["id"],
                load(AssignInput(), {"volunteer_id": bernard[0]}),
                [village],
                NOW,
            )
        ids.append(created["id"])
    return database, village, ids, bernard, sandrine


def _answer(database, hid, member_id, answer):
    with database.unit_of_work() as uow:
        return help_requests.answer(
            uow, hid, member_id, load(AnswerInput(), {"answer": answer}), now=NOW
        )


def test_the_volunteer_accepts_one_and_declines_the_other(proposed):
    database, village, (first, second), bernard, sandrine = proposed
    with database.unit_of_work() as uow:
        mine = help_requests.volunteer_help_requests(uow, bernard[1], now=NOW)
        assert [r["id"] for r in mine] == [first, second]  # by time
        assert mine[0]["requester_name"] == "Marcelle Vergne" and mine[0]["candidates"] == []
        assert help_requests.volunteer_help_requests(uow, sandrine[1], now=NOW) == []
    for hid in (first, second):
        with pytest.raises(NotFound):
            _answer(database, hid, sandrine[1], "accept")
    assert _answer(database, first, bernard[1], "accept")["status"] == "accepted"
    declined = _answer(database, second, bernard[1], "decline")
    assert declined["status"] == "requested" and declined["volunteer_member_id"] is None
    assert declined["declined_names"] == ["Bernard Couderc"] and declined["declined_at"]
    with database.unit_of_work() as uow:
        seen = help_requests.get_help_request(uow, second, [village], now=NOW)
    assert [c["display_name"] for c in seen["candidates"]] == ["Sandrine Rebière"]
    with pytest.raises(Conflict):
        _answer(database, second, bernard[1], "decline")  # said already
    with pytest.raises(NotFound):
        _answer(database, second, bernard[1], "accept")  # no longer theirs
    with pytest.raises(Conflict):
        _answer(database, first, bernard[1], "accept")  # accepted already
