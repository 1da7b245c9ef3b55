"""Volunteers as the orders service knows them, written straight into its database: what
`volunteer.available` (from members) would have told it, and the volunteer as a known member."""

import uuid
from datetime import datetime

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from services.orders import volunteers
from services.orders.models import KnownMember


def volunteer_available(
    database,
    name: str,
    villages: list[str],
    skills=("bricolage",),
    *,
    known_since: datetime,
    km: int | None = None,
    slots=(("saturday", "09:00", "12:00"),),
    network_visible: bool = True,
) -> tuple[str, str]:
    """(volunteer id, member id) of a new volunteer living in `villages[0]` and serving `villages`,
    confirmed in `skills`, free in `slots` ((day, start, end), Paris time)."""
    volunteer_id, member_id = str(uuid.uuid4()), str(uuid.uuid4())
    envelope = parse_envelope(
        build_envelope(
            "volunteer.available",
            {
                "volunteer_id": volunteer_id,
                "member_id": member_id,
                "home_village_id": villages[0],
                "village_ids": list(villages),
                "skills": [{"skill": s, "level": "confirme"} for s in skills],
                "availability": [{"day": d, "start": a, "end": b} for d, a, b in slots],
                "max_distance_km": km,
                "has_licence": True,
                "has_vehicle": True,
                "network_visible": network_visible,
                "active": True,
            },
            village_id=villages[0],
            source="members",
        )
    )
    with database.unit_of_work() as uow:
        claim_and_handle(
            uow, "orders.on_volunteer_available", volunteers.record_volunteer_available, envelope
        )
        uow.session.add(
            KnownMember(
                id=member_id, village_id=villages[0], display_name=name, registered_at=known_since
            )
        )
        uow.commit()
    return volunteer_id, member_id
