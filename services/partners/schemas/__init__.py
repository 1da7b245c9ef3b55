"""Shapes crossing the partners service's boundary, one module per area."""

from services.partners.schemas.funding import (
    CampaignInput,
    CampaignOutput,
    FundingSourceInput,
    FundingSourceOutput,
    PledgeInput,
)
from services.partners.schemas.offers import (
    AvailabilityInput,
    CatalogueEntryInput,
    CatalogueEntryUpdate,
    CatalogueOutput,
    OfferInput,
    OfferOutput,
)
from services.partners.schemas.partners import (
    API_KEY,
    PARTNER_KINDS,
    RELATIONSHIPS,
    SCOPES,
    ApiKeyInput,
    ContactInput,
    KnownVillageOutput,
    PartnerInput,
    PartnerOutput,
    siret_is_valid,
)
from services.partners.schemas.subscriptions import (
    DeliveryDetailOutput,
    DeliveryOutput,
    DeliveryPageOutput,
    DeliveryQuery,
    FeedAccountOutput,
    WebhookCreatedOutput,
    WebhookInput,
    WebhookOutput,
)
