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
    # over the vehicle's capacity the round makes several trips from the depot (round_building.py)
    trips: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
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
    # home_delivery | truck_stop | supplier_pickup | hub_drop (a village's share of a pooled order)
    kind: Mapped[str] = mapped_column(String(20))
    trip: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    village_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # an order is on one round at most (two planners at once: the second one is refused); a pooled
    # order's stops (its pick-up, maybe in parts, and its drop-offs) are held by RoundPickup
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)
    purchase_order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    member_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    supplier_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    items_count: Mapped[int] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # where the position comes from: "address" (the member's home), "village" (its centre,
    # the member's position unknown), None (none known)
    located: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # a truck stop: the place of its village where the truck parks (a stop of the village's truck,
    # as members keeps it: its name and commune copied when planned), when it arrives there
    # (HH:MM, Europe/Paris, on the round's day) and for how long. Null on the truck stops planned
    # before places were named (at the village's centre): they read as they were.
    place_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    place_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    place_commune: Mapped[str | None] = mapped_column(String(120), nullable=True)
    arrives_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | done | missed
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # or missed at
    # how it went: nobody home, a closed road
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)


class RoundPickup(Base):
    """A pooled supplier order taken by a round: one round at most (two planners at once: the
    second one is refused), whatever the stops it makes on it."""

    __tablename__ = "round_pickups"

    purchase_order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    round_id: Mapped[str] = mapped_column(String(36), ForeignKey("rounds.id"), index=True)
