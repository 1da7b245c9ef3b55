"""Issue 6, the second half, on SQLite and PostgreSQL: animations open to several villages (who
sees, who registers, who changes), people reached counted at attendance, guests' erasure (on
request and by the retention rule), suggestions linked to what answered them, the public
network calendar, and the coordinator's figures."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.schemas import load
from services.events import animations, figures, read_models, suggestions
from services.events.models import (
    KnownMember,
    KnownPartner,
    KnownVillage,
    Registration,
    Suggestion,
)
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
from tests.support.reliability import outbox

START = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
DURING = START + timedelta(hours=1)  # when the roll call is taken


@pytest.fixture
def world(service_db):
    """Three known villages, a partner, two members in each of the first two villages."""
    database = service_db("events")
    now = datetime.now(UTC)
    villages = [str(uuid.uuid4()) for _ in range(3)]
    members = {v: [str(uuid.uuid4()) for _ in range(2)] for v in villages[:2]}
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
        for village, ids in members.items():
            for n, member in enumerate(ids):
                uow.session.add(
                    KnownMember(
                        id=member,
                        village_id=village,
                        display_name=f"Personne {village[:4]} {n}",
                        registered_at=now,
                    )
                )
        uow.commit()
    return database, villages, members, partner


def animation_input(**change):
    data = {
        "kind": "repas",
        "title": "Repas partagé",
        "place": "Salle des fêtes",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(),
        "capacity": 3,
        "roles": [{"role": "cuisine", "needed": 1}],
    }
    data.update(change)
    return data


def test_an_animation_open_to_another_village(world):
    database, (host, guest_village, other), members, _ = world
    with database.unit_of_work() as uow:
        created = animations.create_animation(
            uow, host, load(AnimationInput(), animation_input(invited_village_ids=[guest_village]))
        )
    aid = created["id"]
    assert created["village_id"] == host and created["invited_village_ids"] == [guest_village]
    [scheduled] = outbox(database, "animation.scheduled")
    assert scheduled["payload"]["invited_village_ids"] == [guest_village]

    # on both calendars, not on the third village's
    with database.unit_of_work() as uow:
        assert [a["id"] for a in animations.list_animations(uow, guest_village)] == [aid]
        assert animations.list_animations(uow, other) == []
        assert [a["id"] for a in animations.public_calendar(uow, guest_village)["animations"]] == [
            aid
        ]
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        animations.get_animation(uow, aid, [other])

    # each hub registers its own inhabitants; names show only to the hub that registered them
    with database.unit_of_work() as uow:
        animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[host][0]}), [host]
        )
    with database.unit_of_work() as uow:
        theirs = animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Roux", "guest_phone": "05 55 00 11 22"}),
            [guest_village],
        )
    assert theirs["registration"]["village_id"] == guest_village
    by_hub = {r["village_id"]: r for r in theirs["registrations"]}
    assert by_hub[guest_village]["guest_name"] == "Mme Roux"
    assert (
        by_hub[host]["display_name"] is None and by_hub[host]["member_id"]
    )  # the host's person, unnamed here
    with database.unit_of_work() as uow:
        seen_by_host = animations.get_animation(uow, aid, [host])
    hidden = next(r for r in seen_by_host["registrations"] if r["village_id"] == guest_village)
    assert (
        hidden["guest_name"] is None
        and hidden["guest_phone"] is None
        and hidden["status"] == "registered"
    )
    assert "Mme Roux" not in json.dumps(seen_by_host)

    # only the host changes it
    for change in (
        lambda uow: animations.change_capacity(
            uow, aid, load(CapacityInput(), {"capacity": 5}), [guest_village]
        ),
        lambda uow: animations.fill_role(
            uow,
            aid,
            load(RoleFillInput(), {"member_id": members[guest_village][0], "role": "cuisine"}),
            [guest_village],
        ),
        lambda uow: animations.take_attendance(
            uow, aid, load(AttendanceInput(), {"people_reached": 3}), [guest_village], now=DURING
        ),
        lambda uow: animations.cancel_animation(uow, aid, load(CancelInput(), {}), [guest_village]),
    ):
        with database.unit_of_work() as uow, pytest.raises(Conflict) as refused:
            change(uow)
        assert refused.value.reason == "animation_hosted_elsewhere"
    # an invited hub cannot cancel the host's registrations
    host_registration = by_hub[host]["id"]
    with database.unit_of_work() as uow, pytest.raises(NotFound):
        animations.cancel_registration(uow, aid, host_registration, [guest_village])
    with database.unit_of_work() as uow:
        assert (
            animations.change_capacity(uow, aid, load(CapacityInput(), {"capacity": 5}), [host])[
                "capacity"
            ]
            == 5
        )
    with database.unit_of_work() as uow:  # the coordinator too
        assert (
            animations.change_capacity(uow, aid, load(CapacityInput(), {"capacity": 6}), None)[
                "capacity"
            ]
            == 6
        )


def test_invited_villages_must_be_known_and_not_the_host(world):
    database, (host, guest_village, _), _, _ = world
    unknown = str(uuid.uuid4())
    for invited, message in [
        ([unknown], f"Unknown village: {unknown}."),
        ([host], "The host village is not invited: it hosts."),
        ([guest_village, guest_village], "A village is listed twice."),
    ]:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.create_animation(
                uow, host, load(AnimationInput(), animation_input(invited_village_ids=invited))
            )
        assert err.value.errors["invited_village_ids"] == [message]
    assert outbox(database, "animation.scheduled") == []


def test_another_villages_member_is_refused_without_their_name(world):
    """Issue 21: a hub registers, and records suggestions for, its own inhabitants only; a member id
    of a village the caller does not serve is a 400 naming `member_id`, and nothing answers with
    their name. (Supports may come from any village: tests/services/test_events_signals.py.)"""
    database, (host, guest_village, other), members, _ = world
    outsider = str(uuid.uuid4())
    with database.unit_of_work() as uow:
        uow.session.add(
            KnownMember(
                id=outsider,
                village_id=other,
                display_name="Lucienne Outsider",
                registered_at=datetime.now(UTC),
            )
        )
        uow.commit()
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, host, load(AnimationInput(), animation_input(invited_village_ids=[guest_village]))
        )["id"]

    refused = [
        (outsider, [host]),
        (outsider, None),  # of no village of the animation, even for the coordinator
        (
            members[guest_village][0],
            [host],
        ),  # the invited village's inhabitant, registered by the host
        (members[host][0], [guest_village]),
    ]  # and the other way round
    for member, caller in refused:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.register(uow, aid, load(RegistrationInput(), {"member_id": member}), caller)
        assert list(err.value.errors) == ["member_id"], (member, caller)
        assert "Lucienne" not in json.dumps(err.value.errors) and "Personne" not in json.dumps(
            err.value.errors
        )
    with database.unit_of_work() as uow:
        assert animations.get_animation(uow, aid, None)["registrations"] == []

    # the coordinator registering an invited village's inhabitant: their own hub sees their
    # name, the host does not
    with database.unit_of_work() as uow:
        done = animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[guest_village][0]}), None
        )
    assert done["registration"]["village_id"] == guest_village
    with database.unit_of_work() as uow:
        [seen_by_host] = animations.get_animation(uow, aid, [host])["registrations"]
    assert seen_by_host["display_name"] is None

    with database.unit_of_work() as uow:
        made = suggestions.create_suggestion(
            uow, host, load(SuggestionInput(), {"category": "mobilite", "text": "Un bus"})
        )["id"]
    for action in (
        lambda uow: suggestions.create_suggestion(
            uow,
            host,
            load(
                SuggestionInput(),
                {"category": "sante", "text": "Un médecin", "member_id": outsider},
            ),
        ),
        # a support may come from any village of the network (issue #26: signals), but not from
        # someone the network does not know
        lambda uow: suggestions.support(
            uow, made, load(SupportInput(), {"member_id": str(uuid.uuid4())}), [host]
        ),
    ):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            action(uow)
        assert list(err.value.errors) == ["member_id"] and "Lucienne" not in json.dumps(
            err.value.errors
        )
    with database.unit_of_work() as uow:
        assert (
            suggestions.support(
                uow, made, load(SupportInput(), {"member_id": members[host][0]}), [host]
            )["supports"]
            == 1
        )
        assert [s["id"] for s in suggestions.list_suggestions(uow, host)] == [made]


def test_attendance_counts_people_reached_from_those_present(world):
    database, (host, guest_village, _), members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            host,
            load(
                AnimationInput(), animation_input(capacity=10, invited_village_ids=[guest_village])
            ),
        )["id"]
    registered = []
    for village, body in [
        (host, {"member_id": members[host][0]}),
        (host, {"member_id": members[host][1]}),
        (guest_village, {"guest_name": "M. Blanc", "guest_phone": "05 55 00 33 44"}),
        (guest_village, {"member_id": members[guest_village][0]}),
    ]:
        with database.unit_of_work() as uow:
            registered.append(
                animations.register(uow, aid, load(RegistrationInput(), body), [village])[
                    "registration"
                ]["id"]
            )
    with database.unit_of_work() as uow:
        animations.fill_role(
            uow,
            aid,
            load(RoleFillInput(), {"member_id": members[host][1], "role": "cuisine"}),
            [host],
        )

    bad = [
        ({"present": [str(uuid.uuid4())]}, "present"),
        ({}, "people_reached"),
        ({"present": [registered[0]], "people_reached": 4}, "people_reached"),
        ({"people_reached": 4, "walk_ins": 2}, "walk_ins"),
        ({"present": [registered[0], registered[0]]}, "present"),
    ]
    for body, field in bad:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            animations.take_attendance(uow, aid, load(AttendanceInput(), body), [host], now=DURING)
        assert field in err.value.errors, body

    with database.unit_of_work() as uow:
        held = animations.take_attendance(
            uow,
            aid,
            load(AttendanceInput(), {"present": registered[:3], "walk_ins": 2}),
            [host],
            now=DURING,
        )
    # two members and one registered guest came, and two people without registering
    assert (held["people_reached"], held["guests"]) == (5, 3)
    assert {r["id"]: r["present"] for r in held["registrations"]} == {
        registered[0]: True,
        registered[1]: True,
        registered[2]: True,
        registered[3]: False,
    }
    [attended] = outbox(database, "animation.attended")
    assert attended["payload"]["people_reached"] == 5 and attended["payload"]["guests"] == 3
    assert attended["payload"]["volunteers"] == [
        {"member_id": members[host][1], "role": "cuisine", "minutes": 120}
    ]

    # a head count alone: guests unknown
    with database.unit_of_work() as uow:
        other = animations.create_animation(
            uow, host, load(AnimationInput(), animation_input(title="Café"))
        )["id"]
    with database.unit_of_work() as uow:
        counted = animations.take_attendance(
            uow, other, load(AttendanceInput(), {"people_reached": 12}), [host], now=DURING
        )
    assert (counted["people_reached"], counted["guests"]) == (12, None)


def test_a_cancellation_lists_the_guests_to_call_of_each_hub(world):
    database, (host, guest_village, _), members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            host,
            load(
                AnimationInput(), animation_input(capacity=1, invited_village_ids=[guest_village])
            ),
        )["id"]
    with database.unit_of_work() as uow:
        animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[host][0]}), [host]
        )
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            [host],
        )  # waiting
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "M. Blanc", "guest_phone": "05 55 00 33 44"}),
            [guest_village],
        )
    with database.unit_of_work() as uow:
        assert animations.guests_to_call(uow, aid, [host]) == []  # not cancelled

    with database.unit_of_work() as uow:
        cancelled = animations.cancel_animation(
            uow, aid, load(CancelInput(), {"reason": "Salle inondée"}), [host]
        )
    assert [
        (g["guest_name"], g["guest_phone"], g["status"]) for g in cancelled["guests_to_call"]
    ] == [("Mme Faure", "05 55 12 34 56", "waiting")]
    with database.unit_of_work() as uow:
        theirs = animations.guests_to_call(uow, aid, [guest_village])
    assert [g["guest_name"] for g in theirs] == ["M. Blanc"]
    [event] = outbox(database, "animation.cancelled")
    assert event["payload"]["member_ids"] == [members[host][0]]


def test_a_guest_is_erased_on_request_once_and_the_counts_stay(world):
    database, (host, guest_village, _), members, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow, host, load(AnimationInput(), animation_input(invited_village_ids=[guest_village]))
        )["id"]
    with database.unit_of_work() as uow:
        guest = animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            [guest_village],
        )["registration"]["id"]
    with database.unit_of_work() as uow:
        member = animations.register(
            uow, aid, load(RegistrationInput(), {"member_id": members[host][0]}), [host]
        )["registration"]["id"]

    with database.unit_of_work() as uow, pytest.raises(Conflict) as not_guest:
        animations.erase_guest(uow, aid, member, [host])
    assert not_guest.value.reason == "not_a_guest"
    with (
        database.unit_of_work() as uow,
        pytest.raises(NotFound),
    ):  # another hub's person, not the host
        animations.erase_guest(uow, aid, member, [guest_village])
    with database.unit_of_work() as uow:
        erased = animations.erase_guest(uow, aid, guest, [guest_village])
    assert erased["registration_id"] == guest and erased["guest_erased_at"]
    with database.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        animations.erase_guest(uow, aid, guest, [guest_village])
    assert twice.value.reason == "guest_already_erased"

    with database.unit_of_work() as uow:
        view = animations.get_animation(uow, aid, None)
        row = uow.session.get(Registration, guest)
        assert (row.guest_name, row.guest_phone) == (None, None) and "0555" not in row.person_key
    assert view["registered"] == 2, "the erased guest's place still counts"
    assert next(r for r in view["registrations"] if r["id"] == guest)["guest_erased"] is True
    assert "Faure" not in json.dumps(view)
    # the same person may register again (their phone is no longer known)
    with database.unit_of_work() as uow:
        again = animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            [guest_village],
        )
    assert again["registration"]["id"] != guest


def test_the_retention_rule_erases_guests_some_days_after_the_animation(world):
    database, (host, _, _), _, _ = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(uow, host, load(AnimationInput(), animation_input()))[
            "id"
        ]
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            [host],
        )
    ends = START + timedelta(hours=2)
    with database.unit_of_work() as uow:
        assert (
            animations.erase_expired_guests(uow, ends + timedelta(days=29), retention_days=30) == 0
        )
    with database.unit_of_work() as uow:
        assert (
            animations.erase_expired_guests(
                uow, ends + timedelta(days=30, minutes=1), retention_days=30
            )
            == 1
        )
    with database.unit_of_work() as uow:
        assert (
            animations.erase_expired_guests(uow, ends + timedelta(days=31), retention_days=30) == 0
        )  # once
        [row] = uow.session.scalars(select(Registration)).all()
        assert (
            row.guest_name is None
            and row.guest_erased_at is not None
            and row.status == "registered"
        )


def test_a_suggestion_is_linked_to_what_answered_it(world):
    database, (host, _, _), members, partner = world
    with database.unit_of_work() as uow:
        aid = animations.create_animation(uow, host, load(AnimationInput(), animation_input()))[
            "id"
        ]
    offer_id = str(uuid.uuid4())
    published = parse_envelope(
        build_envelope(
            "offer.published",
            {
                "offer_id": offer_id,
                "partner_id": partner,
                "partner_name": "GAEC",
                "name": "Panier de légumes",
                "kind": "product",
                "unit": "piece",
                "price_cents": 1200,
                "vat_rate": 55,
                "lead_time_days": 2,
                "cutoff_time": "18:00",
                "days": ["friday"],
                "village_ids": [host],
                "perishable": True,
                "available": True,
            },
            village_id=None,
            source="partners",
        )
    )
    for _ in range(2):  # a redelivery changes nothing
        with database.unit_of_work() as uow:
            claim_and_handle(
                uow, "events.on_offer_published", read_models.record_offer_published, published
            )

    made = []
    for n in range(3):
        with database.unit_of_work() as uow:
            made.append(
                suggestions.create_suggestion(
                    uow,
                    host,
                    load(
                        SuggestionInput(),
                        {"category": "commerce", "text": f"Des légumes frais {n}"},
                    ),
                )["id"]
            )
        for status in ("under_study",):
            with database.unit_of_work() as uow:
                suggestions.change_status(
                    uow, made[-1], load(SuggestionStatusInput(), {"status": status}), None
                )

    for kind, id_ in [
        ("offer", str(uuid.uuid4())),
        ("animation", str(uuid.uuid4())),
        ("partner", str(uuid.uuid4())),
    ]:
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as nothing:
            suggestions.change_status(
                uow,
                made[0],
                load(
                    SuggestionStatusInput(),
                    {"status": "planned", "answered_by": {"kind": kind, "id": id_}},
                ),
                None,
            )
        assert nothing.value.errors == {"answered_by": {"id": [f"Unknown {kind}: {id_}."]}}
    for body in (
        {
            "status": "declined",
            "reason": "Pas possible",
            "answered_by": {"kind": "partner", "id": partner},
        },
        {"status": "planned", "answered_by": {"kind": "shop", "id": partner}},
    ):
        with database.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
            suggestions.change_status(uow, made[0], load(SuggestionStatusInput(), body), None)
        assert "answered_by" in err.value.errors

    answers = [
        {"kind": "offer", "id": offer_id},
        {"kind": "animation", "id": aid},
        {"kind": "partner", "id": partner},
    ]
    for sid, answer in zip(made, answers):
        with database.unit_of_work() as uow:
            planned = suggestions.change_status(
                uow,
                sid,
                load(SuggestionStatusInput(), {"status": "planned", "answered_by": answer}),
                None,
            )
        assert planned["answered_by"] == answer
    with database.unit_of_work() as uow:  # done without naming it again: it stays
        assert (
            suggestions.change_status(
                uow, made[0], load(SuggestionStatusInput(), {"status": "done"}), None
            )["answered_by"]
            == answers[0]
        )
    with database.unit_of_work() as uow:  # declined: nothing answered it after all
        assert (
            suggestions.change_status(
                uow,
                made[1],
                load(SuggestionStatusInput(), {"status": "declined", "reason": "Annulé"}),
                None,
            )["answered_by"]
            is None
        )
    events = [e["payload"] for e in outbox(database, "suggestion.answered")]
    assert [e["answered_by"] for e in events if e["status"] in ("planned", "done")] == [
        *answers,
        answers[0],
    ]
    assert all(
        e["answered_by"] is None for e in events if e["status"] in ("under_study", "declined")
    )


def test_the_network_calendar_names_the_villages_and_nobody_else(world):
    database, (host, guest_village, other), _, _ = world
    soon = datetime.now(UTC) + timedelta(days=2)
    with database.unit_of_work() as uow:
        aid = animations.create_animation(
            uow,
            host,
            load(
                AnimationInput(),
                animation_input(
                    starts_at=soon.isoformat(),
                    ends_at=(soon + timedelta(hours=2)).isoformat(),
                    invited_village_ids=[guest_village],
                ),
            ),
        )["id"]
    with database.unit_of_work() as uow:
        other_id = animations.create_animation(
            uow,
            other,
            load(
                AnimationInput(),
                animation_input(
                    title="Marché",
                    starts_at=soon.isoformat(),
                    ends_at=(soon + timedelta(hours=2)).isoformat(),
                ),
            ),
        )["id"]
    with database.unit_of_work() as uow:
        animations.register(
            uow,
            aid,
            load(RegistrationInput(), {"guest_name": "Mme Faure", "guest_phone": "05 55 12 34 56"}),
            [host],
        )
    with database.unit_of_work() as uow:
        feed = animations.public_network_calendar(uow)
    rows = {a["id"]: a for a in feed["animations"]}
    assert set(rows) == {aid, other_id}
    assert rows[aid]["village_names"] == ["Village 0", "Village 1"] and rows[other_id][
        "village_names"
    ] == ["Village 2"]
    # the phone's digits whatever its spacing (four digits alone also match a
    # timestamp's microseconds)
    assert "Faure" not in json.dumps(feed) and "555123456" not in json.dumps(feed).replace(" ", "")


def test_figures_per_village(world):
    database, (v0, v1, v2), members, _ = world
    with database.unit_of_work() as uow:
        held = animations.create_animation(uow, v0, load(AnimationInput(), animation_input()))["id"]
    with database.unit_of_work() as uow:
        animations.fill_role(
            uow, held, load(RoleFillInput(), {"member_id": members[v0][1], "role": "cuisine"}), None
        )
    with database.unit_of_work() as uow:
        reg = animations.register(
            uow, held, load(RegistrationInput(), {"member_id": members[v0][0]}), None
        )["registration"]["id"]
    with database.unit_of_work() as uow:
        animations.take_attendance(
            uow,
            held,
            load(
                AttendanceInput(),
                {
                    "present": [reg],
                    "walk_ins": 4,
                    "volunteers": [{"member_id": members[v0][1], "minutes": 90}],
                },
            ),
            None,
            now=DURING,
        )
    with database.unit_of_work() as uow:  # scheduled, another month: not held, not in the period
        animations.create_animation(
            uow,
            v1,
            load(
                AnimationInput(),
                animation_input(
                    starts_at="2027-01-10T10:00:00+01:00",
                    ends_at="2027-01-10T12:00:00+01:00",
                    invited_village_ids=[v2],
                ),
            ),
        )
    made = []
    for village in (v0, v1, v2):
        with database.unit_of_work() as uow:
            made.append(
                suggestions.create_suggestion(
                    uow,
                    village,
                    load(SuggestionInput(), {"category": "mobilite", "text": "Un bus"}),
                )["id"]
            )
    with database.unit_of_work() as uow:
        suggestions.create_suggestion(
            uow, v0, load(SuggestionInput(), {"category": "sante", "text": "Un médecin"})
        )
    with database.unit_of_work() as uow:  # set the dates the figures read
        for sid in made:
            row = uow.session.get(Suggestion, sid)
            row.created_at = datetime(2026, 12, 1, 9, tzinfo=UTC)
        for row in uow.session.scalars(select(Suggestion).where(Suggestion.category == "sante")):
            row.created_at = datetime(2026, 12, 2, 9, tzinfo=UTC)
        first = uow.session.get(Suggestion, made[0])
        first.answered_at, first.status = (
            datetime(2026, 12, 4, 9, tzinfo=UTC),
            "under_study",
        )
        second = uow.session.get(Suggestion, made[1])
        second.answered_at, second.status = (
            datetime(2027, 1, 4, 9, tzinfo=UTC),
            "under_study",
        )
        uow.commit()

    with database.unit_of_work() as uow:
        result = figures.village_figures(
            uow,
            date(2026, 12, 1),
            date(2026, 12, 31),
            None,
            now=datetime(2026, 12, 6, tzinfo=UTC),
        )
    assert set(result["figures"]) == {v0, v1, v2}
    assert result["figures"][v0] == {
        "animations_held": 1,
        "attendance": 5,
        "volunteer_minutes_at_animations": 90,
        "suggestions_made": 2,
        "suggestions_answered": 1,
        "median_answer_days": 3.0,
    }
    assert result["figures"][v1] == {
        "animations_held": 0,
        "attendance": 0,
        "volunteer_minutes_at_animations": 0,
        "suggestions_made": 1,
        "suggestions_answered": 0,
        "median_answer_days": None,
    }
    [need] = result["details"]["recurring_needs"]
    assert need["category"] == "mobilite" and need["villages"] == 3
    [upcoming] = result["details"]["upcoming_animations"]
    assert upcoming["village_id"] == v1 and upcoming["invited_village_ids"] == [v2]

    with database.unit_of_work() as uow:  # two villages asked about: no longer a signal of three
        only = figures.village_figures(
            uow,
            date(2026, 12, 1),
            date(2026, 12, 31),
            [v0, v1],
            now=datetime(2026, 12, 6, tzinfo=UTC),
        )
    assert set(only["figures"]) == {v0, v1} and only["details"]["recurring_needs"] == []
    with database.unit_of_work() as uow:
        assert figures.village_figures(uow, date(2027, 1, 1), date(2027, 1, 31), [v2])["details"][
            "upcoming_animations"
        ]
