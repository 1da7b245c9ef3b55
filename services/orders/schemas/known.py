"""Shapes of what orders keeps of other services' facts."""

from marshmallow import fields

from backbone import network_facts


class KnownVillageOutput(network_facts.KnownVillageOutput):
    kind = fields.String()
