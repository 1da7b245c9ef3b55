"""Shapes of staff accounts at the members service's boundary."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backbone.messages import msg
from backbone.schemas import Schema

ROLES = ("coordinator", "concierge")


class StaffAccountInput(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = fields.String(required=True, validate=validate.Length(min=2, max=120))
    password = fields.String(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=validate.Length(min=10, max=200),
        metadata={
            "description": "Optional: without it, the person chooses theirs from the e-mailed "
            "link (valid 7 days); until then no password opens the account."
        },
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    village_id = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def village_matches_role(self, data, **_kwargs):
        if data.get("role") == "concierge" and not data.get("village_id"):
            raise ValidationError(msg("concierge_needs_village"), "village_id")
        if data.get("role") == "coordinator" and data.get("village_id"):
            raise ValidationError(msg("coordinator_has_no_village"), "village_id")


class StaffAccountOutput(Schema):
    id = fields.String()
    email = fields.String()
    full_name = fields.String()
    role = fields.String()
    village_id = fields.String(allow_none=True)
    active = fields.Function(lambda account: account.disabled_at is None)


class CredentialsInput(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    client_address = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )


NEW_PASSWORD = dict(required=True, load_only=True, validate=validate.Length(min=10, max=200))


class PasswordChangeInput(Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    new_password = fields.String(**NEW_PASSWORD)


class PasswordResetInput(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=100))
    new_password = fields.String(**NEW_PASSWORD)
    client_address = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )


class SessionEndInput(Schema):
    token_id = fields.String(required=True, validate=validate.Length(min=8, max=64))
    expires_at = fields.AwareDateTime(required=True)


class AccountStatusInput(Schema):
    active = fields.Boolean(required=True)


# what a caller sends to the gateway: the client address is the gateway's to
# tell, never the caller's
PasswordChangeBody = PasswordChangeInput


class PasswordResetBody(PasswordResetInput):
    class Meta:
        exclude = ("client_address",)


class PasswordResetStarted(Schema):
    account = fields.Nested(StaffAccountOutput)
    reset_code = fields.String(
        metadata={
            "description": "Code à usage unique, montré une seule fois : à remettre "
            "à la personne (valable 24 h)."
        }
    )
    expires_at = fields.String()


class SignedOut(Schema):
    signed_out = fields.Boolean()
