"""Help requests (coups de main): someone needs a hand with one skill, at a time and place; a
volunteer is matched, accepts, does it, and the requester confirms (the
minutes go to the time bank)."""

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backbone.clock import utcnow
from backbone.state_machine import Event, Lifecycle
from backbone.tables import UtcDateTime, new_id
from services.orders.models.base import Base


class HelpRequest(Base):
    """One request for a hand. Its `status` moves along `LIFECYCLE` (a wrong step is a Conflict
    naming both states):

        requested ─ assign ─▶ assigned ─ accept ─▶ accepted ─ done ─▶ done ─ confirm ─▶ confirmed
        unmatched ─ assign ─▶ assigned          (a volunteer turned up since)
        assigned ─ decline ─▶ requested         (the volunteer said no: the concierge chooses again)
        requested / unmatched / assigned / accepted ─ cancel ─▶ cancelled

    `unmatched` is where a request starts when nobody could take it (help_requests.py)."""

    LIFECYCLE = Lifecycle(
        reason="help_request_transition",
        field="status",
        transitions={
            "requested": ("assigned", "cancelled"),
            "unmatched": ("assigned", "cancelled"),
            "assigned": ("accepted", "requested", "cancelled"),
            "accepted": ("done", "cancelled"),
            "done": ("confirmed",),
            "confirmed": (),
            "cancelled": (),
        },
        stamps={
            "assigned": "assigned_at",
            "accepted": "accepted_at",
            "done": "done_at",
            "confirmed": "confirmed_at",
            "cancelled": "cancelled_at",
        },
    )

    __tablename__ = "help_requests"
    __table_args__ = (
        UniqueConstraint("village_id", "idempotency_key", name="uq_help_requests_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_id: Mapped[str] = mapped_column(String(36), index=True)
    requester_member_id: Mapped[str] = mapped_column(String(36), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    skill: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    volunteer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    volunteer_member_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unmatched_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # the volunteers (member ids, comma-separated) who declined it: no longer its candidates
    declined_member_ids: Mapped[str | None] = mapped_column(Text, nullable=True)
    declined_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # when `help_request.reminder_due` was announced (once, the day before)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    def people_event(self, event_type: str) -> Event:
        """`help_request.assigned` / `.accepted` / `.reminder_due`: who is told, of what and when
        (members words the notices)."""
        payload = {
            "help_request_id": self.id,
            "village_id": self.village_id,
            "volunteer_member_id": self.volunteer_member_id,
            "requester_member_id": self.requester_member_id,
            "skill": self.skill,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }
        return Event(event_type, payload, self.village_id)

    def move_to(self, status: str, now: datetime) -> list[Event]:
        """Guarded by `LIFECYCLE` and time-stamped. Accepted, it tells `help_request.accepted` (the
        requester learns who comes). Confirmed, it tells `help_request.completed` with the minutes
        given, which members credits to the volunteer's time bank. `help_request.assigned` is the
        service layer's: the volunteer is set after the move."""
        self.LIFECYCLE.move(self, status, now)
        if status == "accepted":
            return [self.people_event("help_request.accepted")]
        if status != "confirmed":
            return []
        payload = {
            "help_request_id": self.id,
            "village_id": self.village_id,
            "member_id": self.volunteer_member_id,
            "skill": self.skill,
            "minutes": self.minutes,
            "completed_at": self.done_at,
        }
        return [Event("help_request.completed", payload, self.village_id)]
