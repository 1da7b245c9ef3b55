"""Shapes of parcels at the counter (dépôt / retrait)."""

from marshmallow import fields, validate

from backbone.contracts.events.orders import PARCEL_PLACES, PARCEL_SENDERS
from backbone.schemas import Schema, occurred_at_field
from services.orders.schemas.keys import idempotency_key_field

STATUS_LABELS = {
    "waiting": "En attente",
    "handed_over": "Remis",
    "returned": "Retourné à l'expéditeur",
}
SENDER_LABELS = {
    "carrier": "Transporteur",
    "la_poste": "La Poste",
    "neighbour": "Voisin·e",
    "other": "Autre",
}


class ParcelInput(Schema):
    idempotency_key = idempotency_key_field("parcel", required=False)
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    sender_kind = fields.String(required=True, validate=validate.OneOf(PARCEL_SENDERS))
    sender_name = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    partner_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=36),
        metadata={
            "description": "The logistics partner who brought it (La Poste, a carrier of the "
            "network: `GET /api/villages/{village_id}/carriers`), if one did: it "
            "is told of the parcel's events (never of the member nor the code)."
        },
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=300)
    )
    place_kind = fields.String(required=True, validate=validate.OneOf(PARCEL_PLACES))
    place = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "Shelf or locker compartment, e.g. B3."},
    )
    occurred_at = occurred_at_field()


class HandOverInput(Schema):
    idempotency_key = idempotency_key_field("hand-over", required=False)
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))
    occurred_at = occurred_at_field()


class ParcelReturnInput(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class ParcelListQuery(Schema):
    status = fields.String(
        load_default="waiting",
        allow_none=True,  # None: every status (one member's parcels)
        validate=validate.OneOf(tuple(STATUS_LABELS)),
    )
    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )


class ParcelOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    member_id = fields.String()
    member_name = fields.String(allow_none=True)
    sender_kind = fields.String()
    sender_label = fields.String()
    sender_name = fields.String(allow_none=True)
    partner_id = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    place_kind = fields.String()
    place = fields.String()
    status = fields.String()
    status_label = fields.String()
    received_at = fields.AwareDateTime()
    days_waiting = fields.Integer()
    reminders = fields.Integer()
    reminded_at = fields.AwareDateTime(allow_none=True)
    reminder_due = fields.Boolean()
    return_due = fields.Boolean()
    closed_at = fields.AwareDateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)


class ReceivedParcelOutput(ParcelOutput):
    """The answer to a receipt, the only one carrying the pickup code: no list nor later reading
    shows it again (the concierge may have it re-sent to the inhabitant by their channel)."""

    pickup_code = fields.String(
        metadata={"description": "Given to the inhabitant; asked at the handover. Shown once."}
    )
