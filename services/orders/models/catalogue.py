"""The orders service's read model of each village's catalogue (from `catalogue.changed`): what an
order is checked against, without ever calling the partners service."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.tables import UtcDateTime
from services.orders.models.base import Base


class CatalogueVersion(Base):
    """Which `catalogue.changed` a village's items come from: the newest by `occurred_at` wins."""

    __tablename__ = "catalogue_versions"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CatalogueItem(Base):
    """One entry of a village's catalogue, as the last `catalogue.changed` described it."""

    __tablename__ = "catalogue_items"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    offer_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    shared_supplier: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(40))
    price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    cutoff_time: Mapped[str] = mapped_column(String(5))
    days: Mapped[list] = mapped_column(JSON)
    perishable: Mapped[bool] = mapped_column(Boolean)
    available: Mapped[bool] = mapped_column(Boolean)
