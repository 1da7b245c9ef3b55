"""The partners service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.partners.models.base import Base, new_id  # noqa: F401
from services.partners.models.partners import (
    Partner,
    PartnerVillage,
    ApiKey,
    KnownVillage,
    VillageStatus,
)  # noqa: F401
from services.partners.models.partners import PartnerContact, PartnerRelationship  # noqa: F401
from services.partners.models.offers import CatalogueEntry, Offer, OfferVillage  # noqa: F401
from services.partners.models.funding import Campaign, FundingSource, Pledge  # noqa: F401
from services.partners.models.subscriptions import (
    Delivery,
    DeliveryAttempt,
    FeedAccount,
    WebhookSubscription,
)  # noqa: F401
