"""The orders service's tables, one module per area; importing this package registers them all
on `Base.metadata` (what Alembic compares against)."""

from services.orders.models.asked_items import AskedItem
from services.orders.models.base import Base
from services.orders.models.catalogue import CatalogueItem, CatalogueVersion
from services.orders.models.figures import (
    DailyParcelSender,
    DailyPartnerSales,
    DailySales,
    DailyVillage,
    MonthlyPartnerSales,
    MonthlySales,
    MonthlyVillage,
    RolledDay,
    RolledMonth,
    RunningSales,
)
from services.orders.models.help_requests import HelpRequest
from services.orders.models.known import (
    KnownGrappe,
    KnownMember,
    KnownVillage,
    KnownVillageStops,
    KnownVolunteer,
    VillageStatus,
    VolunteerBooking,
)
from services.orders.models.offline import OfflineAction
from services.orders.models.orders import Order, OrderLine
from services.orders.models.parcels import Parcel
from services.orders.models.rounds import Round, RoundPickup, RoundStop, Vehicle
from services.orders.models.supplier_orders import PurchaseOrder
from services.orders.models.till import (
    SolidarityEligibility,
    SolidarityPrice,
    StockItem,
    StockMovement,
    TillClosing,
    TillPayment,
    TillRefund,
    TillRefundLine,
    TillSale,
    TillSaleLine,
)
