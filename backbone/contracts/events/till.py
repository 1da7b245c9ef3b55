"""Events of the hub's till (caisse), published by the orders service.

A walk-in sale and its refunds are money events: the partners service builds producers'
consignment statements from them (with the orders collected and delivered), the coordinator's
figures count them with the orders. Amounts are integer cents, VAT included; VAT rates per mille
(55 = 5.5 %), as in the catalogue."""

from marshmallow import fields, validate

from backbone.contracts.registry import registry
from backbone.schemas import Schema

PAYMENT_METHODS = ("cash", "card", "cheque", "voucher")


class PricedLineV1(Schema):
    """What a line of a sale says to anyone reading it (a receipt's line is just this)."""

    name = fields.String(required=True, metadata={"description": "What was sold."})
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "How many units."},
    )
    unit_price_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Price per unit charged, VAT included."},
    )
    vat_rate = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "VAT rate per mille (55 = 5.5 %)."},
    )
    total_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "quantity × unit price, VAT included."},
    )
    solidarity = fields.Boolean(
        load_default=False,
        metadata={"description": "Sold at the item's solidarity price (épicerie solidaire)."},
    )


class SaleLineV1(PricedLineV1):
    line_id = fields.String(required=True, metadata={"description": "Id of the sale line (UUID)."})
    item_id = fields.String(
        required=True, metadata={"description": "Catalogue item or hub stock item sold."}
    )
    partner_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Partner (producer) whose goods these are; none for the hub's own."
        },
    )


class PaymentV1(Schema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(PAYMENT_METHODS),
        metadata={"description": "cash, card (the terminal stays outside), cheque or voucher."},
    )
    amount_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Amount paid by this method, in cents (cash: change given)."},
    )


@registry.register(
    "sale.recorded",
    1,
    publisher="orders",
    description="A sale at a hub's till (to a member or anyone walking in): its lines and "
    "how it was paid. Partners whose goods were sold are in `partner_ids`.",
)
class SaleRecordedV1(Schema):
    sale_id = fields.String(required=True, metadata={"description": "Id of the sale (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village of the till."})
    partner_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Partners whose goods were sold (whom it concerns)."},
    )
    lines = fields.List(
        fields.Nested(SaleLineV1),
        required=True,
        metadata={"description": "The lines sold (a partner receives its own lines only)."},
    )
    payments = fields.List(
        fields.Nested(PaymentV1),
        required=True,
        metadata={"description": "How it was paid, one entry per method used."},
    )
    total_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Sum of the lines, VAT included, in cents."},
    )
    member_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The member who bought, when known; never sent to partners."},
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the sale happened (UTC)."}
    )


@registry.register(
    "sale.refunded",
    1,
    publisher="orders",
    description="Lines of a till sale given back and refunded (reason given).",
)
class SaleRefundedV1(Schema):
    refund_id = fields.String(required=True, metadata={"description": "Id of the refund (UUID)."})
    sale_id = fields.String(required=True, metadata={"description": "The sale refunded."})
    village_id = fields.String(required=True, metadata={"description": "Village of the till."})
    partner_ids = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Partners whose goods were given back (whom it concerns)."},
    )
    lines = fields.List(
        fields.Nested(SaleLineV1),
        required=True,
        metadata={"description": "The lines refunded, with the quantities given back."},
    )
    method = fields.String(
        required=True,
        validate=validate.OneOf(PAYMENT_METHODS),
        metadata={"description": "How the money was given back."},
    )
    total_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Amount given back, VAT included, in cents."},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Why the goods were given back."},
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the refund happened (UTC)."}
    )


class ReceiptLineV1(PricedLineV1):
    pass


class ReceiptVatV1(Schema):
    vat_rate = fields.Integer(
        required=True, strict=True, metadata={"description": "VAT rate per mille."}
    )
    net_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "Without VAT, in cents."}
    )
    vat_cents = fields.Integer(required=True, strict=True, metadata={"description": "The VAT."})
    total_cents = fields.Integer(
        required=True, strict=True, metadata={"description": "VAT included, in cents."}
    )


@registry.register(
    "sale.receipt_requested",
    1,
    publisher="orders",
    description="The buyer at a hub's till gave an e-mail address for the receipt: what the "
    "receipt says and where to send it. For the members service's notices only; never sent "
    "to partners (it carries an address).",
)
class SaleReceiptRequestedV1(Schema):
    sale_id = fields.String(required=True, metadata={"description": "Id of the sale (UUID)."})
    village_id = fields.String(required=True, metadata={"description": "Village of the till."})
    email = fields.Email(
        required=True,
        validate=validate.Length(max=254),
        metadata={"description": "Where the receipt goes (typed at the till)."},
    )
    member_id = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "The member who bought, when known (their erasure reaches it)."},
    )
    lines = fields.List(
        fields.Nested(ReceiptLineV1), required=True, metadata={"description": "The lines sold."}
    )
    vat_by_rate = fields.List(
        fields.Nested(ReceiptVatV1),
        required=True,
        metadata={"description": "The VAT per rate, summed from the lines' own."},
    )
    payments = fields.List(
        fields.Nested(PaymentV1),
        required=True,
        metadata={"description": "How it was paid, one entry per method used."},
    )
    total_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Sum of the lines, VAT included, in cents."},
    )
    vat_cents = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"description": "Sum of the lines' VAT, in cents."},
    )
    given_cents = fields.Integer(
        load_default=0, strict=True, metadata={"description": "Cash handed over, in cents."}
    )
    change_cents = fields.Integer(
        load_default=0, strict=True, metadata={"description": "Change given back, in cents."}
    )
    occurred_at = fields.AwareDateTime(
        required=True, metadata={"description": "When the sale happened (UTC)."}
    )
