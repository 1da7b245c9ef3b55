"""The orders service's read models of what other services publish: the network's villages, their
status, its members and its volunteers."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.network_facts import KnownMemberColumns, KnownVillageColumns, VillageStatusColumns
from backbone.tables import UtcDateTime
from backbone.volunteer_bookings import VolunteerBookingColumns
from services.orders.models.base import Base


class KnownVillage(KnownVillageColumns, Base):
    """A village as orders needs it (event-carried state from `village.opened` and
    `village.updated`)."""

    carried = ("kind", "latitude", "longitude")

    kind: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)  # distances, rounds
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KnownMember(KnownMemberColumns, Base):
    pass


class VillageStatus(VillageStatusColumns, Base):
    pass


class KnownVolunteer(Base):
    """A volunteer as matching help requests needs them (from `volunteer.available`, the latest by
    `occurred_at` wins): villages served, skills with levels, weekly slots, licence/vehicle. No
    name or contact: those stay in the members service."""

    __tablename__ = "known_volunteers"

    volunteer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    home_village_id: Mapped[str] = mapped_column(String(36))
    village_ids: Mapped[list] = mapped_column(JSON)
    skills: Mapped[list] = mapped_column(JSON)  # [{"skill", "level"}]
    availability: Mapped[list] = mapped_column(JSON)  # [{"day", "start", "end"}]
    has_licence: Mapped[bool] = mapped_column(Boolean)
    has_vehicle: Mapped[bool] = mapped_column(Boolean)
    max_distance_km: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )  # beyond the villages served
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VolunteerBooking(VolunteerBookingColumns, Base):
    """The animation roles holding a volunteer's time (`animation.volunteer_booking`): a coup de
    main never overlaps one (backbone/volunteer_bookings.py)."""


class KnownGrappe(Base):
    """A grappe as orders needs it to pool supplier orders (from `grappe.created` and
    `grappe.updated`, the latest by `occurred_at` wins)."""

    __tablename__ = "known_grappes"

    grappe_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    village_ids: Mapped[list] = mapped_column(JSON)
    supplier_partner_ids: Mapped[list] = mapped_column(JSON)
    depot_village_id: Mapped[str] = mapped_column(String(36))
    depot_place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnownVillageStops(Base):
    """The stops of an itinerant village's truck as rounds need them (from
    `village.stops_changed`, the newest list by `occurred_at` wins): [{"stop_id", "name",
    "commune", "latitude", "longitude"}]. A round's truck stop names one of them."""

    __tablename__ = "known_village_stops"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stops: Mapped[list] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
