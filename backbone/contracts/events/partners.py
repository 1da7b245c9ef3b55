"""Events published by the partners service."""
from marshmallow import Schema, fields

from backbone.contracts.registry import registry


@registry.register("partner.joined", 1, publisher="partners", village_scoped=False,
                   description="An organisation (producer, shop, La Poste, a commune…) joined the network.")
class PartnerJoinedV1(Schema):
    partner_id = fields.String(required=True, metadata={"description": "Id of the partner (UUID)."})
    name = fields.String(required=True, metadata={"description": "Name of the organisation."})
    kind = fields.String(required=True, metadata={"description": "producer, local_authority, national_company…"})
    village_ids = fields.List(fields.String(), required=True,
                              metadata={"description": "Villages it serves; empty means the whole network."})
