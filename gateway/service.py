"""The gateway: one nameko service made of the route modules in gateway/routes/. Who may call each
route is declared on it and enforced in gateway/routing.py; errors become JSON in gateway/errors.py."""
from backbone.rpc import ServiceRpc
from gateway.routes.accounts import AccountRoutes
from gateway.routes.animations import AnimationRoutes
from gateway.routes.members import MemberRoutes
from gateway.routes.network import NetworkRoutes
from gateway.routes.partners import PartnerRoutes
from gateway.routes.suggestions import SuggestionRoutes
from gateway.routes.villages import VillageRoutes
from gateway.routes.volunteers import VolunteerRoutes
from gateway.routing import WorkerContext


class GatewayService(NetworkRoutes, VillageRoutes, AccountRoutes, PartnerRoutes, MemberRoutes, VolunteerRoutes,
                     AnimationRoutes, SuggestionRoutes):
    name = "gateway"

    worker_ctx = WorkerContext()
    members_rpc = ServiceRpc("members")
    partners_rpc = ServiceRpc("partners")
    orders_rpc = ServiceRpc("orders")
    events_rpc = ServiceRpc("events")

    def _proxies(self):
        return {"members": self.members_rpc, "partners": self.partners_rpc,
                "orders": self.orders_rpc, "events": self.events_rpc}
