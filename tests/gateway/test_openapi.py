"""The OpenAPI document tells a partner every parameter a route reads, from the schema that checks
it: derived from the handlers' own code (what they read of the query string) and the route table,
and the document validates as OpenAPI 3."""

import ast
import inspect
import textwrap
from types import SimpleNamespace

import pytest
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import routing
from gateway.openapi import _PARAM, build_spec, docs_page
from gateway.queries import HelpRequestListQuery, SuggestionListQuery
from gateway.routing import ROUTES
from gateway.service import GatewayService

QUERY_READS = ("query", "query_sent")  # Call's loaded and as-sent query


def _handler(spec):
    return inspect.unwrap(getattr(GatewayService, spec.handler_name))


def _tree(spec) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(_handler(spec))))


def _documented_query(spec) -> set[str]:
    operation = build_spec()["paths"][_PARAM.sub(r"{\1}", spec.path)][spec.method.lower()]
    return {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}


def _names_read(tree: ast.AST) -> set[str]:
    """The parameters a handler reads by name: `call.query["x"]`, `call.query_sent.get("x")`."""
    names = set()
    for node in ast.walk(tree):
        target, key = None, None
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            target, key = node.func.value, node.args[0]
        if (
            isinstance(target, ast.Attribute)
            and target.attr in QUERY_READS
            and isinstance(key, ast.Constant)
        ):
            names.add(key.value)
    return names


def _reads_the_raw_query(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in ("args", "query_string")
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "request"
        for node in ast.walk(tree)
    )


def _hands_the_query_on(tree: ast.AST) -> bool:
    """The handler passes the whole query (`call.query_sent`) to a service."""
    return any(
        isinstance(node, ast.Attribute) and node.attr in QUERY_READS for node in ast.walk(tree)
    )


def test_the_route_table_is_read_from_the_handlers():
    # the derivation below only means something if it sees the handlers' code
    assert len(ROUTES) > 100
    assert sum(_hands_the_query_on(_tree(spec)) for spec in ROUTES) >= 20


@pytest.mark.parametrize("spec", ROUTES, ids=lambda s: f"{s.method} {s.path}")
def test_every_parameter_a_route_reads_is_in_the_document(spec):
    tree = _tree(spec)
    assert not _reads_the_raw_query(tree), (
        f"{spec.handler_name} reads request.args: declare `query=` on its @route"
    )
    documented = _documented_query(spec)
    read = _names_read(tree)
    assert read <= documented, f"{spec.handler_name} reads {read - documented} undocumented"
    if _hands_the_query_on(tree):
        assert spec.query is not None, spec.handler_name
    if spec.query is not None:
        fields = routing._schema(spec.query).load_fields.values()
        expected = {f.data_key or f.name for f in fields}
        assert expected and expected <= documented
    if spec.paged:
        assert {"page", "per_page"} <= documented


def test_the_document_is_valid_openapi_3():
    validate(build_spec())


def test_a_documented_parameter_says_its_type_and_choices():
    operation = build_spec()["paths"]["/api/villages/{village_id}/orders"]["get"]
    by_name = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert by_name["date"]["schema"]["format"] == "date"
    assert "placed" in by_name["status"]["schema"]["enum"]
    assert by_name["per_page"]["schema"]["maximum"] == 200


def _get(path: str, query: str):
    (spec,) = [s for s in ROUTES if s.path == path and s.method == "GET"]
    request = Request(EnvironBuilder(path=path, query_string=query).get_environ())
    service = SimpleNamespace(worker_ctx=SimpleNamespace(context_data={}))
    return routing._handle(spec, _handler(spec), service, request)


def test_a_bad_parameter_is_a_400_naming_it_before_the_handler_runs():
    refused = _get("/desabonnement", "jeton=" + "x" * 201)
    assert refused.status_code == 400
    assert "jeton" in refused.get_json()["error"]["fields"]
    page = _get("/desabonnement", "jeton=abc&other=ignored")
    assert page.status_code == 200 and "jeton=abc" in page.get_data(as_text=True)


def _query(schema, query: str) -> tuple[dict, dict]:
    return routing._parse_query(Request(EnvironBuilder(query_string=query).get_environ()), schema)


def test_an_empty_value_is_absent_and_the_first_of_repeated_ones_counts():
    assert _query(HelpRequestListQuery, "status=") == ({}, {"status": None})
    sent, loaded = _query(SuggestionListQuery, "status=new&status=done&category=mobilite")
    assert sent == {"status": "new", "category": "mobilite"} and loaded == sent


def test_the_readable_docs_page_lists_the_query_parameters():
    page = docs_page()
    assert "Paramètres de l'adresse" in page
    assert "<code>include_ended</code>" in page and "<code>upcoming</code>" in page
