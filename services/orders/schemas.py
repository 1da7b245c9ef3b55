"""Shapes crossing the orders service's boundary."""
from marshmallow import Schema, fields


class KnownVillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    kind = fields.String()
    opened_at = fields.AwareDateTime()
