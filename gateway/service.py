"""The gateway's HTTP routes (entrypoints only). Who may call each route is declared on it and
enforced in gateway/routing.py; errors become JSON in gateway/errors.py."""
from werkzeug.wrappers import Response

from backbone import config
from backbone.rpc import ServiceRpc
from gateway import auth
from gateway.errors import json_response
from gateway.health import CHECK_TIMEOUT, network_health
from gateway.openapi import build_spec, docs_page, home_page
from gateway.routing import COORDINATOR, PARTNER, PUBLIC, STAFF, WorkerContext, route
from gateway.schemas import LoginInput, PartnerCreatedOutput, PrincipalOutput, ReadModelsOutput, TokenOutput
from services.members.schemas import StaffAccountInput, StaffAccountOutput, VillageInput, VillageOutput
from services.partners.schemas import PartnerInput, PartnerOutput

HTML = "text/html; charset=utf-8"


class GatewayService:
    name = "gateway"

    worker_ctx = WorkerContext()
    members_rpc = ServiceRpc("members")
    partners_rpc = ServiceRpc("partners")
    orders_rpc = ServiceRpc("orders")
    events_rpc = ServiceRpc("events")

    def _proxies(self):
        return {"members": self.members_rpc, "partners": self.partners_rpc,
                "orders": self.orders_rpc, "events": self.events_rpc}

    # --- public ----------------------------------------------------------------------------

    @route("GET", "/", summary="Page d'accueil", tag="documentation", local=True)
    def home(self, call):
        return Response(home_page(), mimetype="text/html")

    @route("GET", "/health", summary="État du réseau : courtier, services, bases de données", tag="operations")
    def health(self, call):
        """200 when the broker, every service and every database answer; 503 naming what is down."""
        proxies = {name: proxy.with_timeout(CHECK_TIMEOUT) for name, proxy in self._proxies().items()}
        status, body = network_health(config.amqp_uri(), proxies)
        return json_response(body, status)

    @route("GET", "/api/openapi.json", summary="Le document OpenAPI 3 de cette API", tag="documentation",
           local=True)
    def openapi(self, call):
        return json_response(build_spec())

    @route("GET", "/api/docs", summary="La documentation lisible de cette API", tag="documentation", local=True)
    def docs(self, call):
        return Response(docs_page(), mimetype="text/html")

    @route("POST", "/api/auth/login", summary="Se connecter (personnel)", tag="authentification",
           body=LoginInput, response=TokenOutput, errors=(401,))
    def login(self, call):
        """Checks the password (argon2, members service) and returns a signed token that expires."""
        account = self.members_rpc.authenticate(call.body)
        return {"token": auth.issue_token(account), "expires_in": auth.token_ttl(), "account": account}

    # --- anyone signed in ------------------------------------------------------------------

    @route("GET", "/api/me", summary="Qui suis-je ?", tag="authentification",
           roles=STAFF + PARTNER, response=PrincipalOutput)
    def me(self, call):
        return call.principal.as_dict()

    # --- villages --------------------------------------------------------------------------

    @route("GET", "/api/villages", summary="Les villages visibles (tous pour la coordination, le sien pour un·e concierge)",
           tag="villages", roles=STAFF, response=VillageOutput, many=True)
    def list_villages(self, call):
        return self.members_rpc.list_villages(call.village_ids)

    @route("POST", "/api/villages", summary="Ouvrir un village dans le réseau", tag="villages",
           roles=COORDINATOR, body=VillageInput, response=VillageOutput, status=201,
           errors=(409,))
    def open_village(self, call):
        """Creates the village (members service) and announces it as `village.opened`."""
        return self.members_rpc.open_village(call.body)

    @route("GET", "/api/villages/<village_id>", summary="Un village", tag="villages",
           roles=STAFF, scope="path:village_id", response=VillageOutput, errors=(404,))
    def get_village(self, call):
        return self.members_rpc.get_village(call.params["village_id"])

    # --- staff and partners ----------------------------------------------------------------

    @route("POST", "/api/staff", summary="Créer un compte (concierge d'un village, ou coordination)",
           tag="comptes", roles=COORDINATOR, body=StaffAccountInput, response=StaffAccountOutput, status=201,
           errors=(404, 409))
    def create_staff_account(self, call):
        return self.members_rpc.create_staff_account(call.body)

    @route("POST", "/api/partners", summary="Enregistrer un partenaire (sa clé d'API est montrée une fois)",
           tag="partenaires", roles=COORDINATOR, body=PartnerInput, response=PartnerCreatedOutput, status=201)
    def register_partner(self, call):
        return self.partners_rpc.register_partner(call.body)

    @route("GET", "/api/partner/me", summary="Le partenaire appelant (par clé d'API)", tag="partenaires",
           roles=PARTNER, response=PartnerOutput)
    def partner_me(self, call):
        return self.partners_rpc.get_partner(call.principal.id)

    # --- operations ------------------------------------------------------------------------

    @route("GET", "/api/ops/read-models", summary="Villages connus de chaque service (propagation des événements)",
           tag="operations", roles=COORDINATOR, response=ReadModelsOutput, many=True)
    def read_models(self, call):
        """Each service's read model of villages, as built from `village.opened` events."""
        members = [v["id"] for v in self.members_rpc.list_villages(None)]
        known = [{"service": "members", "village_ids": members}]
        for name in ("partners", "orders", "events"):
            known.append({"service": name,
                          "village_ids": [v["id"] for v in self._proxies()[name].known_villages()]})
        return known
