"""Shapes of offers (what a partner sells) and of each village's catalogue (what a village sells of
them, at its local price). A catalogue item has the shape of `catalogue.changed`'s items."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.contracts.events.partners import HHMM, VAT_RATES_PER_MILLE, WEEKDAYS, CatalogueItemV1
from backbone.messages import msg
from backbone.schemas import Schema

OFFER_KINDS = ("product", "service")
UNITS = (
    "piece",
    "kg",
    "g",
    "litre",
    "dozen",
    "bunch",
    "jar",
    "box",
    "basket",
    "hour",
    "session",
    "service",
)
PRICE = validate.Range(min=0, max=10_000_000)


def price_field(**kwargs):
    return fields.Integer(strict=True, validate=PRICE, **kwargs)


class OfferInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=160))
    kind = fields.String(required=True, validate=validate.OneOf(OFFER_KINDS))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    price_cents = price_field(
        required=True,
        metadata={
            "description": "Reference price, VAT included, in cents "
            "(a whole number, never negative)."
        },
    )
    vat_rate = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf(VAT_RATES_PER_MILLE),
        metadata={"description": "Per mille: 0, 21, 55, 100 or 200 (55 = 5.5 %)."},
    )
    lead_time_days = fields.Integer(
        load_default=1, strict=True, validate=validate.Range(min=0, max=60)
    )
    cutoff_time = fields.String(load_default="18:00", validate=HHMM)
    days = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        required=True,
        validate=validate.Length(min=1, max=7),
    )
    village_ids = fields.List(
        fields.String(validate=validate.Length(equal=36)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Villages where it is available: among those the partner serves."},
    )
    perishable = fields.Boolean(load_default=False)
    available = fields.Boolean(load_default=True)

    @validates_schema
    def _no_repeats(self, data, **_kwargs):
        if len(set(data.get("days") or [])) != len(data.get("days") or []):
            raise ValidationError(msg("day_listed_twice"), "days")
        if len(set(data.get("village_ids") or [])) != len(data.get("village_ids") or []):
            raise ValidationError(msg("village_listed_twice"), "village_ids")


class AvailabilityInput(Schema):
    available = fields.Boolean(required=True)


class OfferOutput(Schema):
    id = fields.String()
    partner_id = fields.String()
    partner_name = fields.String()
    name = fields.String()
    kind = fields.String()
    unit = fields.String()
    price_cents = fields.Integer()
    vat_rate = fields.Integer()
    lead_time_days = fields.Integer()
    cutoff_time = fields.String()
    days = fields.List(fields.String())
    village_ids = fields.List(fields.String())
    perishable = fields.Boolean()
    available = fields.Boolean()
    updated_at = fields.AwareDateTime()


class CatalogueEntryInput(Schema):
    offer_id = fields.String(required=True, validate=validate.Length(equal=36))
    price_cents = price_field(
        load_default=None,
        allow_none=True,
        metadata={"description": "Local price in cents; the offer's price when omitted."},
    )
    available = fields.Boolean(load_default=True)


class CatalogueEntryUpdate(Schema):
    price_cents = price_field(metadata={"description": "New local price in cents."})
    available = fields.Boolean()

    @validates_schema
    def _something(self, data, **_kwargs):
        if not data:
            raise ValidationError(msg("price_or_availability_missing"), "price_cents")


class CatalogueOutput(Schema):
    village_id = fields.String()
    items = fields.List(fields.Nested(CatalogueItemV1))
