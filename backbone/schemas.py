"""Helpers for validating input at every boundary with marshmallow."""
from marshmallow import Schema, ValidationError

from backbone.errors import InvalidInput


def load(schema: Schema, data, **kwargs):
    """Validate `data` with `schema`; raise InvalidInput naming every bad field."""
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None
