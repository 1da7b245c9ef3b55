"""The orders service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""
from services.orders.models.base import Base, new_id  # noqa: F401
from services.orders.models.known import KnownVillage, KnownMember, VillageStatus, KnownVolunteer  # noqa: F401
