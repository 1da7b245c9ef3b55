"""The rules every route must follow, checked over the route table itself."""

import re

from gateway import service  # noqa: F401  (registers the routes)
from gateway.routing import ROUTES

PUBLIC_PATHS = {
    "/",
    "/health",
    "/api/openapi.json",
    "/api/docs",
    "/api/auth/login",
    # a new password with the one-time code a coordinator gave (services/members/accounts.py)
    "/api/auth/password-reset",
    # a village's animations as iCalendar, for anyone's agenda: titles, places, times only
    "/api/villages/<village_id>/calendar.ics",
    # the same for the whole network (with village names)
    "/api/calendar.ics",
    # the opt-out link of the notices' e-mails: a page, and its button (a signed token)
    "/desabonnement",
    # the probes and figures of operations (an orchestrator, Prometheus on the compose network;
    # deploy/Caddyfile keeps /metrics from the internet): no personal data, only route templates
    "/livez",
    "/readyz",
    "/metrics",
}


def test_only_the_known_public_routes_are_public():
    public = {r.path for r in ROUTES if not r.roles}
    assert public == PUBLIC_PATHS


def test_every_route_naming_a_village_declares_its_scope():
    for route in ROUTES:
        if re.search(r"<(?:\w+:)?village_id>", route.path) and set(route.roles) & {"concierge"}:
            assert route.scope == "path:village_id", route.path


def test_every_route_documents_itself():
    for route in ROUTES:
        assert route.summary and route.tag, route.path
        if route.method in ("POST", "PUT", "PATCH"):
            assert route.body is not None, f"{route.method} {route.path} must validate its body"
