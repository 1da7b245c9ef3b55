"""Events published by the partners service."""
from marshmallow import Schema, fields, validate

from backbone.contracts.registry import registry


@registry.register("partner.joined", 1, publisher="partners", village_scoped=False,
                   description="An organisation (producer, shop, La Poste, a commune…) joined the network.")
class PartnerJoinedV1(Schema):
    partner_id = fields.String(required=True, metadata={"description": "Id of the partner (UUID)."})
    name = fields.String(required=True, metadata={"description": "Name of the organisation."})
    kind = fields.String(required=True, metadata={"description": "producer, local_authority, national_company…"})
    village_ids = fields.List(fields.String(), required=True,
                              metadata={"description": "Villages it serves; empty means the whole network."})


# --- catalogues (services/partners): what the orders service needs to take an order without ever
# calling partners. A village's whole catalogue travels each time (a snapshot, a few hundred items
# at most), so a reader simply keeps the newest by `occurred_at` and replaces the village's items.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
VAT_RATES_PER_MILLE = (0, 21, 55, 100, 200)  # French rates: 0 %, 2.1 %, 5.5 %, 10 %, 20 %
HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM (e.g. 18:00).")


class CatalogueItemV1(Schema):
    item_id = fields.String(required=True, metadata={"description": "Id of the catalogue entry (UUID): what an "
                                                                    "order line names."})
    offer_id = fields.String(required=True, metadata={"description": "The partner's offer it sells."})
    partner_id = fields.String(required=True, metadata={"description": "The partner supplying it."})
    partner_name = fields.String(required=True, metadata={"description": "Name of that partner."})
    shared_supplier = fields.Boolean(required=True, metadata={
        "description": "True when the partner supplies several villages (its lines are pooled per cycle)."})
    name = fields.String(required=True, metadata={"description": "What is sold (as shown at the counter)."})
    kind = fields.String(required=True, validate=validate.OneOf(("product", "service")),
                         metadata={"description": "product or service."})
    unit = fields.String(required=True, metadata={"description": "Unit sold: piece, kg, litre, dozen, hour…"})
    price_cents = fields.Integer(required=True, strict=True, validate=validate.Range(min=0),
                                 metadata={"description": "Local price in this village, VAT included, in cents."})
    vat_rate = fields.Integer(required=True, strict=True, validate=validate.OneOf(VAT_RATES_PER_MILLE),
                              metadata={"description": "VAT rate in per mille (55 = 5.5 %)."})
    lead_time_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=60),
                                    metadata={"description": "Days between the order's cut-off and delivery."})
    cutoff_time = fields.String(required=True, validate=HHMM, metadata={
        "description": "Local time (Europe/Paris) when orders close, `lead_time_days` before a delivery day."})
    days = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), required=True,
                       metadata={"description": "Days of the week it is delivered or available here."})
    perishable = fields.Boolean(required=True, metadata={"description": "Perishable goods (kept cold, quick)."})
    available = fields.Boolean(required=True, metadata={"description": "False while it is out of stock here."})


@registry.register("catalogue.changed", 1, publisher="partners",
                   description="A village's catalogue changed (an item added, removed, repriced, out of stock, or "
                               "an offer it sells changed). Carries the whole catalogue of the village: readers "
                               "keep the newest by `occurred_at` and replace what they had.")
class CatalogueChangedV1(Schema):
    village_id = fields.String(required=True, metadata={"description": "Village whose catalogue this is."})
    items = fields.List(fields.Nested(CatalogueItemV1), required=True,
                        metadata={"description": "Every item of the village's catalogue, available or not."})
