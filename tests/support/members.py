"""Villages and members written straight into the members database."""

import uuid
from datetime import date

from services.members.models import Member, Village

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
