"""Shapes of notices (telling members something: an animation cancelled)."""
from marshmallow import Schema, fields, validate

NOTICE_CHANNELS = {"sms": "SMS", "email": "e-mail", "call": "appel de la conciergerie"}
NOTICE_STATUSES = {"to_send": "à prévenir", "sent": "envoyé", "done": "prévenu·e"}


class NoticeFiltersInput(Schema):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(tuple(NOTICE_STATUSES)))


class NoticeDoneInput(Schema):
    """Marking a call done takes nothing more: an empty object (or no body)."""


class NoticeOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    member_id = fields.String()
    display_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "To call (channel call) or the SMS number."})
    email = fields.String(allow_none=True)
    source_type = fields.String(metadata={"description": "What it tells: animation.cancelled."})
    source_ref = fields.String(metadata={"description": "Id of what it is about (the animation)."})
    channel = fields.String(metadata={"description": "sms, email or call (by the concierge)."})
    channel_label = fields.String()
    status = fields.String(metadata={"description": "to_send, sent (sms, email) or done (a call made)."})
    status_label = fields.String()
    message = fields.String()
    attempts = fields.Integer(metadata={"description": "Sending attempts that failed."})
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
