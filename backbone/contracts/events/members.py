"""Events published by the members service."""
from marshmallow import Schema, fields, validate

from backbone.contracts.registry import registry

VILLAGE_KINDS = ("fixed", "itinerant", "locker")


@registry.register("village.opened", 1, publisher="members",
                   description="A village hub joined the network. Every service records it in its read model.")
class VillageOpenedV1(Schema):
    village_id = fields.String(required=True, metadata={"description": "Id of the village (UUID)."})
    slug = fields.String(required=True, metadata={"description": "Short readable name used in addresses."})
    name = fields.String(required=True, metadata={"description": "Name of the village hub."})
    commune = fields.String(required=True, metadata={"description": "Commune where it stands."})
    insee_code = fields.String(required=True, validate=validate.Regexp(r"^(\d{5}|2[AB]\d{3})$"),
                               metadata={"description": "INSEE code of the commune."})
    kind = fields.String(required=True, validate=validate.OneOf(VILLAGE_KINDS),
                         metadata={"description": "fixed hub, itinerant truck or locker box."})
    population = fields.Integer(required=True, allow_none=True, metadata={"description": "Inhabitants."})
