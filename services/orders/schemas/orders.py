"""Shapes of orders at the counter: what the concierge sends, what comes back, the day's list."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.orders import FULFILMENTS
from backbone.messages import msg
from backbone.schemas import Schema, occurred_at_field
from services.orders.schemas.keys import idempotency_key_field
from services.orders.schemas.parcels import ParcelOutput

MAX_LINES = 50

STATUS_LABELS = {
    "placed": "Passée",
    "confirmed": "Confirmée",
    "ready": "Prête",
    "collected": "Retirée",
    "delivered": "Livrée",
    "cancelled": "Annulée",
    "refused": "Refusée",
}
FULFILMENT_LABELS = {
    "counter": "Retrait au comptoir",
    "locker": "Casier",
    "truck_stop": "Arrêt du camion",
    "home_delivery": "Livraison à domicile",
}
LINE_STATUS_LABELS = {
    "pending": "En attente du fournisseur",
    "confirmed": "Confirmée",
    "refused": "Refusée",
}


class OrderLineInput(Schema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=999, error=msg("quantity_range", max=999)),
    )


class OrderInput(Schema):
    idempotency_key = idempotency_key_field("order", required=True)
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    delivery_date = fields.Date(
        required=True, metadata={"description": "Day the goods are wanted (YYYY-MM-DD)."}
    )
    fulfilment = fields.String(required=True, validate=validate.OneOf(FULFILMENTS))
    delivery_address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={
            "description": "Where to deliver (home_delivery); the member's address known from "
            "`member.updated` when omitted."
        },
    )
    truck_stop = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=120),
        metadata={
            "description": "The truck's stop (its id or its name, one of the village's « Horaires "
            "et lieux » stops when orders knows them); required for truck_stop."
        },
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    lines = fields.List(
        fields.Nested(OrderLineInput),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=msg("order_lines_count", max=MAX_LINES)
        ),
    )
    occurred_at = occurred_at_field()
    expected_total_cents = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10**9),
        metadata={
            "description": "The total the inhabitant was told (an order taken offline from the "
            "catalogue kept on the device): refused, naming this field, when the prices now "
            "make another total."
        },
    )

    @validates_schema
    def _fulfilment(self, data, **kwargs):
        if data.get("fulfilment") == "truck_stop" and not (data.get("truck_stop") or "").strip():
            raise ValidationError(msg("truck_stop_missing"), "truck_stop")
        items = [line["item_id"] for line in data.get("lines") or []]
        if len(items) != len(set(items)):
            raise ValidationError(msg("item_listed_twice"), "lines")


class ReadyInput(Schema):
    compartment = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Locker compartment (locker orders)."},
    )


class CollectInput(Schema):
    idempotency_key = idempotency_key_field("hand-over", required=False)
    occurred_at = occurred_at_field()
    code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=12),
        metadata={"description": "The locker code (locker orders)."},
    )


class ReasonInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class LineAnswerInput(Schema):
    """A partner's answer to one of its order lines."""

    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=3, max=300),
        metadata={"description": "Required to refuse."},
    )


class OrderListQuery(Schema):
    status = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(tuple(STATUS_LABELS))
    )
    delivery_date = fields.Date(load_default=None, allow_none=True)
    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )


class OrderLineOutput(Schema):
    id = fields.String()
    item_id = fields.String()
    partner_id = fields.String()
    partner_name = fields.String()
    name = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    unit_price_cents = fields.Integer()
    vat_rate = fields.Integer()
    total_cents = fields.Integer()
    status = fields.String(metadata={"description": "pending, confirmed or refused"})
    status_label = fields.String()
    reason = fields.String(allow_none=True)
    purchase_order_id = fields.String(allow_none=True)


class OrderOutput(Schema):
    id = fields.String()
    village_id = fields.String()
    member_id = fields.String()
    member_name = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    fulfilment = fields.String()
    fulfilment_label = fields.String()
    delivery_date = fields.Date()
    delivery_address = fields.String(allow_none=True)
    truck_stop = fields.String(allow_none=True)
    truck_stop_id = fields.String(
        allow_none=True,
        metadata={
            "description": "Id of the village's stop named (null: an order placed before, or a "
            "village whose stops were not known; `truck_stop` is then the text given)."
        },
    )
    locker_code = fields.String(
        allow_none=True, metadata={"description": "Code of the locker (locker orders)."}
    )
    locker_compartment = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    total_cents = fields.Integer()
    reason = fields.String(allow_none=True)
    placed_at = fields.AwareDateTime()
    confirmed_at = fields.AwareDateTime(allow_none=True)
    ready_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOutput))


class PartnerOrderOutput(Schema):
    """An order as its supplier sees it: its own lines only, no member data."""

    id = fields.String()
    village_id = fields.String()
    status = fields.String()
    fulfilment = fields.String()
    delivery_date = fields.Date()
    placed_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(OrderLineOutput))


class CounterTodayOutput(Schema):
    """The counter's day ("Aujourd'hui"): what to prepare, what to hand over, what waits."""

    village_id = fields.String()
    date = fields.Date()
    to_prepare = fields.List(
        fields.Nested(OrderOutput),
        metadata={
            "description": "Confirmed orders due on or before the "
            "day: prepare them (then mark them ready)."
        },
    )
    to_hand_over = fields.List(
        fields.Nested(OrderOutput),
        metadata={
            "description": "Ready orders to collect at the counter, the locker or the truck stop."
        },
    )
    awaiting_suppliers = fields.List(
        fields.Nested(OrderOutput),
        metadata={
            "description": "Placed orders for the coming week still waiting for a supplier's "
            "answer: the first 20, earliest delivery first (all of them: GET "
            "/api/villages/{village_id}/orders?status=placed)."
        },
    )
    awaiting_suppliers_count = fields.Integer(
        metadata={
            "description": "How many placed orders for the coming week "
            "wait for a supplier's answer."
        }
    )
    parcels_waiting = fields.List(
        fields.Nested(ParcelOutput),
        metadata={
            "description": "Parcels waiting, oldest first; "
            "`reminder_due` says whom to remind today."
        },
    )
    reminders_due = fields.Integer()


class DayInput(Schema):
    on_date = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD (default today)."}
    )
