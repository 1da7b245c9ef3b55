"""Shapes of an item asked for at the counter that the village's catalogue does not offer."""

from marshmallow import fields, validate

from backbone.contracts.events.orders import ASKED_THEMES
from backbone.schemas import Schema, occurred_at_field
from services.orders.schemas.keys import idempotency_key_field


class AskedItemInput(Schema):
    idempotency_key = idempotency_key_field("request", required=False)
    item = fields.String(
        required=True,
        validate=validate.Length(min=2, max=120),
        metadata={"description": "What was asked for (free text, e.g. « piles AA »)."},
    )
    theme = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ASKED_THEMES),
        metadata={"description": "Its theme, a suggestion's category (`commerce` if none)."},
    )
    member_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "Who asked, if noted: kept by the hub, never told further."},
    )
    occurred_at = occurred_at_field()


class AskedItemOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    item = fields.String()
    theme = fields.String(allow_none=True)
    member_id = fields.String(allow_none=True)
    asked_at = fields.AwareDateTime()
