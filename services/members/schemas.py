"""Every shape that crosses the members service's boundary (RPC in and out)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backbone.contracts.events.members import VILLAGE_KINDS

ROLES = ("coordinator", "concierge")
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


class StaffAccountInput(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    village_id = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def village_matches_role(self, data, **_kwargs):
        if data.get("role") == "concierge" and not data.get("village_id"):
            raise ValidationError("A concierge belongs to one village.", "village_id")
        if data.get("role") == "coordinator" and data.get("village_id"):
            raise ValidationError("A coordinator serves the whole network, not one village.", "village_id")


class StaffAccountOutput(Schema):
    id = fields.String()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    village_id = fields.String(allow_none=True)


class CredentialsInput(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class VillageIdsInput(Schema):
    village_ids = fields.List(fields.String(), load_default=None, allow_none=True)
