"""Shapes of the gateway's own HTTP bodies. Bodies that go to a service use that service's schemas
(services/<svc>/schemas.py), so the API document and the service validate with the same schema."""

from marshmallow import fields, validate

from backbone.schemas import Schema


class LoginInput(Schema):
    email = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "Adresse e-mail du compte."},
    )
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )


class AccountOutput(Schema):
    id = fields.String()
    email = fields.String()
    full_name = fields.String()
    role = fields.String(metadata={"description": "coordinator ou concierge"})
    village_id = fields.String(allow_none=True)


class TokenOutput(Schema):
    token = fields.String(
        metadata={"description": "Jeton à envoyer dans `Authorization: Bearer …`."}
    )
    expires_in = fields.Integer(metadata={"description": "Durée de validité, en secondes."})
    account = fields.Nested(AccountOutput)


class PrincipalOutput(Schema):
    kind = fields.String(metadata={"description": "staff ou partner"})
    id = fields.String()
    role = fields.String()
    village_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class PartnerCreatedOutput(Schema):
    partner = fields.Dict()
    api_key = fields.String(
        metadata={"description": "Montrée une seule fois : à transmettre au partenaire."}
    )


class ApiKeyRotated(Schema):
    api_key = fields.String(metadata={"description": "La nouvelle clé, montrée cette seule fois."})
    revoked = fields.Integer(
        metadata={"description": "Combien d'anciennes clés ont été révoquées."}
    )


class ApiKeysRevoked(Schema):
    revoked = fields.Integer()


class CarrierOutput(Schema):
    id = fields.String(metadata={"description": "The partner's id: a parcel's `partner_id`."})
    name = fields.String()


class ReadModelsOutput(Schema):
    service = fields.String()
    village_ids = fields.List(fields.String())


class ErrorDetail(Schema):
    code = fields.String(
        metadata={"description": "Stable code, e.g. invalid_input, village_forbidden."}
    )
    message = fields.String(metadata={"description": "Message en français."})
    message_en = fields.String(metadata={"description": "The same in English."})
    field_errors = fields.Dict(
        data_key="fields", metadata={"description": "Champ -> messages (français)."}
    )
    fields_en = fields.Dict(metadata={"description": "Field -> messages (English)."})
    request_id = fields.String()


class ErrorOutput(Schema):
    error = fields.Nested(ErrorDetail)


class NoBody(Schema):
    """An action that takes nothing more than its address: an empty JSON object, or no body at all
    (any field sent is refused by name, as everywhere)."""
