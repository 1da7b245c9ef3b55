"""Shapes of what orders keeps of other services' facts."""

from marshmallow import fields

from backbone import network_facts_schemas


class KnownVillageOutput(network_facts_schemas.KnownVillageOutput):
    kind = fields.String()
