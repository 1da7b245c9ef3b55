"""Shapes of the hub's till: a sale (lines, payments), a refund, the day's closing (Z); the
shelf's stock and its movements; solidarity prices and eligibility."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.till import PAYMENT_METHODS
from backbone.messages import msg
from backbone.schemas import Schema
from services.orders.schemas.keys import idempotency_key_field

MAX_LINES = 50
MAX_QUANTITY = 999
MAX_CENTS = 10_000_000  # 100,000 € : no till sees more in one go

PAYMENT_LABELS = {
    "cash": "Espèces",
    "card": "Carte",
    "cheque": "Chèque",
    "voucher": "Bon d'achat",
}
MOVEMENT_KINDS = ("received", "handed_over", "lost", "spoilt", "counted")
MOVEMENT_LABELS = {
    "received": "Reçu",
    "sold": "Vendu",
    "handed_over": "Remis",
    "lost": "Perdu",
    "spoilt": "Abîmé",
    "counted": "Inventaire",
}
NEEDS_REASON = ("lost", "spoilt")


def _cents(minimum=0, **kwargs):
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=minimum, max=MAX_CENTS, error=msg("amount_range")),
        **kwargs,
    )


def _quantity(**kwargs):
    return fields.Integer(
        strict=True,
        validate=validate.Range(
            min=1, max=MAX_QUANTITY, error=msg("quantity_range", max=MAX_QUANTITY)
        ),
        **kwargs,
    )


class SaleLineInput(Schema):
    item_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "A catalogue item of the village or a stock item of its shelf."},
    )
    quantity = _quantity(required=True)


class PaymentInput(Schema):
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount_cents = _cents(
        1,
        required=True,
        metadata={"description": "Paid by this method; for cash, the amount handed over."},
    )


class SaleInput(Schema):
    idempotency_key = idempotency_key_field("sale", required=True)
    member_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=36)
    )
    email = fields.Email(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "Where to send the receipt, when given."},
    )
    lines = fields.List(
        fields.Nested(SaleLineInput),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=msg("till_lines_count", max=MAX_LINES)
        ),
    )
    payments = fields.List(
        fields.Nested(PaymentInput),
        load_default=list,
        validate=validate.Length(max=len(PAYMENT_METHODS)),
    )

    @validates_schema
    def _once_each(self, data, **kwargs):
        items = [line["item_id"] for line in data.get("lines") or []]
        if len(items) != len(set(items)):
            raise ValidationError(msg("item_listed_twice"), "lines")
        methods = [p["method"] for p in data.get("payments") or []]
        if len(methods) != len(set(methods)):
            raise ValidationError(msg("payment_method_twice"), "payments")


class RefundLineInput(Schema):
    line_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    quantity = _quantity(required=True)


class RefundInput(Schema):
    idempotency_key = idempotency_key_field("refund", required=True)
    sale_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    lines = fields.List(
        fields.Nested(RefundLineInput),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=msg("till_lines_count", max=MAX_LINES)
        ),
    )
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=200, error=msg("reason_missing"))
    )

    @validates_schema
    def _once_each(self, data, **kwargs):
        ids = [line["line_id"] for line in data.get("lines") or []]
        if len(ids) != len(set(ids)):
            raise ValidationError(msg("item_listed_twice"), "lines")
        if not (data.get("reason") or "").strip():
            raise ValidationError(msg("reason_missing"), "reason")


class ClosingInput(Schema):
    day = fields.Date(load_default=None, allow_none=True)
    counted_cash_cents = _cents(required=True)
    float_cents = _cents(
        load_default=0, metadata={"description": "Cash in the drawer when the day began."}
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class DayQuery(Schema):
    day = fields.Date(load_default=None, allow_none=True)


class StockItemInput(Schema):
    item_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "A catalogue item of the village (its name and price follow)."},
    )
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    price_cents = _cents(load_default=None, allow_none=True)
    vat_rate = fields.Integer(
        load_default=55, strict=True, validate=validate.Range(min=0, max=1000)
    )
    low_at = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_QUANTITY)
    )

    @validates_schema
    def _named(self, data, **kwargs):
        if not data.get("item_id"):
            if not (data.get("name") or "").strip():
                raise ValidationError(msg("stock_item_name_missing"), "name")
            if data.get("price_cents") is None:
                raise ValidationError(msg("required"), "price_cents")


class MovementInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(MOVEMENT_KINDS))
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=99_999, error=msg("stock_quantity_range")),
        metadata={"description": "Units moved; for an inventory (counted), what is on the shelf."},
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    use_by = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _reason(self, data, **kwargs):
        if data.get("kind") in NEEDS_REASON and not (data.get("reason") or "").strip():
            raise ValidationError(msg("reason_missing"), "reason")
        if data.get("kind") != "counted" and data.get("quantity") == 0:
            raise ValidationError(msg("quantity_range", max=99_999), "quantity")


class ReceivedLineInput(Schema):
    item_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=36),
        metadata={"description": "A catalogue item of the village in the purchase order."},
    )
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=99_999, error=msg("stock_quantity_range")),
        metadata={"description": "Units put on the shelf (0: none)."},
    )


class SupplierReceiptInput(Schema):
    lines = fields.List(
        fields.Nested(ReceivedLineInput),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_LINES, error=msg("till_lines_count", max=MAX_LINES)
        ),
    )
    use_by = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _once_each(self, data, **kwargs):
        items = [line["item_id"] for line in data.get("lines") or []]
        if len(items) != len(set(items)):
            raise ValidationError(msg("item_listed_twice"), "lines")


class SolidarityPriceInput(Schema):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    price_cents = _cents(load_default=None, allow_none=True)


class EligibilityInput(Schema):
    member_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    given_by = fields.String(
        required=True, validate=validate.Length(min=1, max=200, error=msg("given_by_missing"))
    )
    ends_on = fields.Date(required=True)

    @validates_schema
    def _given_by(self, data, **kwargs):
        if "given_by" in data and not data["given_by"].strip():
            raise ValidationError(msg("given_by_missing"), "given_by")
