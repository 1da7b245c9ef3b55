"""The shapes in which services answer the network's facts they keep (backbone/network_facts.py):
apart from the tables, so that a schema module (and the gateway, which reads the services' schemas)
does not load SQLAlchemy for them."""

from __future__ import annotations

from marshmallow import fields

from backbone.schemas import Schema


class KnownVillageOutput(Schema):
    """A known village with its status; a service's own schema adds the fields it carries."""

    id = fields.String()
    slug = fields.String()
    name = fields.String()
    opened_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "preparing, open, paused or closed"})


class KnownMemberOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    display_name = fields.String(allow_none=True)
    tags = fields.Method("_tags")
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    consents = fields.Method("_consents")
    registered_at = fields.AwareDateTime(allow_none=True)
    erased_at = fields.AwareDateTime(allow_none=True)

    def _tags(self, row):
        return [t for t in (row.tags or "").split(",") if t]

    def _consents(self, row):
        return [c for c in (row.consents or "").split(",") if c]
