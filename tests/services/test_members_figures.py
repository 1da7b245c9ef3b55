"""The members service's coordinator figures (services/members/figures.py), on
SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from backbone.errors import InvalidInput
from services.members import figures, skills_map
from services.members.models import (
    HelpDemand,
    Member,
    TimeBankEntry,
    Volunteer,
    VolunteerSkill,
    VolunteerVillage,
)
from services.members.service import MembersService
from tests.support.members import add_member, add_village
from tests.support.statements import selects_from

pytestmark = pytest.mark.no_event_consumers


def _add(database, *rows):
    with database.unit_of_work() as uow:
        for row in rows:
            uow.session.add(row)
        uow.commit()


def _volunteer(database, member_id, skills=(), serves=()):
    with database.unit_of_work() as uow:
        volunteer = Volunteer(member_id=member_id)
        uow.session.add(volunteer)
        uow.session.flush()
        for code in skills:
            uow.session.add(
                VolunteerSkill(volunteer_id=volunteer.id, skill_code=code, level="confirme")
            )
        for village_id in serves:
            uow.session.add(VolunteerVillage(volunteer_id=volunteer.id, village_id=village_id))
        uow.commit()
        return volunteer.id


def _credit(member_id, village_id, minutes, when, ref):
    return TimeBankEntry(
        member_id=member_id,
        village_id=village_id,
        minutes=minutes,
        source_type="help_request.completed",
        source_ref=ref,
        source_event_id=ref,
        occurred_at=when,
    )


@pytest.fixture
def villages(service_db):
    database = service_db("members")
    alleyrat, bugeat = add_village(database, "Alleyrat"), add_village(database, "Bugeat")
    return database, alleyrat, bugeat


def test_figures_count_the_period_only_per_village_with_zeros(villages):
    database, alleyrat, bugeat = villages
    old = add_member(database, alleyrat, "Ancien", "Habitant")  # joined 2026-01-05
    with database.unit_of_work() as uow:
        uow.session.add(
            Member(
                village_id=alleyrat,
                first_name="Nouvelle",
                last_name="Venue",
                phone="+33555000001",
                joined_on=date(2026, 3, 10),
            )
        )
        uow.session.add(
            Member(
                village_id=alleyrat,
                first_name="Plus",
                last_name="Tard",
                phone="+33555000002",
                joined_on=date(2026, 4, 2),
            )
        )
        uow.session.add(
            Member(
                village_id=alleyrat,
                first_name="Partie",
                last_name="Depuis",
                phone="+33555000003",
                joined_on=date(2026, 3, 12),
                erased_at=datetime(2026, 3, 20, tzinfo=UTC),
            )
        )
        uow.commit()
    volunteer_member = add_member(database, bugeat, "Paul", "Aide")
    _volunteer(database, volunteer_member, skills=["jardinage"], serves=[alleyrat])
    _add(
        database,
        _credit(volunteer_member, alleyrat, 90, datetime(2026, 3, 5, 10, tzinfo=UTC), "h1"),
        _credit(
            old, alleyrat, 30, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), "h2"
        ),  # 1 April in Paris (UTC+2)
        _credit(volunteer_member, bugeat, 45, datetime(2026, 2, 28, 10, tzinfo=UTC), "h3"),
        HelpDemand(
            help_request_id="r1",
            village_id=bugeat,
            skill_code="informatique",
            requested_at=datetime(2026, 3, 1, tzinfo=UTC),
        ),
    )

    with database.unit_of_work() as uow:
        result = figures.village_figures(uow, date(2026, 3, 1), date(2026, 3, 31))
    fa, fb = result["figures"][alleyrat], result["figures"][bugeat]
    assert fa["new_members"] == 2 and fa["members"] == 2, (
        "joined on 2 April is not in March; an erased member "
        "joined in March, but is no longer counted"
    )
    assert fa["volunteer_minutes"] == 90 and fa["active_volunteers"] == 1, (
        "Paris days, not UTC days"
    )
    assert fa["volunteers"] == 1 and fb["volunteers"] == 1, (
        "a volunteer counts in every village they serve"
    )
    assert fb == {
        "members": 1,
        "new_members": 0,
        "volunteer_minutes": 0,
        "active_volunteers": 0,
        "volunteers": 1,
        "missing_skills": 1,
    }
    assert [(r["village_id"], r["skill"]) for r in result["details"]["missing_skills"]] == [
        (bugeat, "informatique")
    ]
    assert {
        (r["village_id"], r["skill"], r["volunteers"]) for r in result["details"]["volunteer_pool"]
    } == {(alleyrat, "jardinage", 1), (bugeat, "jardinage", 1)}

    with database.unit_of_work() as uow:
        only_bugeat = figures.village_figures(uow, date(2026, 2, 1), date(2026, 2, 28), [bugeat])
    assert (
        list(only_bugeat["figures"]) == [bugeat]
        and only_bugeat["figures"][bugeat]["volunteer_minutes"] == 45
    )
    assert all(r["village_id"] == bugeat for r in only_bugeat["details"]["volunteer_pool"])


def test_a_volunteer_counts_in_each_village_they_serve_and_maps_only_there(villages):
    database, alleyrat, bugeat = villages
    c = add_village(database, "Croze")
    _volunteer(
        database, add_member(database, alleyrat, "Sans", "Competence"), serves=[bugeat]
    )  # no skill: A and B
    _volunteer(
        database, add_member(database, c, "Claire", "Fil"), skills=["couture"], serves=[bugeat]
    )
    _add(
        database,
        HelpDemand(
            help_request_id="r1",
            village_id=alleyrat,
            skill_code="couture",
            requested_at=datetime(2026, 3, 1, tzinfo=UTC),
        ),
    )

    with database.unit_of_work() as uow:
        result = figures.village_figures(uow, date(2026, 3, 1), date(2026, 3, 31))
    assert {v: f["volunteers"] for v, f in result["figures"].items()} == {
        alleyrat: 1,
        bugeat: 2,
        c: 1,
    }
    assert {v: f["missing_skills"] for v, f in result["figures"].items()} == {
        alleyrat: 1,
        bugeat: 0,
        c: 0,
    }
    pool = [
        (r["village_id"], r["skill"], r["volunteers"]) for r in result["details"]["volunteer_pool"]
    ]
    assert pool == [(bugeat, "couture", 1), (c, "couture", 1)], "within reach of B and C, not of A"
    assert [
        (r["village_id"], r["skill"], r["requested"]) for r in result["details"]["missing_skills"]
    ] == [(alleyrat, "couture", 1)]

    with database.unit_of_work() as uow:  # each village's own map is its line of the network map
        network_map = skills_map.network_skills_map(uow)
        assert network_map["villages"] == [
            skills_map.village_skills_map(uow, v) for v in (alleyrat, bugeat, c)
        ]
    assert {line["skill"]: line["supply"]["volunteers"] for line in network_map["skills"]} == {
        "couture": 1
    }


def test_figures_read_the_villages_and_the_volunteers_once(villages):
    database, alleyrat, bugeat = villages
    _volunteer(database, add_member(database, alleyrat), skills=["jardinage"], serves=[bugeat])
    with database.unit_of_work() as uow:

        def read():
            return figures.village_figures(uow, date(2026, 1, 1), date(2026, 1, 31))

        volunteers_read, _ = selects_from(database, "volunteers", read)
        villages_read, _ = selects_from(database, "villages", read)
    assert len(volunteers_read) == 1 and len(villages_read) == 1


@pytest.mark.broker
def test_figures_over_rpc(container_factory, nameko_config, villages):
    database, alleyrat, bugeat = villages
    add_member(database, alleyrat)
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=10) as rpc:
        result = rpc.village_figures("2026-01-01", "2026-01-31", [alleyrat])
        assert result["figures"] == {
            alleyrat: {
                "members": 1,
                "new_members": 1,
                "volunteer_minutes": 0,
                "active_volunteers": 0,
                "volunteers": 0,
                "missing_skills": 0,
            }
        }
        with pytest.raises(InvalidInput):
            rpc.village_figures("2026-01-31", "2026-01-01")
