"""Offers (what a partner sells, and in which villages) and each village's catalogue (the offers a
village sells, at its local price, available or not)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.partners.models.base import Base


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))  # product or service
    unit: Mapped[str] = mapped_column(String(20))
    price_cents: Mapped[int] = mapped_column(Integer)  # reference price, VAT included
    vat_rate: Mapped[int] = mapped_column(Integer)  # per mille
    lead_time_days: Mapped[int] = mapped_column(Integer)
    cutoff_time: Mapped[str] = mapped_column(String(5))  # HH:MM, Europe/Paris
    days: Mapped[list] = mapped_column(JSON)  # ["tuesday", "friday"]
    perishable: Mapped[bool] = mapped_column(Boolean)
    available: Mapped[bool] = mapped_column(Boolean)  # the partner's own stock
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OfferVillage(Base):
    """A village where an offer is available (among the villages its partner serves)."""

    __tablename__ = "offer_villages"

    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class CatalogueEntry(Base):
    """An offer sold in a village: its id is the `item_id` an order line names."""

    __tablename__ = "catalogue_entries"
    __table_args__ = (UniqueConstraint("village_id", "offer_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id"), index=True)
    price_cents: Mapped[int] = mapped_column(Integer)  # local price, VAT included
    available: Mapped[bool] = mapped_column(Boolean)  # in stock here
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
