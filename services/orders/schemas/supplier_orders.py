"""Shapes of pooled supplier orders (one per shared supplier, delivery day and grappe)."""

from marshmallow import fields

from backbone.schemas import Schema


class PurchaseOrderLineOutput(Schema):
    offer_id = fields.String(
        metadata={"description": "The supplier's offer (the same in every village)."}
    )
    name = fields.String()
    unit = fields.String()
    quantity = fields.Integer()


class PurchaseOrderVillageOutput(Schema):
    village_id = fields.String()
    orders = fields.Integer(
        metadata={"description": "Orders of this village in the purchase order."}
    )
    lines = fields.List(fields.Nested(PurchaseOrderLineOutput))


class PurchaseOrderOutput(Schema):
    id = fields.String()
    supplier_partner_id = fields.String()
    supplier_name = fields.String()
    delivery_date = fields.Date()
    grappe_id = fields.String(
        allow_none=True, metadata={"description": "The grappe pooling it; null: villages in none."}
    )
    grappe_name = fields.String(allow_none=True)
    cutoff_at = fields.AwareDateTime()
    status = fields.String(
        metadata={"description": "open, sent or empty (closed with nothing to send)"}
    )
    sent_at = fields.AwareDateTime(allow_none=True)
    village_ids = fields.List(fields.String())
    lines = fields.List(
        fields.Nested(PurchaseOrderLineOutput), metadata={"description": "All villages together."}
    )
    villages = fields.List(
        fields.Nested(PurchaseOrderVillageOutput), metadata={"description": "Per village."}
    )
    items_count = fields.Integer()
