"""Villages: the hubs of the network (fixed hub, itinerant truck, locker box)."""
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.tables import UtcDateTime, utcnow
from services.members.models.base import Base, new_id


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    commune: Mapped[str] = mapped_column(String(120))
    insee_code: Mapped[str] = mapped_column(String(5))
    postcode: Mapped[str] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(20))
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
