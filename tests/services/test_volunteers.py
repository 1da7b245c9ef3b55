"""Volunteers, the time bank and the skills map in the members service, on SQLite and PostgreSQL.

Over real RPC for what people send (bad input names its field; nothing is half-written), through
the service layer for the event handlers' effects (the broker side is in
tests/reliability/test_time_bank.py)."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from services.members import skills_map, time_bank
from services.members.models import TimeBankEntry, Volunteer
from services.members.service import MembersService
from tests.support.members import add_member, add_village
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)
from tests.support.reliability import outbox

pytestmark = pytest.mark.no_event_consumers


def count(database, model, *where):
    with database.unit_of_work() as uow:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return uow.session.scalar(query)


def _network(database):
    """Three villages, a member in the first."""
    a, b, c = (
        add_village(database, "Alleyrat"),
        add_village(database, "Bugeat"),
        add_village(database, "Croze"),
    )
    return database, (a, b, c), add_member(database, a)


@pytest.fixture
def network(service_db):
    """The network on a database of the test's own (the service-layer tests need no broker)."""
    return _network(service_db("members"))


@pytest.fixture(scope="module")
def members_world(module_world):
    world = module_world()
    network = _network(world.database("members"))
    world.start(MembersService)
    with ServiceRpcProxy("members", world.config, timeout=10) as proxy:
        world.snapshot()
        yield world, proxy, network


@pytest.fixture
def members(members_world):
    """The module's members service over the network, its database as the set-up left it."""
    world, proxy, network = members_world
    world.reset()
    return proxy, network


PROFILE = {
    "skills": [
        {"skill": "jardinage", "level": "confirme"},
        {"skill": "lavage_vitres", "level": "debutant"},
    ],
    "availability": [
        {"day": "monday", "start": "09:00", "end": "12:00"},
        {"day": "monday", "start": "14:00", "end": "17:30"},
        {"day": "thursday", "start": "10:00", "end": "12:00"},
    ],
    "max_distance_km": 15,
    "has_licence": True,
    "has_vehicle": True,
    "network_visible": True,
}


@pytest.mark.broker
def test_a_volunteer_serving_three_villages_is_one_person_announced_without_phone(members):
    rpc, (database, (a, b, c), member_id) = members
    volunteer = rpc.create_volunteer({**PROFILE, "member_id": member_id, "village_ids": [b, c]})
    assert volunteer["home_village_id"] == a and set(volunteer["village_ids"]) == {a, b, c}
    assert volunteer["skills"][0] == {
        "skill": "jardinage",
        "label": "Petit jardinage",
        "level": "confirme",
        "level_label": "confirmé",
    }
    assert volunteer["availability"][0]["day_label"] == "lundi"
    assert count(database, Volunteer) == 1
    [event] = outbox(database, "volunteer.available")
    assert event["village_id"] == a and set(event["payload"]["village_ids"]) == {a, b, c}
    assert event["payload"]["skills"] == [
        {"skill": "jardinage", "level": "confirme"},
        {"skill": "lavage_vitres", "level": "debutant"},
    ]
    assert event["payload"]["has_licence"] is True and "+33" not in json.dumps(event)
    parse_envelope(event)

    again = rpc.update_volunteer(
        volunteer["id"], {"skills": [{"skill": "bricolage", "level": "expert"}], "village_ids": [c]}
    )
    assert [s["skill"] for s in again["skills"]] == ["bricolage"] and set(again["village_ids"]) == {
        a,
        c,
    }
    assert again["availability"] == volunteer["availability"], "what is not sent is kept"
    events = outbox(database, "volunteer.available")
    assert len(events) == 2 and set(events[1]["payload"]["village_ids"]) == {a, c}

    with pytest.raises(Conflict) as err:
        rpc.create_volunteer({"member_id": member_id})
    assert err.value.field == "member_id"


@pytest.mark.broker
@pytest.mark.parametrize(
    "change, path",
    [
        (
            {
                "skills": [
                    {"skill": "jardinage", "level": "expert"},
                    {"skill": "astrologie", "level": "expert"},
                ]
            },
            ("skills", "1", "skill"),
        ),
        ({"skills": [{"skill": "jardinage", "level": "maitre"}]}, ("skills", "0", "level")),
        (
            {
                "skills": [
                    {"skill": "jardinage", "level": "expert"},
                    {"skill": "jardinage", "level": "debutant"},
                ]
            },
            ("skills", "1", "skill"),
        ),
        (
            {"availability": [{"day": "tuesday", "start": "12:00", "end": "09:00"}]},
            ("availability", "0", "end"),
        ),
        (
            {
                "availability": [
                    {"day": "tuesday", "start": "09:00", "end": "12:00"},
                    {"day": "tuesday", "start": "11:00", "end": "13:00"},
                ]
            },
            ("availability", "1", "start"),
        ),
        (
            {"availability": [{"day": "mardi", "start": "09:00", "end": "12:00"}]},
            ("availability", "0", "day"),
        ),
        (
            {"availability": [{"day": "tuesday", "start": "9h", "end": "12:00"}]},
            ("availability", "0", "start"),
        ),
        ({"village_ids": ["00000000-0000-0000-0000-000000000000"]}, ("village_ids", "0")),
        ({"max_distance_km": -2}, ("max_distance_km",)),
    ],
)
def test_bad_volunteer_input_names_the_field_and_writes_nothing(members, change, path):
    rpc, (database, _villages, member_id) = members
    with pytest.raises(InvalidInput) as err:
        rpc.create_volunteer({**PROFILE, "member_id": member_id, **change})
    errors = err.value.errors
    for key in path:
        errors = errors[key] if key in errors else errors[int(key)]
    assert errors, err.value.errors
    assert count(database, Volunteer) == 0 and outbox(database, "volunteer.available") == []


@pytest.mark.broker
def test_slots_that_touch_are_fine_and_an_unknown_member_is_not_found(members):
    rpc, (database, _villages, member_id) = members
    with pytest.raises(NotFound):
        rpc.create_volunteer({"member_id": str(uuid.uuid4())})
    volunteer = rpc.create_volunteer(
        {
            "member_id": member_id,
            "availability": [
                {"day": "friday", "start": "09:00", "end": "12:00"},
                {"day": "friday", "start": "12:00", "end": "14:00"},
            ],
        }
    )
    assert len(volunteer["availability"]) == 2
    with pytest.raises(InvalidInput) as err:
        rpc.update_volunteer(
            volunteer["id"],
            {
                "availability": [
                    {"day": "friday", "start": "09:00", "end": "12:00"},
                    {"day": "friday", "start": "08:00", "end": "10:00"},
                ]
            },
        )
    assert "availability" in err.value.errors
    assert (
        len(rpc.get_volunteer(volunteer["id"], [volunteer["home_village_id"]])["availability"]) == 2
    )


@pytest.mark.broker
def test_who_sees_and_manages_which_volunteer(members):
    rpc, (database, (a, b, c), member_id) = members
    shared = rpc.create_volunteer(
        {"member_id": member_id, "village_ids": [b], "network_visible": False}, village_ids=[a]
    )
    private = rpc.create_volunteer(
        {"member_id": add_member(database, c, "Paul", "Roux"), "network_visible": True}
    )
    # a concierge of C may not make a volunteer of a member of A
    with pytest.raises(NotFound):
        rpc.create_volunteer(
            {"member_id": add_member(database, a, "Léa", "Petit")}, village_ids=[c]
        )

    assert [v["id"] for v in rpc.list_volunteers([a])] == [shared["id"]]
    assert [v["id"] for v in rpc.list_volunteers([b])] == [shared["id"]], "B sees who serves B"
    assert [v["id"] for v in rpc.list_volunteers([c])] == [private["id"]]
    assert [v["id"] for v in rpc.list_volunteers(None)] == [private["id"]], (
        "coordinator: opted-in only"
    )
    assert [v["id"] for v in rpc.list_volunteers(None, {"village_id": c})] == [private["id"]]
    assert rpc.list_volunteers([a], {"skill": "cuisine"}) == []

    assert rpc.get_volunteer(shared["id"], [b])["id"] == shared["id"]
    with pytest.raises(NotFound):
        rpc.get_volunteer(shared["id"], [c])
    with pytest.raises(NotFound):
        rpc.get_volunteer(shared["id"], None)
    with pytest.raises(NotFound):
        rpc.update_volunteer(shared["id"], {"has_licence": True}, [b]), "B sees but does not manage"
    assert rpc.update_volunteer(shared["id"], {"has_licence": True}, [a])["has_licence"] is True
    assert rpc.update_volunteer(private["id"], {"active": False}, None)["active"] is False

    # the opt-in is the member's dated `share_with_network` consent: withdrawing it stops sharing
    from services.members import people

    with database.unit_of_work() as uow:
        people.withdraw_consent(uow, c, private["member_id"], "share_with_network")
    assert rpc.list_volunteers(None) == []
    assert rpc.get_volunteer(private["id"], [c])["network_visible"] is False
    assert (
        rpc.update_volunteer(private["id"], {"network_visible": True}, [c])["network_visible"]
        is True
    )
    assert [v["id"] for v in rpc.list_volunteers(None)] == [private["id"]]


# --- time bank and skills map (service layer, the events' effects) --------------------------------


def completed(
    member_id,
    village_id,
    help_request_id=None,
    minutes=90,
    skill="lavage_vitres",
    when="2026-11-03T10:00:00+00:00",
):
    return parse_envelope(
        build_envelope(
            "help_request.completed",
            {
                "help_request_id": help_request_id or str(uuid.uuid4()),
                "village_id": village_id,
                "member_id": member_id,
                "skill": skill,
                "minutes": minutes,
                "completed_at": datetime.fromisoformat(when),
            },
            village_id=village_id,
            source="orders",
        )
    )


ATTENDED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a fixed day, not the day the test runs


def attended(village_id, volunteers):
    return parse_envelope(
        build_envelope(
            "animation.attended",
            {"animation_id": str(uuid.uuid4()), "village_id": village_id, "volunteers": volunteers},
            village_id=village_id,
            source="events",
            occurred_at=ATTENDED_AT,
        )
    )


def demand(type_, village_id, skill, help_request_id=None):
    payload = {
        "help_request_id": help_request_id or str(uuid.uuid4()),
        "village_id": village_id,
        "skill": skill,
    }
    if type_ == "help_request.requested":
        payload["requested_at"] = datetime.now(UTC)
    return parse_envelope(build_envelope(type_, payload, village_id=village_id, source="orders"))


def test_the_time_bank_credits_each_source_once(network):
    database, (a, b, _c), member_id = network
    other = add_member(database, b, "Jean", "Moulin")
    event = completed(member_id, a)
    with database.unit_of_work() as uow:
        assert claim_and_handle(
            uow, "members.on_help_request_completed", time_bank.credit_help_request, event
        )
    with database.unit_of_work() as uow:
        assert not claim_and_handle(
            uow, "members.on_help_request_completed", time_bank.credit_help_request, event
        ), "duplicate"
    republished = completed(member_id, a, help_request_id=event["payload"]["help_request_id"])
    with (
        database.unit_of_work() as uow
    ):  # same help request under a new event id: not credited again
        claim_and_handle(
            uow, "members.on_help_request_completed", time_bank.credit_help_request, republished
        )
    assert count(database, TimeBankEntry) == 1

    show = attended(
        b,
        [
            {"member_id": member_id, "role": "accueil", "minutes": 120},
            {"member_id": other, "role": "buvette", "minutes": 60},
        ],
    )
    for _ in range(2):
        with database.unit_of_work() as uow:
            claim_and_handle(uow, "members.on_animation_attended", time_bank.credit_animation, show)
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_help_request_completed",
            time_bank.credit_help_request,
            completed(member_id, a, minutes=30, when="2026-12-01T09:00:00+00:00"),
        )
    assert count(database, TimeBankEntry) == 4
    assert count(database, TimeBankEntry, TimeBankEntry.member_id == member_id) == 3

    with database.unit_of_work() as uow:
        volunteer = Volunteer(
            member_id=member_id,
            network_visible=True,
            has_licence=False,
            has_vehicle=False,
            active=True,
        )
        uow.session.add(volunteer)
        uow.commit()
        volunteer_id = volunteer.id
    with database.unit_of_work() as uow:
        hours = time_bank.volunteer_hours(uow, volunteer_id, [a])
        totals = time_bank.totals(uow)
        november = time_bank.totals(uow, [a], month="2026-11")
    assert (
        hours["minutes"] == 90 + 120 + 30 and hours["hours"] == 4.0 and len(hours["history"]) == 3
    )
    assert hours["history"][0]["occurred_at"].startswith("2026-12-01")
    by_key = {(t["village_id"], t["month"]): t for t in totals}
    assert by_key[(a, None)]["minutes"] == 120 and by_key[(a, "2026-11")]["minutes"] == 90
    assert by_key[(a, "2026-12")]["minutes"] == 30
    assert by_key[(b, None)]["minutes"] == 180 and by_key[(b, None)]["volunteers"] == 2
    assert [(t["month"], t["minutes"]) for t in november] == [("2026-11", 90)]


def test_a_roll_call_sent_later_credits_the_day_it_was_taken(network):
    """Taken offline on 30 November and sent on 2 December: the hours count in November."""
    database, (a, _b, _c), member_id = network
    taken = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    sent_later = parse_envelope(
        build_envelope(
            "animation.attended",
            {
                "animation_id": str(uuid.uuid4()),
                "village_id": a,
                "volunteers": [{"member_id": member_id, "role": "accueil", "minutes": 45}],
                "attended_at": taken,
            },
            village_id=a,
            source="events",
            occurred_at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
        )
    )
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow, "members.on_animation_attended", time_bank.credit_animation, sent_later
        )
    with database.unit_of_work() as uow:
        by_month = {t["month"]: t["minutes"] for t in time_bank.totals(uow, [a]) if t["month"]}
    assert by_month == {"2026-11": 45}


def test_invalid_animation_events_are_refused_by_their_contract():
    from backbone.contracts import ContractError

    village = str(uuid.uuid4())
    with pytest.raises(ContractError):
        build_envelope(
            "animation.attended",
            {
                "animation_id": "x",
                "village_id": village,
                "volunteers": [
                    {"member_id": "m", "role": "accueil", "minutes": 60},
                    {"member_id": "m", "role": "buvette", "minutes": 60},
                ],
            },
            village_id=village,
            source="events",
        )
    with pytest.raises(ContractError):
        build_envelope(
            "help_request.completed",
            {
                "help_request_id": "h",
                "village_id": village,
                "member_id": "m",
                "skill": "jardinage",
                "minutes": 0,
                "completed_at": datetime.now(UTC),
            },
            village_id=village,
            source="orders",
        )


def test_the_skills_map_shows_missing_skills_per_village_and_for_the_network(network):
    database, (a, b, c), member_id = network
    from services.members import volunteers

    with database.unit_of_work() as uow:  # a gardener of A who also serves B
        volunteers.create_volunteer(
            uow,
            {
                "member_id": member_id,
                "village_ids": [b],
                "network_visible": False,
                "skills": [{"skill": "jardinage", "level": "expert"}],
            },
        )
    with database.unit_of_work() as uow:
        volunteers.create_volunteer(
            uow,
            {
                "member_id": add_member(database, c, "Yves", "Bois"),
                "village_ids": [],
                "skills": [{"skill": "chauffeur", "level": "confirme"}],
            },
        )
    unmatched = str(uuid.uuid4())
    for envelope in (
        demand("help_request.requested", b, "jardinage"),
        demand("help_request.requested", b, "chauffeur", unmatched),
        demand("help_request.unmatched", b, "chauffeur", unmatched),
        demand("help_request.unmatched", c, "couture"),  # unmatched before requested: fine
        demand("help_request.requested", a, "debarras_meubles"),
    ):
        with database.unit_of_work() as uow:
            claim_and_handle(uow, "members.on_help_demand", time_bank.record_demand, envelope)
            assert not claim_and_handle(
                uow, "members.on_help_demand", time_bank.record_demand, envelope
            )

    with database.unit_of_work() as uow:
        village_b = skills_map.village_skills_map(uow, b)
        network_map = skills_map.network_skills_map(uow)
    lines = {line["skill"]: line for line in village_b["skills"]}
    assert village_b["missing"] == ["chauffeur"], "the driver serves C only: out of B's reach"
    assert lines["chauffeur"]["demand"] == {"requested": 1, "unmatched": 1, "open_unmatched": 1}
    assert lines["jardinage"]["status"] == "covered"
    assert lines["jardinage"]["supply"]["levels"] == {"debutant": 0, "confirme": 0, "expert": 1}
    assert lines["jardinage"]["supply"]["partners"] == []

    network_lines = {line["skill"]: line for line in network_map["skills"]}
    assert set(network_map["missing"]) == {"couture", "debarras_meubles"}
    assert network_lines["chauffeur"]["status"] == "short", (
        "someone has it, yet a request went unanswered"
    )
    assert network_lines["jardinage"]["supply"]["volunteers"] == 1, (
        "one person, however many villages"
    )
    per_village = {v["village_id"]: v["missing"] for v in network_map["villages"]}
    assert per_village == {a: ["debarras_meubles"], b: ["chauffeur"], c: ["couture"]}

    with database.unit_of_work() as uow:  # a completed request answers the unmatched one
        claim_and_handle(
            uow,
            "members.on_help_request_completed",
            time_bank.credit_help_request,
            completed(member_id, b, help_request_id=unmatched, skill="chauffeur"),
        )
    with database.unit_of_work() as uow:
        line = {entry["skill"]: entry for entry in skills_map.village_skills_map(uow, b)["skills"]}[
            "chauffeur"
        ]
    assert line["demand"]["open_unmatched"] == 0 and line["status"] == "missing"


def test_a_volunteers_profile_and_hours_are_in_their_export_and_go_with_their_erasure(network):
    from services.members import people, volunteers

    database, (a, b, _c), member_id = network
    with database.unit_of_work() as uow:
        volunteers.create_volunteer(uow, {**PROFILE, "member_id": member_id, "village_ids": [b]})
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow,
            "members.on_help_request_completed",
            time_bank.credit_help_request,
            completed(member_id, a),
        )

    with database.unit_of_work() as uow:
        export = people.export_member(uow, a, member_id)
    assert export["volunteer"]["village_ids"] == sorted([a, b])
    assert [s["skill"] for s in export["volunteer"]["skills"]] == ["jardinage", "lavage_vitres"]
    assert export["time_bank"]["minutes"] == 90 and len(export["time_bank"]["history"]) == 1

    with database.unit_of_work() as uow:
        people.erase_member(uow, a, member_id)
    with database.unit_of_work() as uow:
        profile = volunteers.profile_of_member(uow, member_id)
    assert (
        profile["skills"] == [] and profile["availability"] == [] and profile["village_ids"] == [a]
    )
    assert profile["active"] is False and profile["network_visible"] is False
    assert profile["first_name"] is None, "the person's name is gone with the member row"
