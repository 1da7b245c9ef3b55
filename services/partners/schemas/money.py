"""Shapes of the money partners keeps: producers' statements, service contracts and their invoices,
in-kind contributions."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.messages import msg
from backbone.schemas import Schema

PRICE = validate.Range(min=0, max=100_000_000)
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error=msg("month_format", example="2026-11"))


class MonthInput(Schema):
    month = fields.String(
        required=True, validate=MONTH, metadata={"description": "The month, YYYY-MM."}
    )


class ServiceContractInput(Schema):
    partner_id = fields.String(
        required=True,
        validate=validate.Length(equal=36),
        metadata={"description": "The local authority buying the services."},
    )
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    village_ids = fields.List(
        fields.String(validate=validate.Length(equal=36)),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The villages the services are bought for."},
    )
    help_hour_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=PRICE,
        metadata={"description": "Price of an hour of coup de main, in cents."},
    )
    home_delivery_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=PRICE,
        metadata={"description": "Price of a home delivery, in cents."},
    )
    animation_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=PRICE,
        metadata={"description": "Price of an animation held, in cents."},
    )
    premises_month_cents = fields.Integer(
        load_default=0,
        strict=True,
        validate=PRICE,
        metadata={"description": "Value of the premises lent, per month (in kind, not invoiced)."},
    )

    @validates_schema
    def _consistent(self, data, **_kwargs):
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(msg("end_before_start_date"), "ends_on")
        villages = data.get("village_ids") or []
        if len(set(villages)) != len(villages):
            raise ValidationError(msg("village_listed_twice"), "village_ids")
        prices = ("help_hour_cents", "home_delivery_cents", "animation_cents")
        if all(p in data for p in prices) and not any(data[p] for p in prices):
            raise ValidationError(msg("contract_prices_missing"), "help_hour_cents")


class InvoiceSentInput(Schema):
    sent_to = fields.Email(
        load_default=None,
        allow_none=True,
        metadata={"description": "Where it was sent (the commune's e-mail), if by e-mail."},
    )


class InKindInput(Schema):
    village_id = fields.String(required=True, validate=validate.Length(equal=36))
    partner_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(equal=36)
    )
    description = fields.String(required=True, validate=validate.Length(min=2, max=200))
    value_cents = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=1_000_000_000)
    )
    month = fields.String(required=True, validate=MONTH)


class StatementTotalsOutput(Schema):
    till_quantity = fields.Integer(metadata={"description": "Units sold at the till, refunds out."})
    till_cents = fields.Integer(metadata={"description": "Sold at the till, VAT included."})
    order_quantity = fields.Integer(metadata={"description": "Units of orders handed over."})
    order_cents = fields.Integer(metadata={"description": "Orders handed over, VAT included."})
    quantity = fields.Integer()
    sold_cents = fields.Integer()
    commission_cents = fields.Integer()
    due_cents = fields.Integer()


class StatementVillageOutput(StatementTotalsOutput):
    village_id = fields.String()
    village_name = fields.String()


class StatementOutput(Schema):
    partner_id = fields.String()
    partner_name = fields.String()
    siret = fields.String(allow_none=True)
    month = fields.String(metadata={"description": "YYYY-MM (Europe/Paris)."})
    commission_per_mille = fields.Integer(metadata={"description": "The hub's commission rate."})
    villages = fields.List(fields.Nested(StatementVillageOutput))
    totals = fields.Nested(
        StatementTotalsOutput,
        metadata={"description": "The villages' sums; due = sold - commission."},
    )
