"""A module world (tests/support/module_world.py), on SQLite and PostgreSQL: what a test wrote is
gone at the next reset, what the set-up wrote is back, the services answer after it on the
connections they kept; a changed schema is refused; the services run neither timers nor event
handlers."""

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from backbone.consumer import EventConsumer
from backbone.tables import OutboxEvent
from backbone.timer import Timer
from services.members.models import Member, Village
from tests.support.members import members_service_on
from tests.support.module_world import backend  # noqa: F401  (module-scoped: a world each)

pytestmark = pytest.mark.broker

VILLAGE = {
    "slug": "tarnac",
    "name": "Tarnac",
    "commune": "Tarnac",
    "insee_code": "19265",
    "postcode": "19170",
    "kind": "fixed",
}


@pytest.fixture(scope="module")
def members_world(module_world):
    world = module_world()
    with members_service_on(world, VILLAGE) as (rpc, database, (village,)):
        yield world, rpc, database, village


def _count(database, model):
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def _person(village_id, first_name, phone):
    return {
        "village_id": village_id,
        "first_name": first_name,
        "last_name": "Martin",
        "phone": phone,
    }


def test_a_reset_takes_back_what_a_test_wrote_and_keeps_what_the_set_up_wrote(members_world):
    world, rpc, database, village = members_world
    world.reset()
    outbox_after_set_up = _count(database, OutboxEvent)
    assert outbox_after_set_up >= 1, "the village's opening is in the outbox"
    rpc.register_member(_person(village["id"], "Hélène", "05 55 12 34 56"))
    rpc.register_member(_person(village["id"], "Aurélien", "05 55 12 34 57"))
    assert _count(database, Member) == 2
    rpc.change_village_status(village["id"], {"status": "closed", "reason": "Fin"})

    world.reset()
    assert _count(database, Member) == 0
    assert _count(database, OutboxEvent) == outbox_after_set_up
    assert rpc.get_village(village["id"])["status"] == "open"
    # the service answers and writes on the connections it kept
    registered = rpc.register_member(_person(village["id"], "Hélène", "05 55 12 34 56"))
    assert rpc.get_member(village["id"], registered["id"])["first_name"] == "Hélène"
    world.reset()
    assert _count(database, Member) == 0 and _count(database, Village) == 1


def test_a_reset_refuses_a_schema_a_test_changed(members_world):
    world, _rpc, database, _village = members_world
    world.reset()
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE left_by_a_test (id integer)"))
    try:
        with pytest.raises(AssertionError, match="changed the schema"):
            world.reset()
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE left_by_a_test"))
    world.reset()


def test_the_services_of_a_world_run_no_timer_and_handle_no_event(members_world):
    world, *_ = members_world
    [container] = world.containers
    kinds = {type(entrypoint) for entrypoint in container.entrypoints}
    assert kinds, "the service answers its RPC"
    assert not any(issubclass(kind, EventConsumer | Timer) for kind in kinds), kinds
