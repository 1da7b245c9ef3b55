"""Shapes crossing the orders service's boundary, one module per area."""

from services.orders.schemas.catalogue import CatalogueItemOutput
from services.orders.schemas.help_requests import HelpRequestInput, HelpRequestOutput
from services.orders.schemas.known import KnownVillageOutput
from services.orders.schemas.orders import CounterTodayOutput, OrderInput, OrderOutput
from services.orders.schemas.parcels import ParcelInput, ParcelOutput
from services.orders.schemas.rounds import RoundInput, RoundOutput, VehicleInput, VehicleOutput
from services.orders.schemas.supplier_orders import PurchaseOrderOutput
