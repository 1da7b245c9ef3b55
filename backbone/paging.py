"""One page of a list, cut in the database (issue 21: every list paginated).

The gateway turns `?page=&per_page=` (backbone.schemas.PageQuery) into a window — `limit` rows from
`offset` — and asks one row more than the page holds to learn whether another page follows
(gateway/paging.py tells the client with a `Link` header). A service's list query takes the window
as it comes by RPC; without one (the consoles' calls) the list is whole, as before.

Rows are cut in a stable order: each query's ORDER BY ends with a unique column, so a row never
shows on two pages nor on none while nothing changes.
"""

from __future__ import annotations

from marshmallow import fields, validate

from backbone.schemas import MAX_PAGE, MAX_PER_PAGE, Schema, load


class WindowInput(Schema):
    limit = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_PER_PAGE + 1))
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=MAX_PAGE * MAX_PER_PAGE)
    )


def windowed(query, window: dict | None, *unique_order):
    """`query` (a SQLAlchemy select) ordered last by `unique_order` (the table's id) and, when a
    window is asked, cut to it in SQL."""
    query = query.order_by(*unique_order)
    if window is None:
        return query
    window = load(WindowInput(), window)
    return query.limit(window["limit"]).offset(window["offset"])
