"""Shapes of grappes at the members service's boundary."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.messages import msg
from backbone.schemas import Schema

ID = validate.Length(min=1, max=36)


class GrappeInput(Schema):
    """A grappe as the coordinator writes it: two villages at least, the depot one of them."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    village_ids = fields.List(
        fields.String(validate=ID),
        required=True,
        validate=validate.Length(min=2, max=200, error=msg("grappe_villages_count")),
    )
    supplier_partner_ids = fields.List(
        fields.String(validate=ID), load_default=list, validate=validate.Length(max=100)
    )
    depot_village_id = fields.String(required=True, validate=ID)
    depot_place = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )

    @validates_schema
    def _well_formed(self, data, **kwargs):
        villages = data.get("village_ids") or []
        if len(set(villages)) != len(villages):
            raise ValidationError(msg("village_listed_twice"), "village_ids")
        suppliers = data.get("supplier_partner_ids") or []
        if len(set(suppliers)) != len(suppliers):
            raise ValidationError(msg("supplier_listed_twice"), "supplier_partner_ids")
        depot = data.get("depot_village_id")
        if villages and depot and depot not in villages:
            raise ValidationError(msg("depot_outside_grappe"), "depot_village_id")


class GrappeOutput(Schema):
    id = fields.String()
    name = fields.String()
    village_ids = fields.List(fields.String())
    supplier_partner_ids = fields.List(fields.String())
    depot_village_id = fields.String()
    depot_place = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
