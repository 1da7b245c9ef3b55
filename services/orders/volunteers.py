"""Orders' read model of volunteers (from `volunteer.available`): whom a help request can be
matched to. Event-carried state: no call to the members service when matching."""

from sqlalchemy import select

from services.orders.models import KnownMember, KnownVolunteer

_FIELDS = (
    "member_id",
    "home_village_id",
    "village_ids",
    "skills",
    "availability",
    "has_licence",
    "has_vehicle",
    "max_distance_km",
    "active",
)


def record_volunteer_available(uow, event: dict) -> None:
    """Idempotent and order-proof: the latest profile by `occurred_at` wins (one upsert, so two
    changes handled at once on PostgreSQL cannot leave the older one)."""
    payload = event["payload"]
    uow.keep_latest(
        KnownVolunteer,
        {
            "volunteer_id": payload["volunteer_id"],
            "changed_at": event["occurred_at"],
            **{name: payload[name] for name in _FIELDS},
        },
        key="volunteer_id",
    )
    uow.commit()


def known_volunteers(uow, village_id: str | None = None, skill: str | None = None) -> list[dict]:
    """Active volunteers; an erased member (`member.erased`, KnownMember) is never offered."""
    erased = select(KnownMember.id).where(KnownMember.erased_at.is_not(None))
    rows = uow.session.scalars(
        select(KnownVolunteer)
        .where(KnownVolunteer.active.is_(True), KnownVolunteer.member_id.not_in(erased))
        .order_by(KnownVolunteer.volunteer_id)
    ).all()
    found = []
    for row in rows:  # JSON lists: filtered here, portable across SQLite and PostgreSQL
        if village_id and village_id not in row.village_ids:
            continue
        if skill and skill not in {s["skill"] for s in row.skills}:
            continue
        found.append(
            {
                "volunteer_id": row.volunteer_id,
                "member_id": row.member_id,
                "home_village_id": row.home_village_id,
                "village_ids": row.village_ids,
                "skills": row.skills,
                "availability": row.availability,
                "has_licence": row.has_licence,
                "has_vehicle": row.has_vehicle,
                "max_distance_km": row.max_distance_km,
                "changed_at": row.changed_at.isoformat(),
            }
        )
    return found
