"""`village.updated` carries the whole description, the services the hub offers included, on
SQLite and PostgreSQL; a village moved in members is where orders' next rounds stop. Over the
broker (every service's copy, duplicates, late older descriptions):
tests/reliability/test_village_updated.py."""

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select

from backbone.contracts import build_envelope, parse_envelope
from backbone.tables import OutboxEvent
from services.members import villages
from services.orders import read_models, rounds
from tests.support.reliability import village_envelope, village_input


def test_the_services_a_hub_offers_travel_with_its_description(service_db):
    database = service_db("members")
    with database.unit_of_work() as uow:
        village = villages.open_village(uow, village_input(services=["grocery"]))
    with database.unit_of_work() as uow:
        villages.update_village(uow, village["id"], {"services": ["grocery", "parcel_relay"]})
    with database.unit_of_work() as uow:
        bodies = [
            json.loads(row.body)
            for row in uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]
    described = {
        b["type"]: b["payload"]["services"] for b in bodies if b["type"].startswith("village.")
    }
    assert described == {
        "village.opened": ["grocery"],
        "village.updated": ["grocery", "parcel_relay"],
    }


def test_a_village_moved_is_where_the_next_round_stops(service_db):
    database = service_db("orders")
    opened = village_envelope(name="Gentioux", kind="itinerant", latitude=45.78, longitude=1.99)
    opened_at = datetime.fromisoformat(opened["occurred_at"])
    moved = build_envelope(
        "village.updated",
        {
            **opened["payload"],
            "opened_at": opened_at,
            "latitude": 45.8,
            "longitude": 2.05,
        },
        village_id=opened["village_id"],
        source="members",
        occurred_at=opened_at + timedelta(hours=1),
    )
    with database.unit_of_work() as uow:
        read_models.facts.record_village(uow, parse_envelope(opened))
    with database.unit_of_work() as uow:
        read_models.facts.record_village(uow, parse_envelope(moved))
    with database.unit_of_work() as uow:
        [stop] = rounds.candidate_stops(uow, date(2026, 12, 3), [opened["village_id"]], False)
    assert (stop["kind"], stop["latitude"], stop["longitude"]) == ("truck_stop", 45.8, 2.05)
