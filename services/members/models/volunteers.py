"""Volunteers (bénévoles), the network's skills taxonomy, the time bank and the demand read model.

A volunteer is a member (`members.id`) who gives time: one row per person however many villages
they serve. Contact details stay on the member; these tables hold what matching needs."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base
from services.members.models.people import Member


class Skill(Base):
    """One skill of the network's list: seeded by migration 0004_volunteers, then added, renamed
    and retired by the coordinator (services/members/skills.py). A retired skill keeps its row:
    the volunteers and the past requests that name it keep their label."""

    __tablename__ = "skills"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Volunteer(Base):
    __tablename__ = "volunteers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), unique=True)
    max_distance_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    has_vehicle: Mapped[bool] = mapped_column(Boolean, default=False)
    network_visible: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(lazy="joined")
    skills: Mapped[list["VolunteerSkill"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VolunteerSkill.skill_code"
    )
    slots: Mapped[list["AvailabilitySlot"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AvailabilitySlot.id"
    )
    villages: Mapped[list["VolunteerVillage"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VolunteerVillage.village_id"
    )


class VolunteerSkill(Base):
    __tablename__ = "volunteer_skills"

    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(ForeignKey("skills.code"), primary_key=True)
    level: Mapped[str] = mapped_column(String(20))


class AvailabilitySlot(Base):
    """A weekly slot: `day` (monday…sunday), local times "HH:MM" (compare as text)."""

    __tablename__ = "volunteer_availability"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), index=True)
    day: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[str] = mapped_column(String(5))
    ends_at: Mapped[str] = mapped_column(String(5))


class VolunteerVillage(Base):
    """A village the volunteer serves (their home village is always one)."""

    __tablename__ = "volunteer_villages"

    volunteer_id: Mapped[str] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), primary_key=True)


class TimeBankEntry(Base):
    """One line of the hours ledger, credited from an event. Idempotent twice over: the inbox
    (consumer, event_id), and here one line per (source event, member) and per (source, member)."""

    __tablename__ = "time_bank_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(
        String(36), index=True
    )  # as the event says; no FK (ledger)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(
        String(60)
    )  # help_request.completed, animation.attended
    source_ref: Mapped[str] = mapped_column(String(36))  # help_request_id, animation_id
    source_event_id: Mapped[str] = mapped_column(String(36))
    skill_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    role: Mapped[str | None] = mapped_column(String(60), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("source_event_id", "member_id"),
        UniqueConstraint("source_type", "source_ref", "member_id"),
    )


class HelpDemand(Base):
    """Read model of help requests (orders' events): the demand side of the skills map."""

    __tablename__ = "help_demand"

    help_request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    skill_code: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    unmatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
