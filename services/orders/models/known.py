"""The orders service's read models of what other services publish: the network's villages, their
status, its members and its volunteers."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, same_as
from services.orders.models.base import Base


class KnownVillage(Base):
    """A village as orders needs it (event-carried state from `village.opened`
    and `village.updated`)."""

    __tablename__ = "known_villages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)  # distances, rounds
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # of the latest event applied (opened or updated); a row written without
    # it changed when it opened
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=same_as("opened_at"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KnownMember(Base):
    """A member as this service needs them (from `member.registered`); anonymised on
    `member.erased`: the id stays (history keeps its shape), the name and tags go."""

    __tablename__ = "known_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    display_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    tags: Mapped[str | None] = mapped_column(String(200), nullable=True)  # comma-separated
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class VillageStatus(Base):
    """A village's latest status (from `village.status_changed`): preparing, open, paused or closed.
    Kept apart from the village row so a status arriving before `village.opened` is not lost."""

    __tablename__ = "village_statuses"

    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


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
