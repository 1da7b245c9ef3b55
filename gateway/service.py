"""The gateway: one nameko service made of the route modules in gateway/routes/. Who may call each
route is declared on it and enforced in gateway/routing.py; errors become
JSON in gateway/errors.py."""

from backbone.log_context import LogContext
from backbone.rpc import ServiceRpc
from gateway.console.pages import ConsolePages
from gateway.routes.accounts import AccountRoutes
from gateway.routes.animations import AnimationRoutes
from gateway.routes.catalogues import CatalogueRoutes
from gateway.routes.funding import FundingRoutes
from gateway.routes.help_requests import HelpRequestRoutes
from gateway.routes.members import MemberRoutes
from gateway.routes.money import MoneyRoutes
from gateway.routes.network import NetworkRoutes
from gateway.routes.notices import NoticeRoutes
from gateway.routes.orders import OrderRoutes
from gateway.routes.parcels import ParcelRoutes
from gateway.routes.partners import PartnerRoutes
from gateway.routes.rounds import RoundRoutes
from gateway.routes.subscriptions import SubscriptionRoutes
from gateway.routes.suggestions import SuggestionRoutes
from gateway.routes.supplier_orders import SupplierOrderRoutes
from gateway.routes.villages import VillageRoutes
from gateway.routes.volunteers import VolunteerRoutes
from gateway.routing import WorkerContext


class GatewayService(
    NetworkRoutes,
    VillageRoutes,
    AccountRoutes,
    PartnerRoutes,
    MemberRoutes,
    VolunteerRoutes,
    AnimationRoutes,
    SuggestionRoutes,
    OrderRoutes,
    ParcelRoutes,
    SupplierOrderRoutes,
    NoticeRoutes,
    CatalogueRoutes,
    FundingRoutes,
    MoneyRoutes,
    SubscriptionRoutes,
    HelpRequestRoutes,
    RoundRoutes,
    ConsolePages,
):
    name = "gateway"

    worker_ctx = WorkerContext()
    log_context = LogContext()
    members_rpc = ServiceRpc("members")
    partners_rpc = ServiceRpc("partners")
    orders_rpc = ServiceRpc("orders")
    events_rpc = ServiceRpc("events")

    def _proxies(self):
        return {
            "members": self.members_rpc,
            "partners": self.partners_rpc,
            "orders": self.orders_rpc,
            "events": self.events_rpc,
        }
