"""Personal sign-in of inhabitants and volunteers (the gateway's /moi pages): a single-use link
sent by e-mail or SMS, and the sessions it opens. Only hashes of the secrets are kept: a copy of
the database signs nobody in."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base


class PersonalLink(Base):
    """One link sent: its token's SHA-256, whom it signs in, until when, and when it was used
    (once: a second click is refused)."""

    __tablename__ = "member_personal_links"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email, sms
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PersonalSession(Base):
    """A person signed in through a link: at most 30 days, ended earlier by the person or by
    their village's concierge (`ended_at`, `ended_by`: person, concierge, erasure)."""

    __tablename__ = "member_personal_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(20), nullable=True)
