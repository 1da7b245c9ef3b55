"""Helpers for validating input at every boundary with marshmallow."""

from marshmallow import Schema, ValidationError, fields, validate

from backbone.errors import InvalidInput

MAX_PAGE = (
    10_000  # 2 million rows at the largest page size: past it, a number is a mistake or a probe
)
MAX_PER_PAGE = 200


class PageQuery(Schema):
    """`?page=&per_page=` of a paginated list, bounded both ways (a page of 10**20 would overflow
    the database's OFFSET: a 500 instead of a 400 naming `page`)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def load(schema: Schema, data, **kwargs):
    """Validate `data` with `schema`; raise InvalidInput naming every bad field."""
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None
