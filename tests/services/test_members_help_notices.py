"""The notices of the coups de main (members/help_notices.py), on SQLite and PostgreSQL: the
volunteer asked with the link to accept or decline, the person helped told who comes and when,
both reminded the day before; once each whatever the redeliveries, by the channel their consents
allow, never to an erased member."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.schemas import load
from services.members import help_notices, people, villages
from services.members.models import Notice
from services.members.schemas import VillageInput
from services.members.schemas.people import MemberInput

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
STARTS = datetime(2026, 12, 5, 13, tzinfo=UTC)  # Saturday 5 December, 14:00 Paris


@pytest.fixture(autouse=True)
def _public_url(monkeypatch):
    monkeypatch.setenv("MAILLAGE_OPT_OUT_SECRET", "test-opt-out-secret")
    monkeypatch.setenv("MAILLAGE_PUBLIC_URL", "https://maillage.example.org")


@pytest.fixture
def world(service_db):
    """A volunteer who reads e-mails, a requester with a mobile, both consenting."""
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
    who = {}
    for key, extra in [
        (
            "volunteer",
            {
                "first_name": "Sandrine",
                "email": "sandrine@example.org",
                "preferred_channel": "email",
            },
        ),
        (
            "requester",
            {"first_name": "Marcelle", "phone": "06 39 98 10 01", "preferred_channel": "sms"},
        ),
    ]:
        with database.unit_of_work() as uow:
            who[key] = people.register_member(
                uow,
                load(
                    MemberInput(),
                    {"village_id": village, "last_name": key, "consents": ["contact"], **extra},
                ),
            )["id"]
    return database, village, who


def feed(database, type_, record, village, who, help_request_id, times=2):
    """As the consumer does it, through the inbox; twice: a redelivery tells nobody twice."""
    envelope = parse_envelope(
        build_envelope(
            type_,
            {
                "help_request_id": help_request_id,
                "village_id": village,
                "volunteer_member_id": who["volunteer"],
                "requester_member_id": who["requester"],
                "skill": "jardinage",
                "starts_at": STARTS,
                "ends_at": STARTS + timedelta(hours=2),
            },
            village_id=village,
            source="orders",
        )
    )
    for _ in range(times):
        with database.unit_of_work() as uow:
            claim_and_handle(uow, f"members.{record.__name__}", record, envelope)


def told(database, source_type):
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(Notice).where(Notice.source_type == source_type).order_by(Notice.member_id)
        ).all()
        uow.session.expunge_all()
        return rows


def test_the_volunteer_is_asked_with_the_link_to_answer_once(world):
    database, village, who = world
    hid = str(uuid.uuid4())
    feed(database, "help_request.assigned", help_notices.record_assigned, village, who, hid)
    [notice] = told(database, "help_request.assigned")
    assert notice.member_id == who["volunteer"] and notice.channel == "email"
    assert notice.template == "help_request_asked" and notice.source_ref == hid
    assert "Petit jardinage" in notice.message and "samedi 05/12 de 14h00 à 16h00" in notice.message
    assert "https://maillage.example.org/moi/coups-de-main" in notice.message
    # the same event again (not a redelivery: a new envelope) tells nobody twice either
    feed(database, "help_request.assigned", help_notices.record_assigned, village, who, hid, 1)
    assert len(told(database, "help_request.assigned")) == 1


def test_the_requester_learns_who_comes_and_both_are_reminded(world):
    database, village, who = world
    hid = str(uuid.uuid4())
    feed(database, "help_request.accepted", help_notices.record_accepted, village, who, hid)
    [accepted] = told(database, "help_request.accepted")
    assert accepted.member_id == who["requester"] and accepted.channel == "sms"
    assert "Sandrine viendra le samedi 05/12 de 14h00 à 16h00" in accepted.message
    assert "rue" not in accepted.message and "volunteer" not in accepted.message

    feed(database, "help_request.reminder_due", help_notices.record_reminder, village, who, hid)
    reminded = told(database, "help_request.reminder_due")
    assert {n.member_id for n in reminded} == {who["volunteer"], who["requester"]}
    by_member = {n.member_id: n.message for n in reminded}
    assert "demain" in by_member[who["volunteer"]]
    assert "avec Sandrine" in by_member[who["requester"]]
    assert "avec Sandrine" not in by_member[who["volunteer"]]


def test_an_erased_member_is_not_told_nor_named(world):
    database, village, who = world
    with database.unit_of_work() as uow:
        people.erase_member(uow, village, who["volunteer"])
    hid = str(uuid.uuid4())
    feed(database, "help_request.assigned", help_notices.record_assigned, village, who, hid)
    assert told(database, "help_request.assigned") == []
    feed(database, "help_request.accepted", help_notices.record_accepted, village, who, hid)
    [accepted] = told(database, "help_request.accepted")
    assert "Sandrine" not in accepted.message and "Un·e bénévole viendra" in accepted.message
