"""Shapes of the personal sign-in links at the members service's boundary."""

from marshmallow import fields, validate

from backbone.schemas import Schema


class LinkRequestInput(Schema):
    contact = fields.String(
        required=True,
        validate=validate.Length(min=1, max=254),
        metadata={"description": "The e-mail or mobile number the person typed."},
    )
    client_address = fields.String(load_default=None, allow_none=True)


class SecretInput(Schema):
    """A link's token or a session's: the person's proof, never stored as such."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
