"""The orders service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.orders.models.base import Base, new_id  # noqa: F401
from services.orders.models.known import KnownVillage, KnownMember, VillageStatus, KnownVolunteer  # noqa: F401
from services.orders.models.catalogue import CatalogueItem, CatalogueVersion  # noqa: F401
from services.orders.models.supplier_orders import PurchaseOrder  # noqa: F401
from services.orders.models.orders import Order, OrderLine  # noqa: F401
from services.orders.models.parcels import Parcel  # noqa: F401
from services.orders.models.help_requests import HelpRequest  # noqa: F401
from services.orders.models.rounds import Round, RoundStop, Vehicle  # noqa: F401
from services.orders.models.figures import (  # noqa: F401
    DailyParcelSender,
    DailyPartnerSales,
    DailySales,
    DailyVillage,
    MonthlyPartnerSales,
    MonthlySales,
    MonthlyVillage,
    RolledDay,
    RolledMonth,
)
