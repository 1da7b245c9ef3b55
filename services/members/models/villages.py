"""Villages: the hubs of the network (fixed hub, itinerant truck, locker box), the stops of a
truck, and their opening hours (weekly slots and exceptions)."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.state_machine import Event
from backbone.tables import UtcDateTime, new_id
from services.members.models.base import Base
from services.members.village_lifecycle import VILLAGE_LIFECYCLE


class Village(Base):
    """A hub of the network. Its `status` moves along `LIFECYCLE`: preparing → open ↔ paused →
    closed, closed being final; each move is told as `village.status_changed`."""

    LIFECYCLE = VILLAGE_LIFECYCLE

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
    # address (postcode and commune above), coordinates, services offered, status history
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    services: Mapped[list] = mapped_column(JSON, default=list)
    status_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # the hub's own contact, shown on its public page (E.164): never a staff member's own
    public_phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    public_email: Mapped[str | None] = mapped_column(String(254), nullable=True)

    def move_to(self, status: str, now: datetime, *, reason: str | None = None) -> list[Event]:
        """Guarded by `LIFECYCLE`; the reason (or none) replaces the last one."""
        before = self.LIFECYCLE.move(self, status, now)
        self.status_reason = reason
        payload = {"village_id": self.id, "from": before, "to": status, "reason": reason}
        return [Event("village.status_changed", payload, self.id)]


class VillageStop(Base):
    """A stop of an itinerant truck: where it parks, with its own weekly times (OpeningSlot)."""

    __tablename__ = "village_stops"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    commune: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OpeningSlot(Base):
    """One weekly slot (day 0 = Monday, wall-clock times in Europe/Paris) of a village, or of one
    stop of its truck when `stop_id` is set."""

    __tablename__ = "opening_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), index=True)
    stop_id: Mapped[str | None] = mapped_column(
        ForeignKey("village_stops.id"), nullable=True, index=True
    )
    day: Mapped[int] = mapped_column(Integer)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))


class OpeningException(Base):
    """A date or date range when a village is closed, or open at special hours (`slots`)."""

    __tablename__ = "opening_exceptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    label: Mapped[str | None] = mapped_column(String(120), nullable=True)
    slots: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Permanence(Base):
    """A service held at the hub by someone else on a weekday (La Poste, a social worker, the
    mission locale), wall-clock times in Europe/Paris; `note` says what the weekday alone cannot
    ("le premier mardi du mois")."""

    __tablename__ = "village_permanences"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(ForeignKey("villages.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    day: Mapped[int] = mapped_column(Integer)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    note: Mapped[str | None] = mapped_column(String(160), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
