"""Permanences over real RPC (SQLite and PostgreSQL): a service others hold at a hub on a weekday
(La Poste, a social worker) is added, listed by weekday, shown on the public view, removed; bad
input is refused naming the field and writes nothing; another village's permanence is not found;
a permanence never opens the hub."""

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from backbone.errors import InvalidInput, NotFound
from services.members.models import Permanence
from services.members.service import MembersService

pytestmark = [pytest.mark.broker, pytest.mark.no_event_consumers]

VILLAGE = {
    "slug": "peyrelevade",
    "name": "Peyrelevade",
    "commune": "Peyrelevade",
    "insee_code": "19164",
    "postcode": "19290",
    "kind": "fixed",
    "population": 800,
}
POST_OFFICE = {"name": "La Poste", "day": "thursday", "opens": "09:00", "closes": "11:30"}


@pytest.fixture
def members(container_factory, nameko_config, service_db):
    database = service_db("members")
    container_factory(MembersService, nameko_config).start()
    with ServiceRpcProxy("members", nameko_config, timeout=10) as proxy:
        yield proxy, database


def _rows(database) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(Permanence))


def test_a_permanence_is_listed_by_weekday_shown_to_the_public_and_removed(members):
    rpc, _db = members
    village = rpc.open_village(VILLAGE)
    rpc.add_permanence(village["id"], POST_OFFICE)
    social = rpc.add_permanence(
        village["id"],
        {
            "name": "Assistante sociale",
            "day": "tuesday",
            "opens": "14:00",
            "closes": "16:00",
            "note": "le premier mardi du mois",
        },
    )
    assert social["note"] == "le premier mardi du mois" and social["village_id"] == village["id"]
    listed = rpc.list_permanences(village["id"])
    assert [(p["name"], p["day"]) for p in listed] == [
        ("Assistante sociale", "tuesday"),
        ("La Poste", "thursday"),
    ]
    page = rpc.public_village("peyrelevade", "2030-01-03T10:00:00+01:00")  # a Thursday, 10:00
    assert [p["name"] for p in page["permanences"]] == ["Assistante sociale", "La Poste"]
    assert page["weekly"] == [] and page["opening"]["open"] is False, "never the hub's own hours"

    rpc.remove_permanence(village["id"], social["id"])
    assert [p["name"] for p in rpc.list_permanences(village["id"])] == ["La Poste"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({**POST_OFFICE, "name": ""}, "name"),
        ({**POST_OFFICE, "day": "jeudi"}, "day"),
        ({**POST_OFFICE, "opens": "9h"}, "opens"),
        ({**POST_OFFICE, "closes": "08:00"}, "closes"),
        ({**POST_OFFICE, "note": "x" * 161}, "note"),
    ],
)
def test_a_bad_permanence_is_refused_naming_the_field_and_nothing_is_written(members, data, field):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    with pytest.raises(InvalidInput) as refused:
        rpc.add_permanence(village["id"], data)
    assert field in refused.value.errors and field in refused.value.errors_fr
    assert _rows(database) == 0


def test_another_villages_permanence_is_not_found(members):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    other = rpc.open_village(
        {**VILLAGE, "slug": "gentioux", "name": "Gentioux", "insee_code": "23090"}
    )
    held = rpc.add_permanence(village["id"], POST_OFFICE)
    with pytest.raises(NotFound):
        rpc.remove_permanence(other["id"], held["id"])
    with pytest.raises(NotFound):
        rpc.list_permanences("no-such-village")
    assert _rows(database) == 1
