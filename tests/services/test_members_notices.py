"""Telling members an animation was cancelled (members/notices.py), on SQLite and PostgreSQL: one
notice per member whatever the redeliveries, the channel chosen from consents and contacts, the
sender adapter (a local outbox file here), the concierge's list and the calls marked done; bad
input refused."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, NotFound
from backbone.schemas import load
from services.members import notices, people, villages
from services.members.models import Notice
from services.members.schemas import VillageInput
from services.members.schemas.people import MemberInput
from tests.support.statements import statements_during

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
OTHER = {**VILLAGE, "slug": "tarnac", "name": "Tarnac", "commune": "Tarnac", "insee_code": "19265"}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, load(VillageInput(), VILLAGE))["id"]
    with database.unit_of_work() as uow:
        other = villages.open_village(uow, load(VillageInput(), OTHER))["id"]
    people_ = {}
    for key, village_id, extra in [
        (
            "sms",
            village,
            {"phone": "06 39 98 10 01", "preferred_channel": "sms", "consents": ["contact"]},
        ),
        (
            "email",
            village,
            {"email": "jeanne@example.org", "preferred_channel": "email", "consents": ["contact"]},
        ),
        ("no_consent", village, {"phone": "06 39 98 10 02", "preferred_channel": "sms"}),
        (
            "landline",
            village,
            {"phone": "01 99 00 10 03", "preferred_channel": "sms", "consents": ["contact"]},
        ),
        (
            "phone",
            village,
            {"phone": "06 39 98 10 04", "preferred_channel": "phone", "consents": ["contact"]},
        ),
        (
            "elsewhere",
            other,
            {"phone": "06 39 98 10 05", "preferred_channel": "sms", "consents": ["contact"]},
        ),
    ]:
        with database.unit_of_work() as uow:
            people_[key] = people.register_member(
                uow,
                load(
                    MemberInput(),
                    {
                        "village_id": village_id,
                        "first_name": "Personne",
                        "last_name": key.replace("_", " "),
                        **extra,
                    },
                ),
            )["id"]
    return database, village, other, people_


def cancelled(member_ids, *, animation_id=None, reason="Salle indisponible"):
    host = str(uuid.uuid4())
    return parse_envelope(
        build_envelope(
            "animation.cancelled",
            {
                "animation_id": animation_id or str(uuid.uuid4()),
                "village_id": host,
                "title": "Atelier tricot",
                "starts_at": datetime(2026, 12, 5, 13, tzinfo=UTC),
                "reason": reason,
                "member_ids": member_ids,
            },
            village_id=host,
            source="events",
        )
    )


def _notices(database):
    with database.unit_of_work() as uow:
        return {n.member_id: n for n in uow.session.scalars(select(Notice))}


def test_one_notice_per_member_with_the_channel_their_consents_and_contacts_allow(world):
    database, village, other, who = world
    stranger = str(uuid.uuid4())
    event = cancelled([*who.values(), stranger])
    for _ in range(2):  # a redelivery tells nobody twice
        with database.unit_of_work() as uow:
            claim_and_handle(
                uow, "members.on_animation_cancelled", notices.record_animation_cancelled, event
            )
    with (
        database.unit_of_work() as uow
    ):  # the same animation under a new event id: not twice either
        claim_and_handle(
            uow,
            "members.on_animation_cancelled",
            notices.record_animation_cancelled,
            cancelled(list(who.values()), animation_id=event["payload"]["animation_id"]),
        )
    rows = _notices(database)
    assert stranger not in rows and len(rows) == 6
    channels = {key: rows[member_id].channel for key, member_id in who.items()}
    assert channels == {
        "sms": "sms",
        "email": "email",
        "no_consent": "call",
        "landline": "call",
        "phone": "call",
        "elsewhere": "sms",
    }
    assert {rows[m].village_id for m in who.values() if m != who["elsewhere"]} == {village}
    assert rows[who["elsewhere"]].village_id == other, "told by their own village's concierge"
    message = rows[who["sms"]].message
    assert (
        "« Atelier tricot » du 05/12 à 14h00 est annulée" in message
        and "Salle indisponible" in message
    )


def test_the_sender_sends_sms_and_emails_once_and_calls_stay_for_the_concierge(world, tmp_path):
    database, village, _, who = world
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_animation_cancelled",
            notices.record_animation_cancelled,
            cancelled(list(who.values())),
        )
    outbox_file = tmp_path / "outbox.jsonl"
    sender = notices.OutboxFileSender(outbox_file)
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW) == 3  # two sms (one elsewhere) and one e-mail
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, sender, NOW + timedelta(minutes=1)) == 0
    lines = [json.loads(line) for line in outbox_file.read_text().splitlines()]
    assert sorted((m["channel"], m["to"]) for m in lines) == [
        ("email", "jeanne@example.org"),
        ("sms", "+33639981001"),
        ("sms", "+33639981005"),
    ]

    class Broken:
        def send(self, *args):
            raise OSError("gateway down")

    with database.unit_of_work() as uow:
        people.erase_member(uow, village, who["no_consent"])
    with database.unit_of_work() as uow:
        listed = notices.list_notices(uow, village, "to_send")
    assert [n["channel"] for n in listed] == ["call", "call"]  # erased people are left out
    assert {n["display_name"] for n in listed} == {"Personne landline", "Personne phone"}
    assert (
        next(n for n in listed if n["display_name"] == "Personne phone")["phone"]
        == "06 39 98 10 04"
    )
    with database.unit_of_work() as uow:
        everything = notices.list_notices(uow, village)
    assert [n["status"] for n in everything] == ["to_send", "to_send", "sent", "sent"]

    # a failing sender leaves the message to send and counts the attempt
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_animation_cancelled",
            notices.record_animation_cancelled,
            cancelled([who["sms"]]),
        )
    with database.unit_of_work() as uow:
        assert notices.send_pending(uow, Broken(), NOW) == 0
    with database.unit_of_work() as uow:
        waiting = [
            n for n in notices.list_notices(uow, village, "to_send") if n["channel"] == "sms"
        ]
    assert len(waiting) == 1 and waiting[0]["attempts"] == 1


def test_a_call_is_marked_done_once_by_its_village(world):
    database, village, other, who = world
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_animation_cancelled",
            notices.record_animation_cancelled,
            cancelled(list(who.values())),
        )
    rows = _notices(database)
    call, sms = rows[who["phone"]].id, rows[who["sms"]].id
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        notices.mark_done(uow, other, call)  # another village's concierge
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        notices.mark_done(uow, village, str(uuid.uuid4()))
    with database.unit_of_work() as uow, pytest.raises(Conflict) as not_a_call:
        notices.mark_done(uow, village, sms)
    assert not_a_call.value.reason == "notice_not_a_call"
    with database.unit_of_work() as uow:
        done = notices.mark_done(uow, village, call, now=NOW)
    assert done["status"] == "done" and done["done_at"] == NOW.isoformat()
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        notices.mark_done(uow, village, call)
    assert twice.value.reason == "notice_already_done"
    with database.unit_of_work() as uow:
        assert notices.list_notices(uow, other) and all(
            n["village_id"] == other for n in notices.list_notices(uow, other)
        )
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Notice).where(Notice.status == "done")
            )
            == 1
        )


def test_a_call_without_an_answer_is_counted_and_stays_on_the_list(world):
    database, village, other, who = world
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_animation_cancelled",
            notices.record_animation_cancelled,
            cancelled(list(who.values())),
        )
    rows = _notices(database)
    call, sms = rows[who["phone"]].id, rows[who["sms"]].id
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        notices.record_call(uow, other, call, "no_answer")
    with database.unit_of_work() as uow, pytest.raises(Conflict) as not_a_call:
        notices.record_call(uow, village, sms, "no_answer")
    assert not_a_call.value.reason == "notice_not_a_call"
    for minutes in (0, 30):
        with database.unit_of_work() as uow:
            tried = notices.record_call(
                uow, village, call, "no_answer", now=NOW + timedelta(minutes=minutes)
            )
    assert tried["status"] == "to_send" and tried["unanswered_calls"] == 2
    assert tried["last_called_at"] == (NOW + timedelta(minutes=30)).isoformat()
    with database.unit_of_work() as uow:
        still = [n["id"] for n in notices.list_notices(uow, village, "to_send")]
    assert call in still, "nobody was reached: the call is still to make"
    with database.unit_of_work() as uow:
        reached = notices.record_call(uow, village, call, "reached", now=NOW + timedelta(hours=2))
    assert reached["status"] == "done" and reached["unanswered_calls"] == 2
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        notices.record_call(uow, village, call, "no_answer")
    assert twice.value.reason == "notice_already_done"


def parcel_received(member_id, village_id, *, parcel_id=None, code="4821"):
    return parse_envelope(
        build_envelope(
            "parcel.received",
            {
                "parcel_id": parcel_id or str(uuid.uuid4()),
                "village_id": village_id,
                "sender_kind": "la_poste",
                "place_kind": "shelf",
                "occurred_at": NOW,
                "member_id": member_id,
                "pickup_code": code,
            },
            village_id=village_id,
            source="orders",
        )
    )


def test_a_parcel_waiting_tells_its_member_once_with_the_code_and_the_village(world):
    database, village, _other, people_ = world
    event = parcel_received(people_["sms"], village)

    def tell_twice():  # a redelivery tells nobody twice
        for _ in range(2):
            with database.unit_of_work() as uow:
                claim_and_handle(
                    uow, "members.on_parcel_received", notices.record_parcel_received, event
                )

    statements, _answer = statements_during(database, tell_twice)
    assert not [s for s in statements if "member_tags" in s], (
        "a notice does not read the member's tags"
    )
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(Notice).where(Notice.source_type == "parcel.received")
        ).all()
        assert [(n.member_id, n.channel, n.source_ref) for n in rows] == [
            (people_["sms"], "sms", event["payload"]["parcel_id"])
        ]
        assert "Peyrelevade" in rows[0].message and "4821" in rows[0].message


def test_a_parcel_for_nobody_known_tells_nobody(world):
    database, village, _other, _people = world
    with database.unit_of_work() as uow:
        assert claim_and_handle(
            uow,
            "members.on_parcel_received",
            notices.record_parcel_received,
            parcel_received(str(uuid.uuid4()), village),
        )
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_a_waiting_parcels_code_is_sent_again_by_the_members_channel_one_at_a_time(world):
    """The concierge's "Renvoyer le code": a new notice with the code, by the member's channel (a
    call when they cannot be written to); asked again while it has not gone, the same one; a parcel
    not heard of yet, of another village, or closed, refused."""
    database, village, other, people_ = world
    event = parcel_received(people_["sms"], village, code="770312")
    by_call = parcel_received(people_["no_consent"], village, code="110044")
    with database.unit_of_work() as uow:
        claim_and_handle(uow, "members.on_parcel_received", notices.record_parcel_received, event)
    with database.unit_of_work() as uow:
        claim_and_handle(uow, "members.on_parcel_received", notices.record_parcel_received, by_call)
    parcel_id = event["payload"]["parcel_id"]
    with database.unit_of_work() as uow:
        sent = notices.resend_parcel_code(uow, village, parcel_id)
    with database.unit_of_work() as uow:
        again = notices.resend_parcel_code(uow, village, parcel_id)
    assert sent["channel"] == "sms" and sent["source_type"] == "parcel.code_resent"
    assert "770312" in sent["message"] and again["id"] == sent["id"], "one at a time"
    with database.unit_of_work() as uow:
        uow.session.get(Notice, sent["id"]).status = "sent"
        uow.commit()
    with database.unit_of_work() as uow:
        assert notices.resend_parcel_code(uow, village, parcel_id)["id"] != sent["id"]
    with database.unit_of_work() as uow:
        call = notices.resend_parcel_code(uow, village, by_call["payload"]["parcel_id"])
    assert call["channel"] == "call" and "110044" in call["message"]

    with database.unit_of_work() as uow, pytest.raises(NotFound):
        notices.resend_parcel_code(uow, other, parcel_id)
    with database.unit_of_work() as uow, pytest.raises(Conflict) as unknown:
        notices.resend_parcel_code(uow, village, str(uuid.uuid4()))
    assert unknown.value.reason == "parcel_not_known_yet"
    handed = build_envelope(
        "parcel.handed_over",
        {
            "parcel_id": parcel_id,
            "village_id": village,
            "sender_kind": "la_poste",
            "place_kind": "shelf",
            "occurred_at": NOW,
        },
        village_id=village,
        source="orders",
    )
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_parcel_handed_over",
            notices.record_parcel_handed_over,
            parse_envelope(handed),
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as closed:
        notices.resend_parcel_code(uow, village, parcel_id)
    assert closed.value.reason == "parcel_not_waiting"
