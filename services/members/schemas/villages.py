"""Shapes of villages at the members service's boundary."""
from marshmallow import Schema, fields, validate

from backbone.contracts.events.members import VILLAGE_KINDS

SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use lowercase letters, digits and dashes.")
INSEE = validate.Regexp(r"^(\d{5}|2[AB]\d{3})$", error="An INSEE code has 5 characters (e.g. 19031).")
POSTCODE = validate.Regexp(r"^\d{5}$", error="A postcode has 5 digits.")


class VillageInput(Schema):
    slug = fields.String(required=True, validate=[validate.Length(min=2, max=60), SLUG])
    name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    commune = fields.String(required=True, validate=validate.Length(min=2, max=120))
    insee_code = fields.String(required=True, validate=INSEE)
    postcode = fields.String(required=True, validate=POSTCODE)
    kind = fields.String(required=True, validate=validate.OneOf(VILLAGE_KINDS))
    population = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100000))


class VillageOutput(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    commune = fields.String()
    insee_code = fields.String()
    postcode = fields.String()
    kind = fields.String()
    population = fields.Integer(allow_none=True)
    status = fields.String()
    created_at = fields.AwareDateTime()


class VillageIdsInput(Schema):
    village_ids = fields.List(fields.String(), load_default=None, allow_none=True)
