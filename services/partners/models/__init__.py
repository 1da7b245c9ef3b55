"""The partners service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.partners.models.base import Base
from services.partners.models.commune_links import CommuneLink
from services.partners.models.funding import Campaign, FundingSource, Pledge
from services.partners.models.money import (
    CountedOrder,
    DeliveredService,
    InKindContribution,
    Invoice,
    InvoiceCounter,
    MonthlySales,
    ServiceContract,
)
from services.partners.models.offers import CatalogueEntry, Offer, OfferVillage
from services.partners.models.partners import (
    ApiKey,
    CommissionRate,
    KnownVillage,
    Partner,
    PartnerContact,
    PartnerRelationship,
    PartnerVillage,
    VillageStatus,
)
from services.partners.models.subscriptions import (
    Delivery,
    DeliveryAttempt,
    FeedAccount,
    WebhookSubscription,
)
