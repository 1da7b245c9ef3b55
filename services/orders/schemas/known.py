"""Shapes crossing the orders service's boundary."""

from marshmallow import Schema, fields


class KnownVillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    kind = fields.String()
    opened_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "preparing, open, paused or closed"})


class KnownMemberOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    display_name = fields.String(allow_none=True)
    tags = fields.Method("_tags")
    registered_at = fields.AwareDateTime(allow_none=True)
    erased_at = fields.AwareDateTime(allow_none=True)

    def _tags(self, row):
        return [t for t in (row.tags or "").split(",") if t]
