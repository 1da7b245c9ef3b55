"""A volunteer is never booked twice: not for two missions at overlapping hours, nor for two in
different villages without the time to travel between them.

Ownership: each service decides for the missions it assigns, and refuses a booking that clashes
with its own missions or with the other service's. The missions live in two services (coups de
main in orders, animation roles in events), so each one publishes the missions that hold a
volunteer's time (`help_request.volunteer_booking`, `animation.volunteer_booking`: booked, or
released) and keeps the other's in a read model of its own (the table below). No service asks
the other by RPC before committing (a business rule never depends on another service being up, and a
village's box keeps assigning while its link is down); the price is a short window, the time an
event takes to cross, in which two concierges booking the same person at once in the two services
would both succeed, each seeing the conflict afterwards on the next booking.

    class VolunteerBooking(VolunteerBookingColumns, Base):
        pass
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, mapped_column

from backbone.errors import Conflict
from backbone.formats import clock_time, day_and_time
from backbone.tables import UtcDateTime

RURAL_SPEED_KMH = 40  # door to door on small roads, as the crow flies between the villages
TRAVEL_WHEN_UNKNOWN = timedelta(minutes=45)  # between two villages whose positions are not known
SEARCH_AROUND = timedelta(days=1)  # missions further apart than this never clash


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in km."""
    import math

    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def travel_time(from_village: str, to_village: str, coordinates: dict) -> timedelta:
    """Time to go from one village to another: none within a village, the distance at
    RURAL_SPEED_KMH when both positions are known, TRAVEL_WHEN_UNKNOWN otherwise."""
    if from_village == to_village:
        return timedelta(0)
    a, b = coordinates.get(from_village), coordinates.get(to_village)
    if a is None or b is None:
        return TRAVEL_WHEN_UNKNOWN
    return timedelta(hours=haversine_km(a, b) / RURAL_SPEED_KMH)


def clashes(mission: dict, other: dict, coordinates: dict) -> bool:
    """Whether one volunteer cannot do both missions ({village_id, starts_at, ends_at}): they
    overlap, or leave too little time to travel from one village to the other."""
    gap = travel_time(mission["village_id"], other["village_id"], coordinates)
    return (
        other["starts_at"] < mission["ends_at"] + gap
        and mission["starts_at"] < other["ends_at"] + gap
    )


def refusal_details(what: str, village_name: str, starts_at: datetime, ends_at: datetime) -> dict:
    """What the 409 `volunteer_busy` says: with what, where and when they are expected."""
    return {
        "mission": what,
        "village": village_name,
        "when": day_and_time(starts_at, weekday=True),
        "until": clock_time(ends_at),
    }


def refuse_first_clash(
    uow, village_model, mission: dict, others: list, coordinates: dict, field: str
) -> None:
    """`others`: (what, village id, starts at, ends at) of the volunteer's other missions; the
    first, in time, that `mission` cannot follow or precede (travel included) is refused: a
    Conflict `volunteer_busy` on `field`, naming it and its village (`village_model`: the
    service's read model of villages)."""
    for what, village_id, starts_at, ends_at in sorted(others, key=lambda o: o[2]):
        other = {"village_id": village_id, "starts_at": starts_at, "ends_at": ends_at}
        if clashes(mission, other, coordinates):
            village = uow.session.get(village_model, village_id)
            raise Conflict(
                "volunteer_busy",
                field=field,
                details=refusal_details(
                    what, village.name if village else village_id, starts_at, ends_at
                ),
            )


class VolunteerBookingColumns:
    """The other service's missions holding a volunteer's time (the latest by `occurred_at`)."""

    __tablename__ = "volunteer_bookings"

    booking_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    village_id: Mapped[str] = mapped_column(String(36))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    what: Mapped[str] = mapped_column(String(200))
    booked: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


def record_booking(uow, model, event: dict) -> None:
    """`help_request.volunteer_booking` or `animation.volunteer_booking`: the newest by
    `occurred_at` wins (a duplicate, or an older one arriving late, changes nothing)."""
    p = event["payload"]
    uow.keep_latest(
        model,
        {
            "booking_id": p["booking_id"],
            "member_id": p["member_id"],
            "village_id": p["village_id"],
            "starts_at": p["starts_at"],
            "ends_at": p["ends_at"],
            "what": p["what"][:200],
            "booked": p["booked"],
            "changed_at": event["occurred_at"],
        },
        key="booking_id",
    )
    uow.commit()


def booked_elsewhere(uow, model, member_id: str, mission: dict) -> list:
    """The other service's missions holding `member_id` around `mission`'s hours, by start."""
    return uow.session.scalars(
        select(model)
        .where(
            model.member_id == member_id,
            model.booked.is_(True),
            model.starts_at < mission["ends_at"] + SEARCH_AROUND,
            model.ends_at > mission["starts_at"] - SEARCH_AROUND,
        )
        .order_by(model.starts_at)
    ).all()


def create_table() -> None:
    """The read model's table, for a service's migration."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "volunteer_bookings",
        sa.Column("booking_id", sa.String(length=120), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("village_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_volunteer_bookings")),
    )
    with op.batch_alter_table("volunteer_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_bookings_member_id"), ["member_id"], unique=False
        )
