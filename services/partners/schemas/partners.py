"""Shapes crossing the partners service's boundary."""
from marshmallow import Schema, fields, validate

PARTNER_KINDS = ("producer", "artisan", "merchant", "service_provider", "association",
                 "social_enterprise", "local_authority", "national_company", "small_business")
API_KEY = validate.Regexp(r"^mlg_[0-9a-f]{16}_[A-Za-z0-9_-]{20,80}$", error="Not a Maillage API key.")


class PartnerInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    kind = fields.String(required=True, validate=validate.OneOf(PARTNER_KINDS))
    village_ids = fields.List(fields.String(validate=validate.Length(equal=36)), load_default=list)


class PartnerOutput(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    village_ids = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class ApiKeyInput(Schema):
    api_key = fields.String(required=True, validate=API_KEY)


class KnownVillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    commune = fields.String()
    insee_code = fields.String()
    opened_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "preparing, open, paused or closed"})
