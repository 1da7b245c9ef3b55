"""Help requests (coups de main) at the boundary: what a concierge sends, what they read back."""

from datetime import timedelta

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.members import SKILL_CODE
from backbone.messages import msg
from backbone.schemas import Schema
from services.orders.schemas.keys import idempotency_key_field

HELP_STATUS_LABELS = {
    "requested": "Demandé",
    "unmatched": "Sans bénévole",
    "assigned": "Confié",
    "accepted": "Accepté",
    "done": "Fait",
    "confirmed": "Confirmé",
    "cancelled": "Annulé",
}
MAX_WINDOW_HOURS = 12


class HelpRequestInput(Schema):
    idempotency_key = idempotency_key_field("help request", required=False)
    requester_member_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "The inhabitant who needs a hand."},
    )
    skill = fields.String(
        required=True,
        validate=SKILL_CODE,
        metadata={"description": "Skill code (`GET /api/skills`): lavage_vitres, jardinage…"},
    )
    place = fields.String(
        required=True,
        validate=validate.Length(min=2, max=200),
        metadata={"description": "Where (the requester's address, or a place)."},
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    starts_at = fields.AwareDateTime(
        required=True, metadata={"description": "Window start (timezone-aware)."}
    )
    ends_at = fields.AwareDateTime(
        required=True, metadata={"description": "Window end, after the start."}
    )

    @validates_schema
    def _window(self, data, **_kwargs):
        if data.get("starts_at") and data.get("ends_at"):
            if data["ends_at"] <= data["starts_at"]:
                raise ValidationError(msg("end_after_start"), "ends_at")
            if data["ends_at"] - data["starts_at"] > timedelta(hours=MAX_WINDOW_HOURS):
                raise ValidationError(
                    msg("help_request_too_long", hours=MAX_WINDOW_HOURS), "ends_at"
                )


class AssignInput(Schema):
    volunteer_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "One of the request's candidates."},
    )


class AcceptInput(Schema):
    """Recorded by the concierge once the volunteer said yes (nothing else to send)."""


class AnswerInput(Schema):
    """A volunteer's own answer to a coup de main proposed to them."""

    answer = fields.String(required=True, validate=validate.OneOf(("accept", "decline")))


class DoneInput(Schema):
    minutes = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "Time the volunteer gave, in minutes."},
    )


class ConfirmInput(Schema):
    """The requester confirmed it was done (through the concierge): the minutes are credited."""


class HelpCancelInput(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CandidateOutput(Schema):
    rank = fields.Integer()
    volunteer_id = fields.String()
    member_id = fields.String()
    display_name = fields.String(allow_none=True)
    level = fields.String()
    coverage_percent = fields.Integer()
    distance_km = fields.Float()
    serves_village = fields.Boolean()
    recent_minutes = fields.Integer()
    reasons = fields.List(
        fields.String(), metadata={"description": "Why they are proposed, in French."}
    )


class PaidOptionOutput(Schema):
    item_id = fields.String()
    name = fields.String()
    partner_id = fields.String()
    partner_name = fields.String()
    price_cents = fields.Integer()
    unit = fields.String()


class HelpRequestOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    requester_member_id = fields.String()
    requester_name = fields.String(allow_none=True)
    skill = fields.String()
    place = fields.String()
    description = fields.String(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String()
    status_label = fields.String()
    volunteer_id = fields.String(allow_none=True)
    volunteer_member_id = fields.String(allow_none=True)
    volunteer_name = fields.String(allow_none=True)
    minutes = fields.Integer(allow_none=True)
    unmatched_reason = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    assigned_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    declined_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When a volunteer last declined it."}
    )
    declined_names = fields.List(
        fields.String(), metadata={"description": "The volunteers who declined it."}
    )
    candidates = fields.List(
        fields.Nested(CandidateOutput),
        metadata={
            "description": "Volunteers who could do it, best first (only while it waits for one)."
        },
    )
    paid_options = fields.List(
        fields.Nested(PaidOptionOutput),
        metadata={"description": "Paid services of the village's catalogue, as an alternative."},
    )
