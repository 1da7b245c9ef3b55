"""Shapes of partners' subscriptions: webhooks, deliveries and their log, the AMQP feed account."""

import ipaddress
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates

from backbone import config
from backbone.messages import msg
from backbone.schemas import PageQuery, Schema
from services.partners.addresses import is_internal

DELIVERY_STATUSES = ("pending", "delivered", "parked")
CHANNELS = ("webhook", "amqp")


def _event_types():
    from services.partners.audience import EVENT_TYPES

    return EVENT_TYPES


def check_webhook_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(msg("webhook_scheme"))
    if not parts.hostname:
        raise ValidationError(msg("webhook_host", example="https://example.org/hooks/maillage"))
    if not config.webhook_allow_private() and _internal_literal(parts.hostname):
        raise ValidationError(msg("webhook_internal"))


def _internal_literal(host: str) -> bool:
    """localhost or an IP written in the URL that is not a public one (names are checked again,
    resolved, before each attempt: services/partners/webhooks.py)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return is_internal(ipaddress.ip_address(host))
    except ValueError:
        return False


class WebhookInput(Schema):
    url = fields.String(
        required=True,
        validate=[validate.Length(max=2000), check_webhook_url],
        metadata={"description": "Where events are POSTed (http or https)."},
    )
    event_types = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Event types wanted (see GET /api/partner/event-types)."},
    )

    @validates("event_types")
    def known_types(self, value, **_kwargs):
        known = _event_types()
        unknown = [t for t in value if t not in known]
        if unknown:
            raise ValidationError(msg("unknown_event_type", types=", ".join(unknown)))
        if len(set(value)) != len(value):
            raise ValidationError(msg("event_type_listed_twice"))


class WebhookOutput(Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class WebhookCreatedOutput(WebhookOutput):
    secret = fields.String(
        metadata={
            "description": "`whsec_<base64>`: signs every body (Standard Webhooks, HMAC-SHA256); "
            "shown this once."
        }
    )


class NoInput(Schema):
    """An action without fields (the body may be empty)."""


class DeliveryQuery(PageQuery):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(DELIVERY_STATUSES)
    )
    partner_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(equal=36)
    )


class AttemptOutput(Schema):
    attempted_at = fields.AwareDateTime()
    ok = fields.Boolean()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class DeliveryOutput(Schema):
    id = fields.String()
    partner_id = fields.String()
    channel = fields.String(metadata={"description": "webhook or amqp"})
    subscription_id = fields.String(allow_none=True)
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String(metadata={"description": "pending, delivered or parked"})
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(
        allow_none=True,
        metadata={"description": "Why the last attempt failed (the reason it is parked)."},
    )
    created_at = fields.AwareDateTime()
    settled_at = fields.AwareDateTime(allow_none=True)


class DeliveryDetailOutput(DeliveryOutput):
    body = fields.Raw(metadata={"description": "The event as sent."})
    log = fields.List(
        fields.Nested(AttemptOutput), metadata={"description": "Every attempt, oldest first."}
    )


class DeliveryPageOutput(Schema):
    items = fields.List(fields.Nested(DeliveryOutput))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ParkedRedeliveredOutput(Schema):
    redelivered = fields.Integer(metadata={"description": "Parked deliveries sent again."})
    left_parked = fields.Integer(
        metadata={"description": "Those of a deleted webhook, left parked: nobody receives them."}
    )


class FeedAccountOutput(Schema):
    username = fields.String()
    password = fields.String(
        metadata={"description": "Shown this once; asking again sets a new one."}
    )
    vhost = fields.String()
    exchange = fields.String()
    routing_key_prefix = fields.String(metadata={"description": "Keys are <prefix><event type>."})
    queue = fields.String(metadata={"description": "A durable queue already bound to <prefix>#."})
    queue_pattern = fields.String(metadata={"description": "Other queues the account may declare."})


class EventTypeOutput(Schema):
    type = fields.String()
    description = fields.String()
