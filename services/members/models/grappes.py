"""Grappes: villages gathered by the coordinator to pool the orders of shared suppliers and the
rounds that carry them, with the depot (a village of the grappe, a place there) where goods arrive.
A village belongs to one grappe at most: its pooled orders then have one home. (Also the partners
as the skills map knows them: what members keeps of other services about the network.)"""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base


class Grappe(Base):
    __tablename__ = "grappes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    village_ids: Mapped[list] = mapped_column(JSON)
    # partners ids (the partners service's): members keeps them as given, the gateway checked them
    supplier_partner_ids: Mapped[list] = mapped_column(JSON)
    depot_village_id: Mapped[str] = mapped_column(String(36))
    depot_place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KnownPartner(Base):
    """A partner as the skills map needs it (from `partner.joined` and `partner.updated`, the
    latest by `occurred_at` wins): its kind, the villages it serves (none: the whole network), the
    skills its services offer, and when its partnership ended (then it supplies nothing)."""

    __tablename__ = "known_partners"

    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(40))
    village_ids: Mapped[list] = mapped_column(JSON)
    skills: Mapped[list] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
