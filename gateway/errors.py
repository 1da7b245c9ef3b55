"""Every error the gateway answers, in one place: the error table (exception -> HTTP status,
message code, headers), used by the API (JSON, `response_for`) and by the console (French pages,
gateway/console/framework.py). The messages themselves are gateway/i18n.py's.

API body: {"error": {"code", "message" (French), "message_en", "fields" (French), "fields_en",
"request_id"}}.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from backbone import messages
from backbone.broker import BROKER_ONLY_ERRORS, RETRY_AFTER_SECONDS
from backbone.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    TooManyAttempts,
)
from gateway import i18n

log = logging.getLogger("maillage.gateway")


class HttpError(Exception):
    """An error decided by the gateway itself (authentication, roles, scope, bad JSON)."""

    def __init__(self, status: int, code: str, **values):
        super().__init__(code)
        self.status, self.code, self.values = status, code, values


def json_response(payload, status=200, headers=None) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def error_body(code: str, request_id: str | None, *, fields=None, fields_fr=None, **values) -> dict:
    """`fields` and `fields_fr`: the English and French trees of field messages, as `InvalidInput`
    carries them (`errors`, `errors_fr`); without `fields_fr`, the French of `fields`' codes."""
    french, english = i18n.message(code, request_id=request_id, **values)
    body = {"code": code, "message": french, "message_en": english, "request_id": request_id}
    if fields is not None:
        body["fields"] = fields_fr if fields_fr is not None else messages.french(fields)
        body["fields_en"] = fields
    return {"error": body}


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table. `code`: the message of the answer (gateway/i18n.py); with
    `reason_is_code`, the exception's own `reason` when it names a message. `page`: the status
    and title of the console's page for it; None when no page shows it (the console signs in
    again after AuthenticationFailed; anything else is an internal error there)."""

    status: int
    code: str
    page: tuple[int, str] | None = None
    reason_is_code: bool = False

    def code_for(self, exc: Exception) -> str:
        reason = getattr(exc, "reason", None)
        return reason if self.reason_is_code and reason in i18n.MESSAGES else self.code


REFUSED = (400, "Demande refusée")  # the console shows a refused form again, whatever the reason

ERRORS: dict[type[Exception], ErrorKind] = {
    InvalidInput: ErrorKind(400, "invalid_input", REFUSED),
    NotFound: ErrorKind(404, "not_found", (404, "Introuvable")),
    Conflict: ErrorKind(409, "conflict", REFUSED, reason_is_code=True),
    AuthenticationFailed: ErrorKind(401, "bad_credentials", reason_is_code=True),
    TooManyAttempts: ErrorKind(429, "too_many_attempts"),
    ServiceUnavailable: ErrorKind(503, "service_unavailable", (503, "Service indisponible")),
    MethodNotAllowed: ErrorKind(405, "method_not_allowed"),
    RouteNotFound: ErrorKind(404, "route_not_found"),
}
INTERNAL_ERROR = ErrorKind(500, "internal_error", (500, "Erreur interne"))


def classify(exc: Exception) -> tuple[Exception, ErrorKind]:
    """The error as answered (the broker going away under a call is the network being
    unavailable: a fault, not a bug) and its row of the table."""
    if isinstance(exc, BROKER_ONLY_ERRORS):
        exc = ServiceUnavailable("réseau", "broker")
    for cls in type(exc).__mro__:
        if cls in ERRORS:
            return exc, ERRORS[cls]
    if isinstance(exc, HttpError):
        return exc, ErrorKind(exc.status, exc.code)
    if isinstance(exc, HTTPException):
        return exc, ErrorKind(exc.code or 500, INTERNAL_ERROR.code)
    return exc, INTERNAL_ERROR


def error_headers(status: int, exc: Exception | None = None) -> dict[str, str]:
    """The headers an error answer of `status` carries, whatever made it (an exception or a
    page): when to try again, how to sign in."""
    if status == 503:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if status == 429:
        return {"Retry-After": str(getattr(exc, "retry_after", RETRY_AFTER_SECONDS))}
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="maillage"'}
    return {}


def conflict_values(exc: Conflict) -> dict:
    """What a Conflict's message is filled in with: its details, but for the body's own keys."""
    details = getattr(exc, "details", None)
    if not isinstance(details, dict):
        return {}
    return {k: v for k, v in details.items() if k not in ("reason", "request_id", "fields", "code")}


def response_for(
    exc: Exception, request_id: str | None, path: str = "", method: str = ""
) -> Response:
    if isinstance(exc, RequestRedirect):  # a doubled slash in the path: where the page is
        response = exc.get_response()
        if request_id:
            response.headers["X-Request-Id"] = request_id
        return response
    exc, kind = classify(exc)
    code = kind.code_for(exc)
    if isinstance(exc, HttpError):
        body = error_body(code, request_id, **exc.values)
    elif isinstance(exc, InvalidInput):
        body = error_body(code, request_id, fields=exc.errors, fields_fr=exc.errors_fr)
    elif isinstance(exc, NotFound):
        french, english = i18n.thing(exc.what)
        body = error_body(code, request_id, what=french)
        body["error"]["message_en"] = i18n.message(code, what=english)[1]
    elif isinstance(exc, Conflict):
        body = error_body(code, request_id, reason=exc.reason, **conflict_values(exc))
        if exc.field and code != kind.code:  # the same sentence, filled in, beside its field
            body["error"]["fields"] = {exc.field: [body["error"]["message"]]}
            body["error"]["fields_en"] = {exc.field: [body["error"]["message_en"]]}
        if getattr(exc, "details", None):
            body["error"]["details"] = exc.details
    elif isinstance(exc, TooManyAttempts):
        wait, wait_en = i18n.duration(exc.retry_after)
        body = error_body(code, request_id, wait=wait, wait_en=wait_en)
        body["error"]["retry_after"] = exc.retry_after
    elif isinstance(exc, ServiceUnavailable):
        body = error_body(code, request_id, service=exc.service)
    elif isinstance(exc, MethodNotAllowed):
        body = error_body(code, request_id, method=method)
    elif isinstance(exc, RouteNotFound):
        body = error_body(code, request_id, path=path)
    else:
        if kind is INTERNAL_ERROR:
            log.exception("unexpected error [request %s]", request_id, exc_info=exc)
        body = error_body(code, request_id)
    headers = {"X-Request-Id": request_id} if request_id else {}
    headers.update(error_headers(kind.status, exc))
    return json_response(body, kind.status, headers or None)
