"""People: the inhabitants (members) a village knows, their profile tags and their consents.

Personal data (RGPD): names, phone, email and address live only here; erasure clears them and
sets `erased_at` (the row stays so that history — orders, hours — still points at an id)."""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base


class Member(Base):
    """An inhabitant known to one village (its home village)."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # "jeanne dupont": lower case, no accents, single spaces: what the counter search compares
    search_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # E.164, "+33145678901"
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # where the home is, when entered or imported: home deliveries stop there, not at the village
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(5), nullable=True)
    city: Mapped[str | None] = mapped_column(String(120), nullable=True)
    preferred_channel: Mapped[str] = mapped_column(String(20), default="phone")
    joined_on: Mapped[date] = mapped_column(Date)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    renewal_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # asked from the person's own pages (/moi); their concierge confirms the erasure
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    tags: Mapped[list["MemberTag"]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="member",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Consent.given_at",
    )

    __table_args__ = (
        Index("ix_members_village_search_name", "village_id", "search_name"),
        Index("ix_members_village_phone", "village_id", "phone"),
        Index("ix_members_joined_on", "joined_on"),  # the coordinator's new members of a period
    )


class MemberTag(Base):
    """One profile tag of a member (`fragile`, `reduced_mobility`, …: see schemas.people.TAGS)."""

    __tablename__ = "member_tags"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)

    member: Mapped[Member] = relationship(back_populates="tags")


class Consent(Base):
    """A consent given for one purpose; withdrawal sets `withdrawn_at` and keeps the row (history).
    Giving it again later adds a new row."""

    __tablename__ = "member_consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    member: Mapped[Member] = relationship(back_populates="consents")
