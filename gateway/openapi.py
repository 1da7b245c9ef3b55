"""The OpenAPI 3 document, generated from the routes (gateway/routing.py) and their marshmallow
schemas with apispec, and the readable docs page rendered from it."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backbone.schemas import PageQuery
from gateway.routing import ROUTES, RouteSpec
from gateway.schemas import ErrorOutput

_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

ERROR_STATUSES = {
    400: "Données invalides (champs nommés)",
    401: "Non authentifié",
    403: "Rôle ou village non autorisé",
    404: "Introuvable",
    409: "Conflit",
    429: "Trop de tentatives : réessayer après le délai de l'en-tête Retry-After",
    503: "Un service ne répond pas",
}


def _operation(spec: RouteSpec) -> dict:
    operation = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "operationId": spec.handler_name,
        "responses": {},
    }
    if spec.description:
        operation["description"] = spec.description
    if spec.roles:
        operation["security"] = (
            [{"bearerAuth": []}] if "partner" not in spec.roles else [{"apiKey": []}]
        )
        operation["x-roles"] = list(spec.roles)
        if spec.scope:
            operation["x-village-scope"] = spec.scope
    params = _PARAM.findall(spec.path)
    if params:
        operation["parameters"] = [
            {"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
            for p in params
        ]
    for query in (PageQuery if spec.paged else None, spec.query):
        if query is not None:  # the marshmallow plugin makes one parameter of each field
            operation.setdefault("parameters", []).append({"in": "query", "schema": query})
    if spec.paged:  # gateway/paging.py: the next page is in the Link header
        operation["x-paged"] = True
    if spec.body is not None:
        if getattr(spec.body, "content_type", None) == "text/csv":
            content = {"text/csv": {"schema": {"type": "string"}}}
        else:
            content = {"application/json": {"schema": spec.body}}
        operation["requestBody"] = {"required": True, "content": content}
    ok = {"description": "OK"}
    if spec.response is not None:
        schema = {"type": "array", "items": spec.response} if spec.many else spec.response
        ok["content"] = {"application/json": {"schema": schema}}
    if spec.paged:
        ok["headers"] = {
            "Link": {
                "description": 'rel="next" when another page follows, rel="prev" past the first',
                "schema": {"type": "string"},
            }
        }
    operation["responses"][str(spec.status)] = ok
    statuses = set(spec.errors)
    if spec.body or spec.paged or spec.query:  # a bad body or parameter: 400 naming the field
        statuses.add(400)
    if spec.roles:
        statuses |= {401, 403}
    if not spec.local:
        statuses.add(503)
    for status in sorted(statuses):
        operation["responses"][str(status)] = {
            "description": ERROR_STATUSES[status],
            "content": {"application/json": {"schema": "ErrorOutput"}},
        }
    return operation


@lru_cache(maxsize=1)
def build_spec() -> dict:
    spec = APISpec(
        title="Maillage",
        version="0.1.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "API du réseau des conciergeries de territoire. Erreurs en JSON : "
            "`error.message` (français), `error.message_en`, `error.fields`."
        },
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "apiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    )
    spec.components.schema("ErrorOutput", schema=ErrorOutput)
    paths: dict[str, dict] = {}
    for route_spec in ROUTES:
        paths.setdefault(_PARAM.sub(r"{\1}", route_spec.path), {})[route_spec.method.lower()] = (
            _operation(route_spec)
        )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def docs_page() -> str:
    return _templates.get_template("docs.html").render(spec=build_spec())


def home_page() -> str:
    return _templates.get_template("home.html").render()
