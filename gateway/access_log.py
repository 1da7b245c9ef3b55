"""Each request's id and its one access-log line.

**Request id.** A client's `X-Request-Id` is kept when it is short and plain (at most 128 letters,
digits and `.-_:`); anything else, or none, gets a new UUID. `assign` puts it in the WSGI environ
once, before any handler runs; every response carries it back (`X-Request-Id`), the worker's
context data carries it as the correlation id of the RPC calls it makes (nameko passes context
data along), and so into the events those calls write (backbone/unit_of_work.py): a log line of a
service consuming such an event shows the id the gateway received (backbone/logs.py).

**Access line.** One INFO line per request once its answer is written: method, path, status,
size when known, duration, request id. An expected refusal (400, 403, 404, 409…) is that line and
nothing more. The line never holds the query string: it holds what people typed (`?q=Vergne`, a
phone number searched at the counter), and the log keeps the terms out (docs/rgpd.md). A commune's
read-only link carries its secret in the path (`/commune/<lien>`): the line has `/commune/<lien>`
instead, so that the log cannot open the commune's figures. eventlet's own access line (the raw
request line) is off.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from nameko.web.server import HttpOnlyProtocol

log = logging.getLogger("maillage.gateway.access")

ENVIRON_KEY = "maillage.request_id"
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# the link's secret (gateway/console/commune.py); /commune/rapport.pdf is not one
_COMMUNE_LINK = re.compile(r"^/commune/(?!rapport\.pdf$)[^/]+$")


def valid_request_id(value: str | None) -> str:
    """The client's id when it is short and plain, else a new one."""
    return value if value and REQUEST_ID.fullmatch(value) else str(uuid.uuid4())


def assign(environ) -> str:
    """The request's id, chosen once and kept in its environ."""
    request_id = environ.get(ENVIRON_KEY)
    if request_id is None:
        request_id = environ[ENVIRON_KEY] = valid_request_id(environ.get("HTTP_X_REQUEST_ID"))
    return request_id


def request_id(request) -> str:
    """The id of a werkzeug `request` (what `assign` chose)."""
    return assign(request.environ)


def logged_path(path: str) -> str:
    """The path as the log keeps it: no query nor fragment, no commune link secret."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return "/commune/<lien>" if _COMMUNE_LINK.match(path) else path


def without_query(request_line: str) -> str:
    """`GET /a?q=x HTTP/1.1` -> `GET /a HTTP/1.1` (any fragment goes too)."""
    parts = request_line.split(" ")
    if len(parts) >= 2:
        parts[1] = logged_path(parts[1])
    return " ".join(parts)


def watch(environ, start_response):
    """A `start_response` that notes the status and size, and the hook that writes the access
    line once eventlet has sent the answer (`eventlet.posthooks`)."""
    started = time.perf_counter()
    seen: dict = {}

    def noting(status, headers, exc_info=None):
        seen["status"] = int(status.split(" ", 1)[0])
        for name, value in headers:
            if name.lower() == "content-length" and value.isdigit():
                seen["bytes"] = int(value)
        return (
            start_response(status, headers, exc_info)
            if exc_info
            else start_response(status, headers)
        )

    def written(environ_):
        status = seen.get("status", 0)
        path = logged_path(environ_.get("PATH_INFO", ""))
        method = environ_.get("REQUEST_METHOD", "")
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        log.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s %sms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "correlation_id": environ_.get(ENVIRON_KEY),
                "method": method,
                "path": path,
                "status": status,
                "bytes": seen.get("bytes"),
                "duration_ms": duration_ms,
            },
        )

    environ.setdefault("eventlet.posthooks", []).append((written, (), {}))
    return noting


class QuerylessLogProtocol(HttpOnlyProtocol):
    def parse_request(self):
        parsed = super().parse_request()
        # only what eventlet logs of its own (errors) changes: the application still reads the
        # full path (self.path)
        self.requestline = without_query(getattr(self, "requestline", "") or "")
        return parsed
