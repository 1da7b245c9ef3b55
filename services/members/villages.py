"""Service layer for villages: what may be created, and the events it causes."""
from sqlalchemy import select

from backbone.errors import Conflict, NotFound
from services.members.models import Village
from services.members.schemas import VillageOutput

_out = VillageOutput()


def open_village(uow, data: dict) -> dict:
    """Create a village hub and announce it (`village.opened`) in the same transaction."""
    if uow.session.scalar(select(Village).where(Village.slug == data["slug"])) is not None:
        raise Conflict("slug_taken", "slug")
    village = Village(status="open", **data)
    uow.session.add(village)
    uow.session.flush()
    uow.record_event("village.opened", {
        "village_id": village.id, "slug": village.slug, "name": village.name,
        "commune": village.commune, "insee_code": village.insee_code, "kind": village.kind,
        "population": village.population,
    }, village_id=village.id)
    uow.commit()
    return _out.dump(village)


def get_village(uow, village_id: str) -> dict:
    village = uow.session.get(Village, village_id)
    if village is None:
        raise NotFound("village", village_id)
    return _out.dump(village)


def find_village_by_slug(uow, slug: str) -> dict | None:
    village = uow.session.scalar(select(Village).where(Village.slug == slug))
    return _out.dump(village) if village else None


def list_villages(uow, village_ids=None) -> list[dict]:
    query = select(Village).order_by(Village.name)
    if village_ids is not None:
        query = query.where(Village.id.in_(village_ids))
    return _out.dump(uow.session.scalars(query).all(), many=True)
