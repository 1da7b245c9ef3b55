"""Animations and suggestions in the events service, on SQLite and PostgreSQL: capacity, the waiting
list and its promotion, bad input named field by field, the suggestion workflow, the events each
change writes to the outbox; and over real RPC, that the typed errors cross as themselves."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.events import animations, read_models, suggestions
from services.events.models import KnownMember, KnownPartner, KnownVillage, Suggestion
from services.events.schemas import (
    AnimationInput,
    AttendanceInput,
    CancelInput,
    CapacityInput,
    RegistrationInput,
    RoleFillInput,
    SuggestionInput,
    SuggestionStatusInput,
    SupportInput,
)
from services.events.service import EventsService
from tests.support.reliability import outbox

START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
DURING = START + timedelta(hours=1)  # when the roll call is taken


@pytest.fixture
def world(service_db):
    """Three known villages, a partner, five members in the first village."""
    database = service_db("events")
    now = datetime.now(UTC)
    villages = [str(uuid.uuid4()) for _ in range(3)]
    members = [str(uuid.uuid4()) for _ in range(5)]
    partner = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        for n, village in enumerate(villages):
            uow.session.add(
                KnownVillage(
                    id=village, slug=f"v{n}", name=f"Village {n}", commune="C", opened_at=now
                )
            )
        uow.session.add(
            KnownPartner(
                id=partner, name="Association des Aînés", kind="association", joined_at=now
            )
        )
        for n, member in enumerate(members):
            uow.session.add(
                KnownMember(
                    id=member,
                    village_id=villages[0],
                    display_name=f"Personne {n}",
                    registered_at=now,
                )
            )
        uow.commit()
    return database, villages, members, partner


def animation_input(**change):
    data = {
        "kind": "atelier",
        "title": "Atelier tricot",
        "place": "Salle des fêtes",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(),
        "capacity": 2,
        "roles": [{"role": "accueil", "needed": 1}],
    }
    data.update(change)
    return data


def test_full_animation_fills_the_waiting_list_and_promotes_first_come(world):
    database, villages, members, partner = world
    with database.unit_of_work() as uow:
        created = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(co_organiser_ids=[partner]))
        )
    aid = created["id"]
    assert created["kind_label"] == "Atelier" and created["co_organiser_ids"] == [partner]
    statuses = []
    for member in members[:4]:
        with database.unit_of_work() as uow:
            statuses.append(
                animations.register(
                    uow, aid, load(RegistrationInput(), {"member_id": member}), None
                )["registration"]["status"]
            )
    assert statuses == ["registered", "registered", "waiting", "waiting"]
    with database.unit_of_work() as uow:
        guest = animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            None,
        )
    assert guest["registration"]["status"] == "waiting" and guest["waiting"] == 3

    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        animations.register(uow, aid, load(RegistrationInput(), {"member_id": members[2]}), None)
    assert twice.value.reason == "already_registered" and twice.value.field == "member_id"
    with database.unit_of_work() as uow, pytest.raises(Conflict) as guest_twice:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Jeanne Faure", "guest_phone": "0555123456"}),
            None,
        )
    assert guest_twice.value.field == "guest_phone"

    first = next(r for r in guest["registrations"] if r["member_id"] == members[0])
    with database.unit_of_work() as uow:
        after = animations.cancel_registration(uow, aid, first["id"], None)
    by_member = {r["member_id"]: r for r in after["registrations"]}
    assert members[0] not in by_member
    assert by_member[members[2]]["status"] == "registered" and by_member[members[2]]["promoted_at"]
    assert by_member[members[3]]["status"] == "waiting"
    assert (after["registered"], after["waiting"]) == (2, 2)

    # capacity: never below the places taken; more places promote the next people waiting
    with database.unit_of_work() as uow, pytest.raises(Conflict) as below:
        animations.change_capacity(uow, aid, load(CapacityInput(), {"capacity": 1}), None)
    assert below.value.reason == "capacity_below_registrations" and below.value.field == "capacity"
    with database.unit_of_work() as uow:
        bigger = animations.change_capacity(uow, aid, load(CapacityInput(), {"capacity": 4}), None)
    assert (bigger["registered"], bigger["waiting"]) == (4, 0)

    # the one who cancelled may come back, at the end of the queue
    with database.unit_of_work() as uow:
        back = animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[0]}), None
        )
    assert back["registration"]["status"] == "waiting"

    assert [e["payload"]["animation_id"] for e in outbox(database, "animation.scheduled")] == [aid]


def test_bad_animation_input_names_each_field(world):
    database, villages, members, partner = world

    def refused(data, village=None):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.create_animation(uow, village or villages[0], load(AnimationInput(), data))
        return err.value.errors

    assert "ends_at" in refused(animation_input(ends_at=START.isoformat()))
    assert "starts_at" in refused(animation_input(starts_at="2026-12-05T14:00:00"))  # naive
    assert "capacity" in refused(animation_input(capacity=0))
    assert "kind" in refused(animation_input(kind="rave"))
    unknown = str(uuid.uuid4())
    assert refused(animation_input(co_organiser_ids=[partner, unknown]))["co_organiser_ids"] == [
        f"Unknown partner: {unknown}."
    ]
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        animations.create_animation(
            uow, str(uuid.uuid4()), load(AnimationInput(), animation_input())
        )
    assert outbox(database, "animation.scheduled") == []

    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input())
        )["id"]
    for data, field in [
        ({"member_id": str(uuid.uuid4())}, "member_id"),
        ({"guest_name": "Paul"}, "guest_phone"),
        ({"guest_name": "Paul", "guest_phone": "pas de tel"}, "guest_phone"),
    ]:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.register(uow, aid, load(RegistrationInput(), data), None)
        assert field in err.value.errors, data
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        animations.get_animation(uow, aid, [villages[1]])  # another village's concierge


def _partnership_ended(database, partner_id: str) -> None:
    """`partner.updated` with `ended_at`, as partners tells it, handled by events' read model."""
    ended_at = datetime.now(UTC)
    event = parse_envelope(
        build_envelope(
            "partner.updated",
            {
                "partner_id": partner_id,
                "name": "Association des Aînés",
                "kind": "association",
                "village_ids": [],
                "relationships": ["co_organiser"],
                "ended_at": ended_at,
            },
            village_id=None,
            source="partners",
            occurred_at=ended_at,
        )
    )
    with database.unit_of_work() as uow:
        read_models.record_partner(uow, event)


def test_an_ended_partner_co_organises_no_new_animation_and_old_ones_read_as_they_were(world):
    database, villages, _members, partner = world
    with database.unit_of_work() as uow:
        before = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(co_organiser_ids=[partner]))
        )
    _partnership_ended(database, partner)

    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(co_organiser_ids=[partner]))
        )
    assert refused.value.errors == {
        "co_organiser_ids": [
            "The partnership ended, this partner may no longer co-organise: Association des Aînés."
        ]
    }
    assert refused.value.errors_fr["co_organiser_ids"] == [
        "Le partenariat a pris fin, ce partenaire ne peut plus co-organiser : "
        "Association des Aînés."
    ]
    assert [e["payload"]["animation_id"] for e in outbox(database, "animation.scheduled")] == [
        before["id"]
    ], "nothing written for the refused one"
    with database.unit_of_work() as uow:
        kept = animations.get_animation(uow, before["id"], None)
        assert kept["co_organiser_ids"] == [partner]
        assert read_models.known_partners(uow, villages[0]) == [], "offered no more"
        [named] = read_models.known_partners(uow, villages[0], with_ended=True)
    assert named["id"] == partner and named["ended_at"]
    with database.unit_of_work() as uow:  # without a co-organiser, it is scheduled
        animations.create_animation(uow, villages[0], load(AnimationInput(), animation_input()))


def test_attendance_is_taken_from_the_start_to_a_week_after_the_end_and_credits_only_then(world):
    database, villages, members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input())
        )["id"]
    with database.unit_of_work() as uow:
        animations.fill_role(
            uow, aid, load(RoleFillInput(), {"member_id": members[4], "role": "accueil"}), None
        )
    ends = START + timedelta(hours=2)
    last = ends + timedelta(days=animations.ATTENDANCE_DAYS_AFTER)
    refused = {
        "attendance_before_start": START - timedelta(minutes=1),
        "attendance_too_late": last + timedelta(minutes=1),
    }
    for code, at in refused.items():
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.take_attendance(
                uow, aid, load(AttendanceInput(), {"people_reached": 4}), None, now=at
            )
        [message] = err.value.errors_fr["present"]
        assert message.startswith("Présents : l'appel se fait"), message
        assert [m.code for m in err.value.errors["present"]] == [code]
    assert "jusqu'au samedi 12/12 à 17h00" in str(err.value.errors_fr), "the last day, in Paris"
    assert outbox(database, "animation.attended") == [], "no hours credited ahead"
    with database.unit_of_work() as uow:
        assert animations.get_animation(uow, aid, None)["status"] == "scheduled"
    with database.unit_of_work() as uow:
        held = animations.take_attendance(
            uow, aid, load(AttendanceInput(), {"people_reached": 4}), None, now=last
        )
    assert held["status"] == "held"
    [attended] = outbox(database, "animation.attended")
    assert attended["payload"]["volunteers"] == [
        {"member_id": members[4], "role": "accueil", "minutes": 120}
    ]


def test_roles_attendance_once_and_cancellation(world):
    database, villages, members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input())
        )["id"]
    with database.unit_of_work() as uow:
        animations.fill_role(
            uow, aid, load(RoleFillInput(), {"member_id": members[4], "role": "accueil"}), None
        )
    with database.unit_of_work() as uow, pytest.raises(Conflict) as full:
        animations.fill_role(
            uow, aid, load(RoleFillInput(), {"member_id": members[3], "role": "accueil"}), None
        )
    assert full.value.reason == "role_full"
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as unknown_role:
        animations.fill_role(
            uow, aid, load(RoleFillInput(), {"member_id": members[3], "role": "buvette"}), None
        )
    assert "role" in unknown_role.value.errors
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as stranger:
        animations.take_attendance(
            uow,
            aid,
            load(
                AttendanceInput(),
                {"people_reached": 9, "volunteers": [{"member_id": members[3], "minutes": 60}]},
            ),
            None,
            now=DURING,
        )
    assert "volunteers" in stranger.value.errors

    with database.unit_of_work() as uow:
        held = animations.take_attendance(
            uow, aid, load(AttendanceInput(), {"people_reached": 9}), None, now=DURING
        )
    assert held["status"] == "held" and held["people_reached"] == 9
    with database.unit_of_work() as uow, pytest.raises(Conflict) as again:
        animations.take_attendance(
            uow, aid, load(AttendanceInput(), {"people_reached": 9}), None, now=DURING
        )
    assert again.value.reason == "attendance_already_taken"
    [attended] = outbox(database, "animation.attended")
    assert attended["payload"]["volunteers"] == [
        {"member_id": members[4], "role": "accueil", "minutes": 120}
    ]

    with database.unit_of_work() as uow:
        other = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(title="Café des aidants"))
        )["id"]
    for member in members[:3]:
        with database.unit_of_work() as uow:
            animations.register(uow, other, load(RegistrationInput(), {"member_id": member}), None)
    with database.unit_of_work() as uow:
        cancelled = animations.cancel_animation(
            uow, other, load(CancelInput(), {"reason": "Salle indisponible"}), None
        )
    assert cancelled["status"] == "cancelled"
    [event] = outbox(database, "animation.cancelled")
    assert sorted(event["payload"]["member_ids"]) == sorted(
        members[:3]
    )  # two registered, one waiting
    with database.unit_of_work() as uow, pytest.raises(Conflict) as closed:
        animations.register(uow, other, load(RegistrationInput(), {"member_id": members[3]}), None)
    assert closed.value.reason == "animation_cancelled"


def test_suggestion_workflow_supports_and_network_signals(world):
    database, villages, members, _ = world
    made = []
    for village in villages:
        with database.unit_of_work() as uow:
            made.append(
                suggestions.create_suggestion(
                    uow,
                    village,
                    load(
                        SuggestionInput(),
                        {"category": "mobilite", "text": "Un transport vers le marché"},
                    ),
                )
            )
    with database.unit_of_work() as uow:
        suggestions.create_suggestion(
            uow,
            villages[0],
            load(
                SuggestionInput(),
                {"category": "sante", "text": "Une permanence infirmière", "member_id": members[0]},
            ),
        )
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as unknown:
        suggestions.create_suggestion(
            uow,
            villages[0],
            load(
                SuggestionInput(), {"category": "ovni", "text": "x", "member_id": str(uuid.uuid4())}
            ),
        )
    assert {"category", "text"} <= set(unknown.value.errors)

    sid = made[0]["id"]
    with database.unit_of_work() as uow:
        assert (
            suggestions.support(uow, sid, load(SupportInput(), {"member_id": members[1]}), None)[
                "supports"
            ]
            == 1
        )
    with database.unit_of_work() as uow:  # twice: nothing more, the suggestion as it is
        twice = suggestions.support(uow, sid, load(SupportInput(), {"member_id": members[1]}), None)
    assert twice["supports"] == 1
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as stranger:
        suggestions.support(uow, sid, load(SupportInput(), {"member_id": str(uuid.uuid4())}), None)
    assert "member_id" in stranger.value.errors

    with database.unit_of_work() as uow, pytest.raises(Conflict) as jump:
        suggestions.change_status(uow, sid, load(SuggestionStatusInput(), {"status": "done"}), None)
    assert jump.value.reason == "suggestion_status_transition" and jump.value.details == {
        "current": "new",
        "requested": "done",
        "allowed": ["under_study", "declined"],
    }
    with database.unit_of_work() as uow, pytest.raises(InvalidInput) as no_reason:
        suggestions.change_status(
            uow, made[1]["id"], load(SuggestionStatusInput(), {"status": "declined"}), None
        )
    assert "reason" in no_reason.value.errors
    for status in ("under_study", "planned", "done"):
        with database.unit_of_work() as uow:
            assert (
                suggestions.change_status(
                    uow, sid, load(SuggestionStatusInput(), {"status": status}), None
                )["status"]
                == status
            )
    with database.unit_of_work() as uow:
        declined = suggestions.change_status(
            uow,
            made[1]["id"],
            load(
                SuggestionStatusInput(),
                {"status": "declined", "reason": "Déjà assuré par la commune"},
            ),
            None,
        )
    assert declined["decline_reason"] == "Déjà assuré par la commune"
    with database.unit_of_work() as uow:  # answered two hours after it was made
        row = uow.session.get(Suggestion, made[1]["id"])
        row.answered_at = row.created_at + timedelta(hours=2)
        uow.session.get(Suggestion, sid).answered_at = uow.session.get(
            Suggestion, sid
        ).created_at + timedelta(hours=4)
        uow.commit()

    with database.unit_of_work() as uow:
        view = suggestions.overview(uow, None)
    [signal] = view["signals"]
    assert signal["category"] == "mobilite" and signal["villages"] == 3 and signal["category_label"]
    assert {c["category"] for c in view["categories"]} == {"mobilite", "sante"}
    assert view["median_answer_hours"] == 3.0 and view["answered"] == 2
    assert len(outbox(database, "suggestion.made")) == 4
    assert [e["payload"]["status"] for e in outbox(database, "suggestion.answered")] == [
        "under_study",
        "planned",
        "done",
        "declined",
    ]
    with database.unit_of_work() as uow:
        export = read_models.member_data(uow, members[1])
    assert export["supported_suggestions"] == [sid]


def test_typed_errors_cross_rpc(container_factory, nameko_config, world):
    database, villages, members, _ = world
    container_factory(EventsService, nameko_config).start()
    with ServiceRpcProxy("events", nameko_config, timeout=10) as events:
        created = events.create_animation(villages[0], animation_input(capacity=1))
        events.register(created["id"], {"member_id": members[0]}, [villages[0]])
        with pytest.raises(Conflict):
            events.register(created["id"], {"member_id": members[0]}, [villages[0]])
        with pytest.raises(InvalidInput):
            events.change_capacity(created["id"], {"capacity": 0}, None)
        with pytest.raises(NotFound):
            events.get_animation(created["id"], [villages[1]])
        assert events.list_animations(villages[0])[0]["registered"] == 1


def test_recurrence_creates_each_occurrence_and_must_end(world):
    database, villages, _, _ = world
    weekly = {"frequency": "weekly", "count": 3}
    with database.unit_of_work() as uow:
        first = animations.create_animation(
            uow,
            villages[0],
            load(
                AnimationInput(),
                animation_input(
                    starts_at="2026-10-15T14:00:00+02:00",
                    ends_at="2026-10-15T16:00:00+02:00",
                    recurrence=weekly,
                ),
            ),
        )
    # 14:00 in France each week, across the end of summer time (25 October)
    assert first["occurrences"] == [
        "2026-10-15T14:00:00+02:00",
        "2026-10-22T14:00:00+02:00",
        "2026-10-29T14:00:00+01:00",
    ]
    assert first["series_id"] and len(outbox(database, "animation.scheduled")) == 3
    with database.unit_of_work() as uow:
        monthly = animations.create_animation(
            uow,
            villages[0],
            load(
                AnimationInput(),
                animation_input(
                    starts_at="2027-01-31T10:00:00+01:00",
                    ends_at="2027-01-31T12:00:00+01:00",
                    recurrence={"frequency": "monthly", "until": "2027-04-30"},
                ),
            ),
        )
    assert [o[:10] for o in monthly["occurrences"]] == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
    ]
    with database.unit_of_work() as uow:
        assert len(animations.list_animations(uow, villages[0])) == 7

    for recurrence, field in [
        ({"frequency": "weekly"}, "until"),  # never ends
        ({"frequency": "weekly", "count": 3, "until": "2027-01-01"}, "count"),
        ({"frequency": "daily", "count": 3}, "frequency"),
        ({"frequency": "weekly", "count": 53}, "count"),
    ]:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.create_animation(
                uow, villages[0], load(AnimationInput(), animation_input(recurrence=recurrence))
            )
        assert field in err.value.errors["recurrence"], recurrence
    for recurrence in (
        {"frequency": "weekly", "until": "2026-01-01"},
        {"frequency": "weekly", "until": "2028-12-31"},
    ):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.create_animation(
                uow, villages[0], load(AnimationInput(), animation_input(recurrence=recurrence))
            )
        assert "recurrence" in err.value.errors


def test_the_public_calendar_holds_no_personal_data(world):
    database, villages, members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            villages[0],
            load(
                AnimationInput(),
                animation_input(
                    starts_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
                    ends_at=(datetime.now(UTC) + timedelta(days=1, hours=2)).isoformat(),
                ),
            ),
        )["id"]
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            None,
        )
    with database.unit_of_work() as uow:
        feed = animations.public_calendar(uow, villages[0])
    assert [a["id"] for a in feed["animations"]] == [aid] and "Faure" not in json.dumps(feed)
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        animations.public_calendar(uow, str(uuid.uuid4()))


def test_an_erasure_scrubs_the_text_of_suggestions_raised_for_the_person(world):
    from backbone.contracts import build_envelope, parse_envelope

    database, villages, members, _ = world
    with database.unit_of_work() as uow:
        theirs = suggestions.create_suggestion(
            uow,
            villages[0],
            load(
                SuggestionInput(),
                {
                    "category": "sante",
                    "text": "Mme Personne 0 voudrait une infirmière le mardi",
                    "member_id": members[0],
                },
            ),
        )
    with database.unit_of_work() as uow:
        other = suggestions.create_suggestion(
            uow,
            villages[0],
            load(SuggestionInput(), {"category": "sante", "text": "Une permanence"}),
        )
    erased = parse_envelope(
        build_envelope(
            "member.erased",
            {"member_id": members[0], "village_id": villages[0]},
            village_id=villages[0],
            source="members",
        )
    )
    for _ in range(2):  # a redelivery changes nothing more
        with database.unit_of_work() as uow:
            claim_and_handle(
                uow, "events.on_member_erased", read_models.record_member_erased, erased
            )
    with database.unit_of_work() as uow:
        texts = {s.id: (s.text, s.category) for s in uow.session.scalars(select(Suggestion))}
    assert texts[theirs["id"]] == (read_models.ERASED_TEXT, "sante"), (
        "the category stays for the figures"
    )
    assert texts[other["id"]] == ("Une permanence", "sante")
    with database.unit_of_work() as uow:
        assert (
            read_models.member_data(uow, members[0])["suggestions"][0]["text"]
            == read_models.ERASED_TEXT
        )


def test_members_registered_and_promoted_are_announced_guests_are_not(world):
    database, villages, members, _partner = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(capacity=1))
        )["id"]
    with database.unit_of_work() as uow:
        first = animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[0]}), None
        )["registration"]
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "0555123456"}),
            None,
        )
    with database.unit_of_work() as uow:
        animations.register(uow, aid, load(RegistrationInput(), {"member_id": members[1]}), None)
    registered = outbox(database, "animation.registered")
    assert [
        (e["payload"]["member_id"], e["payload"]["status"], e["payload"]["position"])
        for e in registered
    ] == [(members[0], "registered", 1), (members[1], "waiting", 3)], "a guest is not announced"
    assert registered[0]["payload"]["registration_id"] == first["id"]
    assert {e["payload"]["title"] for e in registered} == {"Atelier tricot"}
    assert "Mme Faure" not in json.dumps(registered)
    # the guest waits before members[1]: a freed place goes to the guest, announced to nobody
    with database.unit_of_work() as uow:
        animations.cancel_registration(uow, aid, first["id"], None)
    assert outbox(database, "animation.promoted") == []
    with database.unit_of_work() as uow:
        animations.change_capacity(uow, aid, load(CapacityInput(), {"capacity": 2}), None)
    [promoted] = outbox(database, "animation.promoted")
    assert promoted["payload"]["member_id"] == members[1]
    assert promoted["village_id"] == villages[0]
    for envelope in registered + [promoted]:
        parse_envelope(envelope)


def test_the_reminder_of_the_day_before_is_announced_once_from_10h_paris(world):
    database, villages, members, _partner = world
    with database.unit_of_work() as uow:  # Saturday 5 December, 15:00 Paris
        aid = animations.create_animation(
            uow, villages[0], load(AnimationInput(), animation_input(capacity=1))
        )["id"]
    with database.unit_of_work() as uow:  # the day after: not tomorrow on the 4th
        animations.create_animation(
            uow,
            villages[0],
            load(
                AnimationInput(),
                animation_input(
                    starts_at=(START + timedelta(days=1)).isoformat(),
                    ends_at=(START + timedelta(days=1, hours=2)).isoformat(),
                ),
            ),
        )
    for member in members[:2]:  # one place, one waiting
        with database.unit_of_work() as uow:
            animations.register(uow, aid, load(RegistrationInput(), {"member_id": member}), None)
    paris = ZoneInfo("Europe/Paris")
    with database.unit_of_work() as uow:
        assert animations.remind_tomorrow(uow, datetime(2026, 12, 4, 9, 59, tzinfo=paris)) == []
    with database.unit_of_work() as uow:
        assert animations.remind_tomorrow(uow, datetime(2026, 12, 4, 10, tzinfo=paris)) == [aid]
    with database.unit_of_work() as uow:
        assert animations.remind_tomorrow(uow, datetime(2026, 12, 4, 18, tzinfo=paris)) == []
    [due] = outbox(database, "animation.reminder_due")
    assert due["payload"]["animation_id"] == aid
    assert due["payload"]["member_ids"] == [members[0]], "not the one waiting"
    parse_envelope(due)
