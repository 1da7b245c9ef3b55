"""A commune's read-only link to the figures of the villages it funds
(services/partners/commune_links.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime
from services.partners.models.base import Base


class CommuneLink(Base):
    """Only the secret's SHA-256 is kept: the link is shown once, when the coordinator issues it."""

    __tablename__ = "commune_links"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
