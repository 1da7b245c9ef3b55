"""Staff accounts: the people who sign in to the consoles; what ends their sessions; the sign-in
attempt counters."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base


class StaffAccount(Base):
    """A person who signs in to the consoles: the coordinator, or the concierge of one village."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    village_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # a token carries the version it was issued under: raising it (password changed or reset,
    # account disabled) ends every session of the account
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # a coordinator's reset: the one-time code's SHA-256 (the code itself is
    # shown once), and its end
    reset_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reset_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RevokedSession(Base):
    """One session ended by signing out (the token's id), kept until the
    token would have expired."""

    __tablename__ = "staff_revoked_sessions"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SignInThrottle(Base):
    """Failed sign-ins of one e-mail ("account:<e-mail>", whether an account has it or not) or one
    client address ("address:<ip>"), and until when the next attempt is refused."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
