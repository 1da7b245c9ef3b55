"""Paginated lists in the API: `?page=` (from 1) and `?per_page=` (1 to 200, 50 by default).

The body stays a JSON list (one page of it). When another page follows, the answer carries
`Link: <…?page=N+1&per_page=K>; rel="next"`; past the first page, also `rel="prev"` (RFC 8288,
relative links that keep the other query parameters). No `next`: this is the last page.
The service cuts the page in its query (backbone/paging.py): the gateway asks one row more than
the page to know whether a next page exists, and drops it.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from backbone.schemas import PageQuery, load

_PAGE = PageQuery()


def window_for(request) -> tuple[dict, dict]:
    """The page asked (`page`, `per_page`; a 400 naming the field when out of bounds) and the window
    to ask the service for."""
    page = load(_PAGE, {k: request.args[k] for k in ("page", "per_page") if k in request.args})
    return page, {"limit": page["per_page"] + 1, "offset": (page["page"] - 1) * page["per_page"]}


def cut(request, page: dict, rows: list) -> tuple[list, dict]:
    """The rows of the page and the headers that say whether others exist."""
    more = len(rows) > page["per_page"]
    links = []
    if more:
        links.append(f'<{_url(request, page["page"] + 1, page["per_page"])}>; rel="next"')
    if page["page"] > 1:
        links.append(f'<{_url(request, page["page"] - 1, page["per_page"])}>; rel="prev"')
    return rows[: page["per_page"]], ({"Link": ", ".join(links)} if links else {})


def _url(request, page: int, per_page: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    # percent-encoded: a header is Latin-1, and a path may hold any character (the link
    # must not break the answer)
    return f"{quote(request.path)}?{urlencode(args + [('page', page), ('per_page', per_page)])}"
