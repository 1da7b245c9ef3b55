"""Shapes crossing the orders service's boundary, one module per area."""
from services.orders.schemas.known import KnownVillageOutput, KnownMemberOutput  # noqa: F401
