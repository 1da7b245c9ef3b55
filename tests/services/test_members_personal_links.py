"""Personal sign-in links (members/personal.py), on SQLite and PostgreSQL: a link by the channel
typed, the same answer for a stranger, limits per contact and per address, a link used once and
only within 15 minutes, sessions of 30 days ended by the person or the concierge, and nothing left
after an erasure."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone.errors import AuthenticationFailed, NotFound, TooManyAttempts
from backbone.schemas import load
from services.members import notices, people, personal, villages
from services.members.models import Notice, PersonalLink, PersonalSession
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
NIGHT = datetime(2026, 12, 1, 22, tzinfo=UTC)  # 23:00 in Paris: an ordinary SMS would wait


@pytest.fixture
def world(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
    with database.unit_of_work() as uow:
        member = people.register_member(
            uow,
            load(
                MemberInput(),
                {
                    "village_id": village,
                    "first_name": "Inès",
                    "last_name": "Navette",
                    "email": "Ines.Navette@example.org",
                    "phone": "06 39 98 20 01",
                    "preferred_channel": "phone",  # no consent to be contacted either
                },
            ),
        )["id"]
    return database, village, member


def _link_of(outbox_file, to):
    lines = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    mine = [line for line in lines if line["to"] == to]
    assert len(mine) == 1, lines
    return mine[0]["text"].split("jeton=")[1].split()[0]


def test_a_link_goes_by_the_channel_typed_at_night_and_signs_in_once(world, tmp_path):
    database, village, member = world
    sender = notices.OutboxFileSender(tmp_path / "outbox.jsonl")
    for contact in ("ines.navette@EXAMPLE.org", "06 39 98 20 01", "inconnu@example.org"):
        with database.unit_of_work() as uow:
            assert personal.request_link(uow, contact, "192.0.2.1", NIGHT) == {"asked": True}
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NIGHT, source_type=notices.LINK_SOURCE) == 2
        rows = uow.session.scalars(select(Notice)).all()
        assert {n.channel for n in rows} == {"email", "sms"}
        assert all(n.status == "sent" and "jeton=" not in n.message for n in rows), "forgotten"
        assert all("jeton" not in (n.context or "") for n in rows)
        assert notices.list_notices(uow, village) == [], "nobody is called for a link"
    token = _link_of(tmp_path / "outbox.jsonl", "+33639982001")
    email_token = _link_of(tmp_path / "outbox.jsonl", "Ines.Navette@example.org")
    with database.unit_of_work() as uow:
        opened = personal.open_link(uow, token, NIGHT + timedelta(minutes=14))
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        personal.open_link(uow, token, NIGHT + timedelta(minutes=14))  # used once
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        personal.open_link(uow, email_token, NIGHT + timedelta(minutes=15))  # expired
    with database.unit_of_work() as uow:
        who = personal.session_member(uow, opened["session_token"], NIGHT + timedelta(days=29))
        assert who["member_id"] == member and who["volunteer_id"] is None
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        personal.session_member(uow, opened["session_token"], NIGHT + timedelta(days=30, hours=1))


def test_requests_are_limited_per_contact_and_per_address_known_or_not(world, monkeypatch):
    database, _village, _member = world
    for contact in ("ines.navette@example.org", "personne@example.org"):
        for _ in range(personal.CONTACT_LIMIT):
            with database.unit_of_work() as uow:
                personal.request_link(uow, contact, None, NIGHT)
        with database.unit_of_work() as uow, pytest.raises(TooManyAttempts) as refused:
            personal.request_link(uow, contact, None, NIGHT + timedelta(minutes=1))
        assert refused.value.retry_after == 14 * 60
    with database.unit_of_work() as uow:  # the window passed
        personal.request_link(uow, "personne@example.org", None, NIGHT + timedelta(minutes=15))
    monkeypatch.setenv("MAILLAGE_LINK_ADDRESS_LIMIT", "2")
    for n in range(2):
        with database.unit_of_work() as uow:
            personal.request_link(uow, f"a{n}@example.org", "192.0.2.9", NIGHT)
    with database.unit_of_work() as uow, pytest.raises(TooManyAttempts):
        personal.request_link(uow, "a3@example.org", "192.0.2.9", NIGHT)
    with database.unit_of_work() as uow:
        links = uow.session.scalar(select(func.count()).select_from(PersonalLink))
    assert links == personal.CONTACT_LIMIT, "only the known contact's requests made links"


def test_the_person_or_the_concierge_ends_sessions_and_erasure_leaves_none(world, tmp_path):
    database, village, member = world
    sessions = []
    for _ in range(2):
        with database.unit_of_work() as uow:
            personal.request_link(uow, "ines.navette@example.org", None, NIGHT)
            link = uow.session.scalars(
                select(PersonalLink).where(PersonalLink.used_at.is_(None))
            ).first()
            token = "t" + link.id  # the stored hash is all there is: give the link a known one
            link.token_hash = personal._hash(token)
            uow.commit()
        with database.unit_of_work() as uow:
            sessions.append(personal.open_link(uow, token, NIGHT)["session_token"])
    with database.unit_of_work() as uow:
        personal.end_session(uow, sessions[0], NIGHT)
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        personal.session_member(uow, sessions[0], NIGHT)
    with database.unit_of_work() as uow:
        assert len(personal.member_sessions(uow, village, member, NIGHT)["sessions"]) == 1
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        personal.end_member_sessions(uow, "another-village", member, NIGHT)
    with database.unit_of_work() as uow:
        assert personal.end_member_sessions(uow, village, member, NIGHT)["ended"] == 1
    with database.unit_of_work() as uow, pytest.raises(AuthenticationFailed):
        personal.session_member(uow, sessions[1], NIGHT)
    with database.unit_of_work() as uow:
        people.erase_member(uow, village, member)
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PersonalSession)) == 0
        assert uow.session.scalar(select(func.count()).select_from(PersonalLink)) == 0
