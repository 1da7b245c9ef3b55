"""Vehicles and pooled delivery rounds (tournées mutualisées): one round per vehicle and date,
its stops in order along the way."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class Vehicle(Base):
    """A vehicle of the network, kept at a depot village, driven by a volunteer (a member holding a
    licence) or a logistics partner."""

    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    depot_village_id: Mapped[str] = mapped_column(String(36), index=True)
    capacity: Mapped[int] = mapped_column(Integer)  # crates / parcels
    kind: Mapped[str] = mapped_column(String(20), default="van", server_default="van")
    driver_member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    driver_partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("vehicle_id", "on_date", name="uq_rounds_vehicle_date"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vehicle_id: Mapped[str] = mapped_column(String(36), ForeignKey("vehicles.id"))
    on_date: Mapped[date] = mapped_column(Date, index=True)
    depot_village_id: Mapped[str] = mapped_column(String(36), index=True)
    village_ids: Mapped[list] = mapped_column(JSON)
    driver_member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    driver_partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    load: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))  # planned | completed
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    stops: Mapped[list["RoundStop"]] = relationship(
        order_by="RoundStop.sequence", cascade="all, delete-orphan", lazy="selectin"
    )


class RoundStop(Base):
    __tablename__ = "round_stops"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # home_delivery | truck_stop | supplier_pickup
    village_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # an order or a pick-up is on one round at most (two planners at once:
    # the second one is refused)
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)
    purchase_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    supplier_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    items_count: Mapped[int] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | done | missed
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # or missed at
    # how it went: nobody home, a closed road
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
