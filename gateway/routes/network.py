"""Routes about the network itself: pages, health, API documentation, sign-in, operations."""

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from werkzeug.wrappers import Response

from backbone import config
from gateway import auth
from gateway.errors import json_response
from gateway.health import CHECK_DEADLINE, gateway_readiness, network_health
from gateway.openapi import build_spec, docs_page, home_page
from gateway.routes.accounts import token_answer
from gateway.routing import COORDINATOR, PARTNER, STAFF, route
from gateway.schemas import LoginInput, PrincipalOutput, ReadModelsOutput, TokenOutput


class NetworkRoutes:
    @route("GET", "/", summary="Page d'accueil", tag="documentation", local=True)
    def home(self, call):
        return Response(home_page(), mimetype="text/html")

    @route(
        "GET",
        "/health",
        summary="État du réseau : courtier, services, bases de données",
        tag="operations",
    )
    def health(self, call):
        """Within a second: 503 when orders cannot be taken (broker, orders or its database down),
        200 "degraded" when something else lags, 200 "ok" otherwise (gateway/health.py)."""
        proxies = {
            name: proxy.with_timeout(CHECK_DEADLINE) for name, proxy in self._proxies().items()
        }
        status, body = network_health(config.kombu_amqp_uri(), proxies)
        return json_response(body, status)

    @route(
        "GET",
        "/livez",
        summary="Le processus de la passerelle tourne (sonde de vie)",
        tag="operations",
        local=True,
    )
    def livez(self, call):
        """200 as long as the gateway answers HTTP: an orchestrator restarts it otherwise."""
        return json_response({"status": "alive"})

    @route(
        "GET",
        "/readyz",
        summary="La passerelle peut servir : clé de session, courtier (sonde de disponibilité)",
        tag="operations",
        local=True,
        errors=(503,),
    )
    def readyz(self, call):
        """200 when the gateway itself can serve (its session secret, its broker connection), 503
        with the reason otherwise; a service that is down does not make it unready (see /health
        for the whole network)."""
        status, body = gateway_readiness(self.worker_ctx.container)
        return json_response(body, status)

    @route(
        "GET",
        "/metrics",
        summary="Les mesures de la passerelle, au format de Prometheus",
        tag="operations",
        local=True,
    )
    def metrics(self, call):
        """HTTP requests by route template, status and time (backbone/metrics.py)."""
        return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

    @route(
        "GET",
        "/api/openapi.json",
        summary="Le document OpenAPI 3 de cette API",
        tag="documentation",
        local=True,
    )
    def openapi(self, call):
        return json_response(build_spec())

    @route(
        "GET",
        "/api/docs",
        summary="La documentation lisible de cette API",
        tag="documentation",
        local=True,
    )
    def docs(self, call):
        return Response(docs_page(), mimetype="text/html")

    @route(
        "POST",
        "/api/auth/login",
        summary="Se connecter (personnel)",
        tag="authentification",
        body=LoginInput,
        response=TokenOutput,
        errors=(401, 429),
    )
    def login(self, call):
        """Checks the password (argon2, members service) and returns a signed token that expires."""
        account = self.members_rpc.authenticate(
            {**call.sent, "client_address": auth.client_address(call.request)}
        )
        return token_answer(account)

    @route(
        "GET",
        "/api/me",
        summary="Qui suis-je ?",
        tag="authentification",
        roles=STAFF + PARTNER,
        response=PrincipalOutput,
    )
    def me(self, call):
        return call.principal.as_dict()

    @route(
        "GET",
        "/api/ops/read-models",
        summary="Villages connus de chaque service (propagation des événements)",
        tag="operations",
        roles=COORDINATOR,
        response=ReadModelsOutput,
        many=True,
    )
    def read_models(self, call):
        """Each service's read model of villages, as built from `village.opened` events."""
        members = [v["id"] for v in self.members_rpc.list_villages(None)]
        known = [{"service": "members", "village_ids": members}]
        for name in ("partners", "orders", "events"):
            known.append(
                {
                    "service": name,
                    "village_ids": [v["id"] for v in self._proxies()[name].known_villages()],
                }
            )
        return known
