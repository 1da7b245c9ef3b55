"""Villages and members written straight into the members database; the members service alone on
a module world."""

import uuid
from contextlib import contextmanager
from datetime import date

from nameko.standalone.rpc import ServiceRpcProxy

from services.members.models import Member, Village
from services.members.service import MembersService

_n = iter(range(1, 10**6))


def add_village(database, name="Le Bourg") -> str:
    n = next(_n)
    with database.unit_of_work() as uow:
        village = Village(
            slug=f"v-{n}-{uuid.uuid4().hex[:6]}",
            name=f"{name} {n}",
            commune=name,
            insee_code="19164",
            postcode="19290",
            kind="fixed",
            population=600,
        )
        uow.session.add(village)
        uow.commit()
        return village.id


def add_member(database, village_id, first="Marie", last="Dupont") -> str:
    with database.unit_of_work() as uow:
        member = Member(
            village_id=village_id,
            first_name=first,
            last_name=last,
            phone="+33555000000",
            joined_on=date(2026, 1, 5),
        )
        uow.session.add(member)
        uow.commit()
        return member.id


@contextmanager
def members_service_on(world, *villages: dict):
    """The members service alone on a module world (tests/support/module_world.py): `villages`
    opened over RPC, then the world's snapshot taken. Yields (an RPC proxy to it, its database,
    the villages as it answered them)."""
    database = world.database("members")
    world.start(MembersService)
    with ServiceRpcProxy("members", world.config, timeout=10) as proxy:
        opened = [proxy.open_village(village) for village in villages]
        world.snapshot()
        yield proxy, database, opened
