"""The partners service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""
from services.partners.models.base import Base, new_id  # noqa: F401
from services.partners.models.partners import Partner, PartnerVillage, ApiKey, KnownVillage, VillageStatus  # noqa: F401
