"""Shapes crossing the events service's boundary."""
from marshmallow import Schema, fields


class KnownVillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    commune = fields.String()
    opened_at = fields.AwareDateTime()


class KnownPartnerOutput(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    joined_at = fields.AwareDateTime()
