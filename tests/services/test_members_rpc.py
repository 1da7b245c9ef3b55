"""The members service over real RPC: validation errors cross as typed errors naming the fields;
nothing is half-written; a village and its event commit together."""

import pytest
from sqlalchemy import func, select

from backbone.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from backbone.tables import OutboxEvent
from services.members.models import StaffAccount, Village
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

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


@pytest.fixture
def members(members_alone):
    """The module's members service, its database as empty as its migrations left it."""
    world, proxy, database = members_alone
    world.reset()
    return proxy, database


def _count(database, model):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_open_village_writes_the_village_and_its_event(members):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    assert village["status"] == "open" and village["created_at"].endswith("+00:00")
    assert _count(database, Village) == 1 and _count(database, OutboxEvent) == 1


@pytest.mark.parametrize(
    "data, fields",
    [
        ({**VILLAGE, "insee_code": "1916"}, {"insee_code"}),
        ({**VILLAGE, "postcode": "19 290"}, {"postcode"}),
        ({**VILLAGE, "kind": "boat", "population": -3}, {"kind", "population"}),
        ({k: v for k, v in VILLAGE.items() if k != "name"}, {"name"}),
        ({**VILLAGE, "mayor": "x"}, {"mayor"}),
        ("not an object", {"_schema"}),
    ],
)
def test_invalid_villages_are_refused_naming_the_fields(members, data, fields):
    rpc, database = members
    with pytest.raises(InvalidInput) as err:
        rpc.open_village(data)
    assert set(err.value.errors) == fields
    assert _count(database, Village) == 0 and _count(database, OutboxEvent) == 0


def test_a_taken_slug_is_a_conflict_and_writes_nothing(members):
    rpc, database = members
    rpc.open_village(VILLAGE)
    with pytest.raises(Conflict) as err:
        rpc.open_village({**VILLAGE, "name": "Autre"})
    assert err.value.field == "slug"
    assert _count(database, Village) == 1 and _count(database, OutboxEvent) == 1


def test_staff_accounts_hash_passwords_and_check_them(members):
    rpc, database = members
    village = rpc.open_village(VILLAGE)
    account = rpc.create_staff_account(
        {
            "email": "Lucie@Example.fr",
            "full_name": "Lucie",
            "role": "concierge",
            "village_id": village["id"],
            "password": "correct horse battery",
        }
    )
    assert account["email"] == "lucie@example.fr" and "password" not in account
    with database.unit_of_work() as uow:
        stored = uow.session.scalar(select(StaffAccount))
        assert stored.password_hash.startswith("$argon2") and "correct" not in stored.password_hash
    assert (
        rpc.authenticate({"email": "LUCIE@example.fr", "password": "correct horse battery"})["id"]
        == account["id"]
    )
    with pytest.raises(AuthenticationFailed):
        rpc.authenticate({"email": "lucie@example.fr", "password": "wrong password"})
    with pytest.raises(AuthenticationFailed):
        rpc.authenticate({"email": "nobody@example.fr", "password": "whatever"})


def test_a_staff_account_needs_no_initial_password_and_none_opens_it(members):
    """The e-mailed link is the way in (#24): until it is used, no password signs in."""
    rpc, database = members
    account = rpc.create_staff_account(
        {"email": "paul@example.fr", "full_name": "Paul", "role": "coordinator"}
    )
    with database.unit_of_work() as uow:
        stored = uow.session.get(StaffAccount, account["id"])
        assert stored.password_hash.startswith("$argon2") and stored.reset_code_hash
    for guess in ("", "None", "null", "paul@example.fr"):
        with pytest.raises((AuthenticationFailed, InvalidInput)):
            rpc.authenticate({"email": "paul@example.fr", "password": guess})


@pytest.mark.parametrize(
    "data, field",
    [
        ({"role": "concierge"}, "village_id"),
        ({"role": "coordinator", "village_id": "x"}, "village_id"),
        ({"role": "mayor"}, "role"),
        ({"role": "coordinator", "password": "short"}, "password"),
        ({"role": "coordinator", "email": "not-an-email"}, "email"),
    ],
)
def test_invalid_staff_accounts_name_the_field(members, data, field):
    rpc, _database = members
    base = {"email": "a@b.fr", "full_name": "Alex", "password": "long enough password"}
    with pytest.raises(InvalidInput) as err:
        rpc.create_staff_account({**base, **data})
    assert field in err.value.errors


def test_a_concierge_of_an_unknown_village_is_refused(members):
    rpc, database = members
    with pytest.raises(NotFound):
        rpc.create_staff_account(
            {
                "email": "a@b.fr",
                "full_name": "Alex",
                "password": "long enough password",
                "role": "concierge",
                "village_id": "00000000-0000-0000-0000-000000000000",
            }
        )
    assert _count(database, StaffAccount) == 0


def test_village_names_list_every_village_by_name_and_check_the_ids(members):
    rpc, _database = members
    second = rpc.open_village(
        {**VILLAGE, "slug": "bugeat", "name": "Bugeat", "insee_code": "19033"}
    )
    first = rpc.open_village(VILLAGE)
    assert rpc.village_names(None) == [
        {"id": second["id"], "slug": "bugeat", "name": "Bugeat", "status": "open"},
        {"id": first["id"], "slug": "peyrelevade", "name": "Peyrelevade", "status": "open"},
    ]
    assert [v["id"] for v in rpc.village_names([first["id"]])] == [first["id"]]
    with pytest.raises(InvalidInput) as bad:
        rpc.village_names("not a list")
    assert "village_ids" in bad.value.errors
