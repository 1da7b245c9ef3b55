"""The gateway's access log: one line per request, without its query string.

A query string holds what people typed (`?q=Vergne`, a phone number searched at the counter): the
log keeps the method, path, status, size and time, never the terms (docs/rgpd.md). eventlet.wsgi
logs the request line as the client sent it, so the protocol hands it a line without the query.
A commune's read-only link carries its secret in the path (`/commune/<lien>`): the line keeps
`/commune/<lien>` instead, so that the log cannot open the commune's figures.
"""

import re

from nameko.web.server import HttpOnlyProtocol

# the link's secret (gateway/console/commune.py); /commune/rapport.pdf is not one
_COMMUNE_LINK = re.compile(r"^/commune/(?!rapport\.pdf$)[^/]+$")


def without_query(request_line: str) -> str:
    """`GET /a?q=x HTTP/1.1` -> `GET /a HTTP/1.1` (any fragment goes too)."""
    parts = request_line.split(" ")
    if len(parts) >= 2:
        parts[1] = parts[1].split("?", 1)[0].split("#", 1)[0]
        if _COMMUNE_LINK.match(parts[1]):
            parts[1] = "/commune/<lien>"
    return " ".join(parts)


class QuerylessLogProtocol(HttpOnlyProtocol):
    def parse_request(self):
        parsed = super().parse_request()
        # only what eventlet logs changes: the application still reads the full path (self.path)
        self.requestline = without_query(getattr(self, "requestline", "") or "")
        return parsed
