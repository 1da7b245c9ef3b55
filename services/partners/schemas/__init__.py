"""Shapes crossing the partners service's boundary, one module per area."""

from services.partners.schemas.partners import (
    PartnerInput,
    PartnerOutput,
    ApiKeyInput,
    KnownVillageOutput,
    PARTNER_KINDS,
    API_KEY,
)  # noqa: F401
from services.partners.schemas.partners import RELATIONSHIPS, SCOPES, ContactInput, siret_is_valid  # noqa: F401
from services.partners.schemas.offers import (  # noqa: F401
    AvailabilityInput,
    CatalogueEntryInput,
    CatalogueEntryUpdate,
    CatalogueOutput,
    OfferInput,
    OfferOutput,
)
from services.partners.schemas.funding import (  # noqa: F401
    CampaignInput,
    CampaignOutput,
    FundingSourceInput,
    FundingSourceOutput,
    PledgeInput,
)
from services.partners.schemas.subscriptions import (  # noqa: F401
    DeliveryDetailOutput,
    DeliveryOutput,
    DeliveryPageOutput,
    DeliveryQuery,
    FeedAccountOutput,
    WebhookCreatedOutput,
    WebhookInput,
    WebhookOutput,
)
