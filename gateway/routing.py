"""`@route(...)`: every HTTP endpoint of the gateway, and the one place that
enforces who may call it.

    @route("GET", "/api/villages/<village_id>", roles=STAFF, scope="path:village_id",
           response=VillageOutput, summary="Un village", tag="villages")
    def get_village(self, call): ...

For every request it: gives it a request id (also the correlation id of everything it causes);
authenticates the caller when the route is not public; checks the role; checks the village scope
(a concierge acts on their own village only; the coordinator on all); parses and validates the
JSON body and the query string with the route's schemas; calls the handler with a `Call`;
returns its answer as JSON (services answer already serialised by the response schema the route
documents); and turns every error into JSON (gateway/errors.py). The routes are also what the
OpenAPI document is generated from.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import cache

from eventlet import wsgi
from marshmallow import Schema, fields
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from backbone import metrics
from backbone.schemas import load
from gateway import access_log, auth, json_body, paging
from gateway.access_log import QuerylessLogProtocol
from gateway.errors import HttpError, json_response, response_for
from gateway.web_security import add_security_headers

PUBLIC = ()
STAFF = ("coordinator", "concierge")
COORDINATOR = ("coordinator",)
PARTNER = ("partner",)


@dataclass
class RouteSpec:
    method: str
    path: str
    handler_name: str
    summary: str
    tag: str
    roles: tuple = PUBLIC
    scope: str | None = None  # "path:<param>" or "body:<field>": the village acted on
    body: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    description: str = ""
    local: bool = False  # answers without calling a service (no 503)
    errors: tuple = ()  # further error statuses worth documenting
    paged: bool = False  # ?page=&per_page=, cut by the service (gateway/paging.py)
    query: type[Schema] | None = None  # the query string's parameters (gateway/queries.py)


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """What a handler gets: the validated body, path values, the caller and what it may see."""

    request: Request
    params: dict
    body: dict | None
    principal: auth.Principal | None
    request_id: str
    sent: dict | None = None  # the body as sent, once it passed the schema: JSON-ready for an RPC
    window: dict | None = (
        None  # a paged route's window ({"limit", "offset"}), passed to the service
    )
    query: dict = field(default_factory=dict)  # the query string, loaded by the route's schema
    query_sent: dict = field(default_factory=dict)  # the same as sent: JSON-ready for an RPC

    @property
    def village_ids(self) -> list[str] | None:
        """Villages the caller may see: None means all (the coordinator)."""
        if self.principal is None or self.principal.role == "coordinator":
            return None
        return [self.principal.village_id] if self.principal.village_id else []


class JsonWsgiApp(WsgiApp):
    """Every request gets its id and its access line (gateway/access_log.py); every answer the
    id and the security headers; unknown routes and wrong methods answer in JSON like everything
    else. Every request is counted and timed here, API and console alike, under its route's
    template (backbone/metrics.py); a streamed answer (a CSV export) is timed until its first byte
    is ready."""

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = access_log.assign(environ)
        start_response = access_log.watch(environ, start_response)
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        route = metrics.UNMATCHED_ROUTE
        try:
            matched, values = adapter.match()
            provider = self.server.routes[matched]
            route = provider.url  # the template (bounded labels), never the path itself
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = response_for(exc, request_id, path=request.path, method=request.method)
        add_security_headers(response)
        response.headers["X-Request-Id"] = request_id
        metrics.observe_http(
            route, request.method, response.status_code, time.perf_counter() - started
        )
        return response(environ, start_response)


@cache
def compiled_url_map(routes: tuple[tuple[str, str], ...]) -> Map:
    """The werkzeug map of these (method, path) routes, each rule's endpoint its own pair.
    werkzeug compiles every rule into Python code as it is added (the gateway's ~280 take ~0.1 s of
    CPU): once per process, however many times a gateway starts in it (the tests start hundreds).
    Read-only once built, it is shared by every gateway of the process."""
    return Map(
        [Rule(path, methods=method.split(","), endpoint=(method, path)) for method, path in routes]
    )


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def make_url_map(self):
        """nameko's map of the registered entrypoints, its rules compiled once per process
        (`compiled_url_map`); `routes` finds the entrypoint of a matched rule."""
        self.routes = {(provider.method, provider.url): provider for provider in self._providers}
        return compiled_url_map(tuple(sorted(self.routes)))

    def get_wsgi_server(self, sock, wsgi_app, protocol=QuerylessLogProtocol, debug=False):
        # our access line replaces eventlet's (gateway/access_log.py); eventlet's error lines keep
        # the request line without its query string: it holds what people searched
        return wsgi.Server(
            sock,
            sock.getsockname(),
            wsgi_app,
            protocol=protocol,
            debug=debug,
            log=logging.getLogger("nameko.web.server"),
            log_output=False,
        )

    def context_data_from_headers(self, request):
        """The worker's context data: the request's id as the correlation id of everything it
        causes (RPC calls pass context data along) and the village of its path, for the logs."""
        data = {"correlation_id": access_log.request_id(request)}
        village_id = (getattr(request, "path_values", None) or {}).get("village_id")
        if village_id:
            data["village_id"] = village_id
        return data


class RouteEntrypoint(HttpRequestHandler):
    server = JsonWebServer()

    def response_from_exception(self, exc):  # only reached if the handler wrapper itself broke
        return response_for(exc, None)


class WorkerContext(DependencyProvider):
    """Gives the handler wrapper its worker context (to pass the correlation id along RPC calls)."""

    def get_dependency(self, worker_ctx):
        return worker_ctx


MAX_BODY_BYTES = 4 * 1024 * 1024  # a members CSV export of a whole village is far below this


def _parse_body(request, schema_cls):
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise HttpError(413, "body_too_large", limit=MAX_BODY_BYTES // (1024 * 1024))
    raw = request.get_data(cache=True)
    if getattr(schema_cls, "content_type", None) == "text/csv":  # a file as the body itself
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # a spreadsheet's CSV export on Windows
            text = raw.decode("cp1252", errors="replace")
        return {"text": text}, load(_schema(schema_cls), {"text": text})
    if not raw.strip():
        data = {}
    else:
        try:
            data = json_body.parse(
                raw
            )  # nested at most json_body.MAX_DEPTH levels (else 400 naming the field)
        except ValueError:
            raise HttpError(400, "invalid_json") from None
    if not isinstance(data, dict):
        raise HttpError(400, "invalid_json")
    return data, load(_schema(schema_cls), data)


def _parse_query(request, schema_cls) -> tuple[dict, dict]:
    """The parameters the route's query schema names, as sent (an empty value is absent; a list
    field takes every repeat of its name), and as loaded; a 400 naming the parameter when bad."""
    schema = _schema(schema_cls)
    sent = {}
    for name, schema_field in schema.load_fields.items():
        key = schema_field.data_key or name
        values = [value for value in request.args.getlist(key) if value != ""]
        if values:
            sent[key] = values if isinstance(schema_field, fields.List) else values[0]
    return sent, load(schema, sent)


@cache
def _schema(schema_cls) -> Schema:
    """One instance per body or query schema, made once (building one copies all its fields: a
    tenth of a request's time in the gateway). Loading keeps nothing on the instance, and a green
    thread cannot switch in the middle of a load (no I/O in it), so requests share it."""
    return schema_cls()


def _check_role(spec: RouteSpec, principal: auth.Principal):
    if principal.role not in spec.roles:
        raise HttpError(403, "role_forbidden", role=principal.role, allowed=", ".join(spec.roles))


def _check_village_scope(
    spec: RouteSpec, principal: auth.Principal, params: dict, body: dict | None
):
    if spec.scope and principal.role != "coordinator":
        where, name = spec.scope.split(":", 1)
        village_id = params.get(name) if where == "path" else (body or {}).get(name)
        if village_id is None or village_id != principal.village_id:
            raise HttpError(403, "village_forbidden")


def _handle(spec: RouteSpec, handler, service, request, **params):
    request_id = access_log.request_id(request)
    try:
        principal = None
        if spec.roles:
            principal = auth.authenticate(request, service.partners_rpc, service.members_rpc)
        if principal is not None:
            _check_role(spec, principal)
        path_scoped = (spec.scope or "").startswith("path:")
        if (
            principal is not None and path_scoped
        ):  # who may act here is told before what was wrong in the body
            _check_village_scope(spec, principal, params, None)
        sent, body = _parse_body(request, spec.body) if spec.body else (None, None)
        if principal is not None and not path_scoped:
            _check_village_scope(spec, principal, params, body)
        page, window = paging.window_for(request) if spec.paged else (None, None)
        query_sent, query = _parse_query(request, spec.query) if spec.query else ({}, {})
        result = handler(
            service,
            Call(request, params, body, principal, request_id, sent, window, query, query_sent),
        )
        if isinstance(result, Response):
            result.headers["X-Request-Id"] = request_id
            return result
        headers = {"X-Request-Id": request_id}
        if page is not None:
            result, links = paging.cut(request, page, result)
            headers.update(links)
        return json_response(result, spec.status, headers)
    except Exception as exc:  # noqa: BLE001  every error becomes JSON, in one place
        return response_for(exc, request_id, path=request.path)


def route(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    roles=PUBLIC,
    scope=None,
    body=None,
    response=None,
    many=False,
    status=200,
    description="",
    local=False,
    errors=(),
    paged=False,
    query=None,
):
    def decorate(handler):
        spec = RouteSpec(
            method,
            path,
            handler.__name__,
            summary,
            tag,
            tuple(roles),
            scope,
            body,
            response,
            many,
            status,
            description or (handler.__doc__ or "").strip(),
            local,
            tuple(errors),
            paged,
            query,
        )
        ROUTES.append(spec)

        def entry(self, request, **params):
            return _handle(spec, handler, self, request, **params)

        entry.__name__ = handler.__name__
        entry.__doc__ = handler.__doc__
        entry.__wrapped__ = handler  # its code, for tests/gateway/test_openapi.py
        return RouteEntrypoint.decorator(method, path)(entry)

    return decorate
