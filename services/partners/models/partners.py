"""The partners service's tables: partners (relationships, contacts), their API keys, and its read
model of villages. A partner's scope is not stored: it follows from the villages it serves (none:
the whole network, one: a village, several: a cluster)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.network_facts import KnownVillageColumns, VillageStatusColumns
from backbone.tables import UtcDateTime, new_id
from services.partners.models.base import Base


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(40))
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)
    # skill codes its services offer (a service structure, an artisan): supply on the skills map
    skills: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # the partnership ended (services/partners/removal.py): the row stays for figures and history
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # its broker user and feed queues deleted; NULL while an ended partner's feed is still to delete
    feed_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CommissionRate(Base):
    """The agreement with a producer on consignment: from `effective_from` (the first day of a
    month) the hub keeps this share of what it sells of the producer's goods (per mille: 150 =
    15 %; NULL: no commission from then). A change adds a row; the rows of months gone by are
    never rewritten, so a past month's statement keeps the rate it had (services/partners/
    commission.py)."""

    __tablename__ = "commission_rates"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    per_mille: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PartnerRelationship(Base):
    """What a partner is to the network: supplier, logistics, client, funder,
    co_organiser (several)."""

    __tablename__ = "partner_relationships"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    relationship: Mapped[str] = mapped_column(String(20), primary_key=True)


class PartnerContact(Base):
    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(80), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)


class PartnerVillage(Base):
    """A village a partner serves (none: the whole network)."""

    __tablename__ = "partner_villages"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    village_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class ApiKey(Base):
    """A partner system's key. Only its SHA-256 is stored; the key is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class KnownVillage(KnownVillageColumns, Base):
    """A village as partners needs it (event-carried state from `village.opened` and
    `village.updated`)."""

    carried = ("commune", "insee_code")

    commune: Mapped[str] = mapped_column(String(120))
    insee_code: Mapped[str] = mapped_column(String(5))


class VillageStatus(VillageStatusColumns, Base):
    pass
