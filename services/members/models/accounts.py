"""Staff accounts: the people who sign in to the consoles."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.tables import UtcDateTime, utcnow
from services.members.models.base import Base, new_id


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
