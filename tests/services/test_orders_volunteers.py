"""Orders' read model of volunteers (from `volunteer.available`): idempotent, latest wins, on
SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

from backbone.consumer import claim_and_handle
from backbone.contracts import build_envelope, parse_envelope
from services.orders import read_models, volunteers

CONSUMER = "orders.on_volunteer_available"


def available(volunteer_id, village_ids, skills, when, active=True):
    home = village_ids[0]
    return parse_envelope(
        build_envelope(
            "volunteer.available",
            {
                "volunteer_id": volunteer_id,
                "member_id": "m-" + volunteer_id[:8],
                "home_village_id": home,
                "village_ids": village_ids,
                "skills": [{"skill": s, "level": "confirme"} for s in skills],
                "availability": [{"day": "monday", "start": "09:00", "end": "12:00"}],
                "max_distance_km": 10,
                "has_licence": True,
                "has_vehicle": False,
                "network_visible": False,
                "active": active,
            },
            village_id=home,
            source="members",
            occurred_at=when,
        )
    )


def test_the_latest_profile_wins_and_duplicates_change_nothing(service_db):
    orders = service_db("orders")
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    volunteer_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    first = available(volunteer_id, [a, b], ["jardinage"], now)
    newer = available(volunteer_id, [a], ["jardinage", "bricolage"], now + timedelta(minutes=5))
    with orders.unit_of_work() as uow:
        assert claim_and_handle(uow, CONSUMER, volunteers.record_volunteer_available, first)
    with orders.unit_of_work() as uow:
        assert not claim_and_handle(uow, CONSUMER, volunteers.record_volunteer_available, first)
    with orders.unit_of_work() as uow:
        claim_and_handle(uow, CONSUMER, volunteers.record_volunteer_available, newer)
    with orders.unit_of_work() as uow:  # an older profile arriving late does not overwrite
        claim_and_handle(
            uow,
            CONSUMER,
            volunteers.record_volunteer_available,
            available(volunteer_id, [a, b], [], now - timedelta(1)),
        )
    with orders.unit_of_work() as uow:
        assert [v["volunteer_id"] for v in volunteers.known_volunteers(uow, a, "bricolage")] == [
            volunteer_id
        ]
        assert volunteers.known_volunteers(uow, b) == []
    with orders.unit_of_work() as uow:  # an erased member is no longer offered for matching
        claim_and_handle(
            uow,
            "orders.on_member_erased",
            read_models.record_member_erased,
            parse_envelope(
                build_envelope(
                    "member.erased",
                    {"member_id": "m-" + volunteer_id[:8], "village_id": a},
                    village_id=a,
                    source="members",
                )
            ),
        )
        assert volunteers.known_volunteers(uow, a) == []
    other = str(uuid.uuid4())
    with orders.unit_of_work() as uow:
        claim_and_handle(
            uow,
            CONSUMER,
            volunteers.record_volunteer_available,
            available(other, [a], ["bricolage"], now),
        )
    with orders.unit_of_work() as uow:
        assert [v["volunteer_id"] for v in volunteers.known_volunteers(uow, a)] == [other]
    with orders.unit_of_work() as uow:
        claim_and_handle(
            uow,
            CONSUMER,
            volunteers.record_volunteer_available,
            available(other, [a], ["bricolage"], now + timedelta(minutes=9), active=False),
        )
    with orders.unit_of_work() as uow:
        assert volunteers.known_volunteers(uow) == []
