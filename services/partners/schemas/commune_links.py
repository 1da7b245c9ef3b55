"""Shapes crossing the partners service's boundary for a commune's read-only link."""

from marshmallow import fields, validate

from backbone.messages import msg
from backbone.schemas import Schema

# 16 hex characters of id, then the secret (secrets.token_urlsafe(32): 43 characters)
COMMUNE_TOKEN = validate.Regexp(
    r"^[0-9a-f]{16}[A-Za-z0-9_-]{20,80}$", error=msg("commune_link_format")
)


class CommuneTokenInput(Schema):
    token = fields.String(required=True, validate=COMMUNE_TOKEN)


class CommuneLinkOutput(Schema):
    id = fields.String()
    created_at = fields.String()
    expires_at = fields.String()


class CommuneLinkIssuedOutput(Schema):
    token = fields.String()
    link = fields.Nested(CommuneLinkOutput)


class CommuneLinkStatusOutput(Schema):
    partner_id = fields.String()
    name = fields.String()
    kind = fields.String()
    ended = fields.Boolean()
    link = fields.Nested(CommuneLinkOutput, allow_none=True)
    village_ids = fields.List(fields.String())


class CommuneOutput(Schema):
    partner_id = fields.String()
    name = fields.String()
    expires_at = fields.String()
    village_ids = fields.List(fields.String())
