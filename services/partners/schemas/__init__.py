"""Shapes crossing the partners service's boundary, one module per area."""
from services.partners.schemas.partners import PartnerInput, PartnerOutput, ApiKeyInput, KnownVillageOutput, PARTNER_KINDS, API_KEY  # noqa: F401
