"""Shapes of the catalogue read model (what the counter may sell in a village)."""

from marshmallow import fields

from backbone.schemas import Schema


class CatalogueItemOutput(Schema):
    item_id = fields.String()
    village_id = fields.String()
    offer_id = fields.String()
    partner_id = fields.String()
    partner_name = fields.String()
    shared_supplier = fields.Boolean(
        metadata={"description": "Lines are pooled per supplier and delivery day."}
    )
    name = fields.String()
    kind = fields.String()
    unit = fields.String()
    price_cents = fields.Integer(metadata={"description": "Local price, VAT included, in cents."})
    vat_rate = fields.Integer(metadata={"description": "Per mille (55 = 5.5 %)."})
    lead_time_days = fields.Integer()
    cutoff_time = fields.String(metadata={"description": "HH:MM, Europe/Paris."})
    days = fields.List(fields.String(), metadata={"description": "Weekdays it is delivered."})
    perishable = fields.Boolean()
    available = fields.Boolean()
    next_delivery_date = fields.Date(
        allow_none=True,
        metadata={
            "description": "The first day an order placed now can be delivered "
            "(null when out of stock)."
        },
    )
    next_cutoff_at = fields.AwareDateTime(
        allow_none=True,
        metadata={
            "description": "Until when (UTC) an order for `next_delivery_date` may be placed."
        },
    )
