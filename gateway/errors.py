"""Every error the gateway returns, as JSON, in one place: exception -> HTTP status and body.

Body: {"error": {"code", "message" (French), "message_en", "fields" (French), "fields_en",
"request_id"}}.
"""

from __future__ import annotations

import json
import logging

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.wrappers import Response

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


def error_body(code: str, request_id: str | None, *, fields=None, **values) -> dict:
    french, english = i18n.message(code, request_id=request_id, **values)
    body = {"code": code, "message": french, "message_en": english, "request_id": request_id}
    if fields is not None:
        body["fields"] = i18n.translate_field_errors(fields)
        body["fields_en"] = fields
    return {"error": body}


def response_for(
    exc: Exception, request_id: str | None, path: str = "", method: str = ""
) -> Response:
    if isinstance(exc, BROKER_ONLY_ERRORS):  # the broker went away under a call: a fault, not a bug
        exc = ServiceUnavailable("réseau", "broker")
    if isinstance(exc, HttpError):
        status, body = exc.status, error_body(exc.code, request_id, **exc.values)
    elif isinstance(exc, InvalidInput):
        status, body = 400, error_body("invalid_input", request_id, fields=exc.errors)
    elif isinstance(exc, NotFound):
        french, english = i18n.thing(exc.what)
        body = error_body("not_found", request_id, what=french)
        body["error"]["message_en"] = i18n.message("not_found", what=english)[1]
        status = 404
    elif isinstance(exc, Conflict):
        code = exc.reason if exc.reason in i18n.MESSAGES else "conflict"
        details = getattr(exc, "details", None)
        values = (
            {
                k: v
                for k, v in details.items()
                if k not in ("reason", "request_id", "fields", "code")
            }
            if isinstance(details, dict)
            else {}
        )
        status, body = 409, error_body(code, request_id, reason=exc.reason, **values)
        if (
            exc.field and code != "conflict"
        ):  # the same sentence, filled in, beside the field it is about
            body["error"]["fields"] = {exc.field: [body["error"]["message"]]}
            body["error"]["fields_en"] = {exc.field: [body["error"]["message_en"]]}
        if details:
            body["error"]["details"] = details
    elif isinstance(exc, AuthenticationFailed):
        code = exc.reason if exc.reason in i18n.MESSAGES else "bad_credentials"
        status, body = 401, error_body(code, request_id)
    elif isinstance(exc, TooManyAttempts):
        wait, wait_en = i18n.duration(exc.retry_after)
        status, body = 429, error_body("too_many_attempts", request_id, wait=wait, wait_en=wait_en)
        body["error"]["retry_after"] = exc.retry_after
    elif isinstance(exc, ServiceUnavailable):
        status, body = 503, error_body("service_unavailable", request_id, service=exc.service)
    elif isinstance(exc, MethodNotAllowed):
        status, body = 405, error_body("method_not_allowed", request_id, method=method)
    elif isinstance(exc, RouteNotFound):
        status, body = 404, error_body("route_not_found", request_id, path=path)
    elif isinstance(exc, HTTPException):
        status, body = exc.code or 500, error_body("internal_error", request_id)
    else:
        log.exception("unexpected error [request %s]", request_id, exc_info=exc)
        status, body = 500, error_body("internal_error", request_id)
    headers = {"X-Request-Id": request_id} if request_id else None
    if status == 503:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="maillage"'}
    if status == 429:
        headers = {**(headers or {}), "Retry-After": str(exc.retry_after)}
    return json_response(body, status, headers)
