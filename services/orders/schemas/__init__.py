"""Shapes crossing the orders service's boundary, one module per area."""

from services.orders.schemas.known import KnownVillageOutput, KnownMemberOutput  # noqa: F401
from services.orders.schemas.catalogue import CatalogueItemOutput  # noqa: F401
from services.orders.schemas.orders import OrderInput, OrderOutput, CounterTodayOutput  # noqa: F401
from services.orders.schemas.parcels import ParcelInput, ParcelOutput  # noqa: F401
from services.orders.schemas.supplier_orders import PurchaseOrderOutput  # noqa: F401
from services.orders.schemas.help_requests import HelpRequestInput, HelpRequestOutput  # noqa: F401
from services.orders.schemas.rounds import RoundInput, RoundOutput, VehicleInput, VehicleOutput  # noqa: F401
