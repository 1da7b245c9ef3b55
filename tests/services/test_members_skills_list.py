"""The network's skills list, the coordinator's to keep (issue #26, point 4), in the members
service on SQLite and PostgreSQL: a skill added, renamed, retired and brought back, each change
told to every service through the outbox; a retired skill no longer offered to a new volunteer but
kept by those who have it; a need outside the list shown on the skills map, then counted as the
skill once the coordinator adds it. Bad input over real RPC names its field."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from backbone.errors import Conflict, InvalidInput, NotFound
from backbone.tables import OutboxEvent
from services.members import skills, skills_map, time_bank, volunteers
from services.members.service import MembersService
from tests.support.members import add_member, add_village

pytestmark = pytest.mark.no_event_consumers


def told(database) -> list[tuple[str, dict]]:
    with database.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type.like("skill.%")).order_by(OutboxEvent.id)
        )
        return [(row.type, json.loads(row.body)["payload"]) for row in rows]


def listed(database, include_retired=False) -> dict[str, dict]:
    with database.unit_of_work() as uow:
        return {s["code"]: s for s in skills.list_skills(uow, include_retired)}


@pytest.fixture
def members_db(service_db):
    return service_db("members")


def test_a_skill_added_renamed_retired_and_brought_back_is_told_each_time(members_db):
    with members_db.unit_of_work() as uow:
        added = skills.add_skill(uow, {"label": "Plomberie", "category": "maison"})
    assert added["code"] == "plomberie" and added["category_label"] == "Maison"
    assert "plomberie" in listed(members_db)
    with members_db.unit_of_work() as uow, pytest.raises(Conflict) as twice:
        skills.add_skill(uow, {"label": "plomberie ", "category": "jardin"})
    assert twice.value.reason == "skill_taken"
    with members_db.unit_of_work() as uow:
        skills.rename_skill(uow, "plomberie", {"label": "Petite plomberie"})
    with members_db.unit_of_work() as uow:  # the same again: nothing changes, nothing told
        skills.rename_skill(uow, "plomberie", {"label": "Petite plomberie", "category": "maison"})
    with members_db.unit_of_work() as uow:
        skills.retire_skill(uow, "plomberie")
    with members_db.unit_of_work() as uow:
        skills.retire_skill(uow, "plomberie")  # twice: once told
    assert "plomberie" not in listed(members_db)
    assert listed(members_db, include_retired=True)["plomberie"]["retired_at"]
    with members_db.unit_of_work() as uow:
        back = skills.add_skill(
            uow, {"code": "plomberie", "label": "Plomberie", "category": "maison"}
        )
    assert back["retired_at"] is None and "plomberie" in listed(members_db)
    assert told(members_db) == [
        ("skill.added", {"code": "plomberie", "label": "Plomberie", "category": "maison"}),
        ("skill.renamed", {"code": "plomberie", "label": "Petite plomberie", "category": "maison"}),
        ("skill.retired", {"code": "plomberie", "label": "Petite plomberie", "category": "maison"}),
        ("skill.added", {"code": "plomberie", "label": "Plomberie", "category": "maison"}),
    ]
    with members_db.unit_of_work() as uow, pytest.raises(NotFound):
        skills.retire_skill(uow, "astrologie")


def test_a_retired_skill_stays_with_its_volunteers_and_is_offered_to_no_one_new(members_db):
    village = add_village(members_db, "Alleyrat")
    with members_db.unit_of_work() as uow:
        volunteer = volunteers.create_volunteer(
            uow,
            {
                "member_id": add_member(members_db, village),
                "skills": [{"skill": "jardinage", "level": "expert"}],
            },
        )
    with members_db.unit_of_work() as uow:
        skills.retire_skill(uow, "jardinage")
    with members_db.unit_of_work() as uow:  # an edit that keeps it: fine, still labelled
        kept = volunteers.update_volunteer(
            uow,
            volunteer["id"],
            {"skills": [{"skill": "jardinage", "level": "confirme"}], "max_distance_km": 5},
            [village],  # as the village's concierge
        )
    assert [(s["skill"], s["label"]) for s in kept["skills"]] == [("jardinage", "Petit jardinage")]
    with members_db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        volunteers.create_volunteer(
            uow,
            {
                "member_id": add_member(members_db, village, "Yves", "Bois"),
                "skills": [{"skill": "jardinage", "level": "debutant"}],
            },
        )
    assert "skills" in refused.value.errors


def _asked(database, village_id, skill, unmatched=False):
    request_id = str(uuid.uuid4())
    types = ["help_request.requested"] + (["help_request.unmatched"] if unmatched else [])
    for type_ in types:
        payload = {"help_request_id": request_id, "village_id": village_id, "skill": skill}
        if type_ == "help_request.requested":
            payload["requested_at"] = datetime.now(UTC)
        envelope = parse_envelope(
            build_envelope(type_, payload, village_id=village_id, source="orders")
        )
        with database.unit_of_work() as uow:
            claim_and_handle(uow, "members.on_help_demand", time_bank.record_demand, envelope)


def test_a_need_outside_the_list_is_missing_on_the_map_until_the_coordinator_lists_it(
    members_db,
):
    village = add_village(members_db, "Bugeat")
    _asked(members_db, village, "plomberie", unmatched=True)
    _asked(members_db, village, "plomberie")
    with members_db.unit_of_work() as uow:
        line = {x["skill"]: x for x in skills_map.network_skills_map(uow)["skills"]}["plomberie"]
    assert (line["listed"], line["label"], line["status"]) == (False, "plomberie", "missing")
    assert line["demand"]["requested"] == 2 and line["demand"]["unmatched"] == 1
    with members_db.unit_of_work() as uow:
        skills.add_skill(uow, {"label": "Plomberie", "category": "maison"})
    with members_db.unit_of_work() as uow:
        village_map = skills_map.village_skills_map(uow, village)
    line = {x["skill"]: x for x in village_map["skills"]}["plomberie"]
    assert (line["listed"], line["label"], line["category"]) == (True, "Plomberie", "maison")
    assert line["demand"]["requested"] == 2 and village_map["missing"] == ["plomberie"]


@pytest.mark.broker
def test_bad_skills_over_rpc_name_their_field_and_write_nothing(
    container_factory, nameko_config, members_db
):
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=10) as rpc:
        for data, field in (
            ({"label": "P", "category": "maison"}, "label"),
            ({"label": "« ! »", "category": "maison"}, "label"),  # no code comes of it
            ({"label": "Plomberie", "category": "bricolage"}, "category"),
            ({"label": "Plomberie"}, "category"),
            ({"code": "Plomberie!", "label": "Plomberie", "category": "maison"}, "code"),
        ):
            with pytest.raises(InvalidInput) as refused:
                rpc.add_skill(data)
            assert list(refused.value.errors) == [field], (data, refused.value.errors)
        with pytest.raises(InvalidInput) as refused:
            rpc.rename_skill("jardinage", {"category": "potager"})
        assert list(refused.value.errors) == ["category"]
        assert rpc.add_skill({"label": "Réparer un vélo", "category": "mobilite"})["code"] == (
            "reparer_un_velo"
        )
        assert "reparer_un_velo" in {s["code"] for s in rpc.list_skills()}
    assert [type_ for type_, _payload in told(members_db)] == ["skill.added"]
